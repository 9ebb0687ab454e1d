"""Chinese labels of the review workbook and report (Chinese first, English beside)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..io.schema import SAMPLE_NOTICE  # one notice for every output

__all__ = [
    "DECISIONS",
    "DECISION_COLUMNS",
    "DECISION_OF_STATE",
    "MOUNT_ZH",
    "POWER_ZH",
    "PROTECTED",
    "REUSE_ZH",
    "SAMPLE_NOTICE",
    "SITE_TYPE_ZH",
    "STATUS_ZH",
    "text",
]

#: Workbook decision value -> registry state.
DECISIONS = {"通过": "approved", "不通过": "rejected", "修改后通过": "approved_with_changes"}
DECISION_OF_STATE = {v: k for k, v in DECISIONS.items()}

SITE_TYPE_ZH = {"macro": "宏站", "micro": "微站", "indoor": "室分"}
MOUNT_ZH = {"rooftop": "楼顶抱杆", "tower": "落地塔", "street_lamp": "路灯杆", "monitoring_pole": "监控杆",
            "smart_pole": "智慧杆", "indoor": "室内"}
STATUS_ZH = {"compliant": "合规", "conditional": "有条件合规", "non_compliant": "不合规"}
REUSE_ZH = {"existing_site": "共享现有站址", "street_lamp": "利用路灯杆", "monitoring": "利用监控杆",
            "public_facility": "利用公共设施", "": "新建"}
POWER_ZH = {"direct": "直供电", "transferred": "转供电", "unknown": "未知"}

#: Protected columns of the review sheet: key -> header.
PROTECTED: dict[str, str] = {
    "site_id": "站址编号 Site code",
    "name": "名称 Name",
    "lon": "经度 Lon (WGS84)",
    "lat": "纬度 Lat (WGS84)",
    "site_type": "站型 Type",
    "mount": "建设形式 Mount",
    "operator": "运营商 Operator",
    "status": "合规状态 Compliance",
    "reasons": "原因 Reasons",
    "reuse": "共享利用 Reuse",
    "subdistrict": "所属街道 Sub-district",
    "responsible_unit": "责任单位 Responsible unit",
    "power": "供电方式 Power supply",
    "phase": "实施阶段 Phase",
    "coverage_gain_m2": "覆盖增益 Coverage gain (m²)",
    "state": "登记状态 Registry state",
}
#: Columns the reviewer fills: key -> header.
DECISION_COLUMNS: dict[str, str] = {
    "decision": "审查意见 Decision",
    "comment": "意见说明 Comment",
    "reviewer": "审查人 Reviewer",
    "date": "审查日期 Date",
}



def text(v: Any) -> str:
    """A value as display text: None/NaN -> ""."""
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)) and np.isnan(v):
        return ""
    try:
        import pandas as pd

        if v is pd.NA:
            return ""
    except ImportError:  # pragma: no cover
        pass
    return str(v)
