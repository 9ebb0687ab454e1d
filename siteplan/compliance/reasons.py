"""Compliance reason codes: status effect and a Chinese and English message for each.

The order of :data:`REASONS` is the fixed order in which codes are listed in a candidate's ``reasons``.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["EFFECT_RANK", "REASONS", "REASON_CODES", "STATUSES", "STATUS_RANK", "STATUS_ZH", "WARNING_CODES", "Reason"]

#: Statuses from best to worst; a candidate takes the worst effect among its reasons.
STATUSES = ("compliant", "conditional", "non_compliant")
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
STATUS_ZH = {"compliant": "合规", "conditional": "有条件合规", "non_compliant": "不合规"}
#: Status rank of each reason effect. A "warning" is engineering advice: it is listed, but leaves the status to
#: what the layout plan and the law decide.
EFFECT_RANK = {"warning": 0, **STATUS_RANK}


class Reason(NamedTuple):
    """What a reason does to the status, and how it reads."""

    effect: str  # "warning" | "conditional" | "non_compliant"
    zh: str
    en: str


REASONS: dict[str, Reason] = {
    "OUTSIDE_DISTRICT": Reason(
        "non_compliant", "站址不在本区行政区域内", "site lies outside the district boundary"),
    "IN_PROHIBITED_ZONE": Reason(
        "non_compliant", "位于禁建区", "site lies in a prohibited (no-build) zone of the layout plan"),
    "IN_RESTRICTED_ZONE": Reason(
        "conditional", "位于限建区，需专项审批或美化天线",
        "site lies in a restricted zone: special approval or disguised antennas needed"),
    # The layout plan is binding (approved with the planning bureau): a site outside every search ring is not
    # "allowed with conditions" but needs a plan amendment first, hence non_compliant.
    "NOT_IN_PLAN": Reason(
        "non_compliant", "不在规划站址搜索圈内（需调整规划）",
        "not inside the search ring of any planned site (needs a plan amendment)"),
    "PLAN_TYPE_MISMATCH": Reason(
        "non_compliant", "站型与所在规划站址的站型不符",
        "site type does not match the type of the planned site(s) whose ring contains it"),
    # Engineering advice, not a planning decision: a new site this close to the network's own site would be better
    # placed as an upgrade of that site ("严控新增站址，充分利用现有基站站址资源").
    "TOO_CLOSE_TO_EXISTING": Reason(
        "warning", "距本网络现有站址小于最小间距，建议改为利用该站址升级",
        "closer than the minimum spacing to an existing site of its own network: consider upgrading that site"),
    # Two operators on one spot is sharing (共享), which the work plan asks for; a duplicate is the same network twice.
    "DUPLICATE": Reason(
        "non_compliant", "同一网络重复站址（位置重合或站址编号重复）",
        "duplicate: same network within the duplicate distance of another candidate, or a site id used twice "
        "(or an existing site's id on a site that is not its upgrade)"),
    "NO_NETWORK": Reason(
        "non_compliant", "运营商在该频段无5G网络（运营商与频段不匹配）",
        "no 5G network of the district holds this operator on this band"),
    "POLE_UNSUITABLE": Reason(
        "non_compliant", "杆体不满足挂载条件（高度不足、类型不符或未找到杆体）",
        "pole unsuitable: too low, of a kind not usable for this site type, or no pole found"),
    "EMF_SENSITIVE_RECEPTOR": Reason(
        "conditional", "电磁环境敏感目标（学校、幼儿园、医院）位于合规距离内，需电磁环境评估",
        "a sensitive receptor (school, kindergarten, hospital) lies within the EMF compliance distance: "
        "exposure assessment needed"),
}

REASON_CODES: tuple[str, ...] = tuple(REASONS)
