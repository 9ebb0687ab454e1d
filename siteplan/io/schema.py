"""Layer schemas: canonical columns, Chinese header aliases, value vocabularies and defaults."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field

from ..config import Band

__all__ = ["ALIASES", "SAMPLE_NOTE", "SAMPLE_NOTICE", "SCHEMAS", "VALUE_ALIASES", "LayerSchema"]

#: The label every sample file carries in its ``data_note`` column.
SAMPLE_NOTE = "样例数据 SAMPLE"
#: The notice every output of a sample district shows (lists, workbook, map, report).
SAMPLE_NOTICE = ("样例数据 SAMPLE DATA —— 仅行政边界为真实数据，站址规划、杆塔台账和运营商站点均为生成的样例 / "
                 "only the district boundary is real; the layout plan, pole inventory and operator site lists "
                 "are generated samples")


@dataclass(frozen=True)
class LayerSchema:
    """What a layer must and may hold."""

    geometry: tuple[str, ...]  # allowed geometry types
    id_field: str | None
    required: tuple[str, ...] = ()
    #: optional column -> default (None: filled by the reader from the config)
    optional: dict[str, object] = field(default_factory=dict)
    numeric: tuple[str, ...] = ()
    boolean: tuple[str, ...] = ()
    #: column -> allowed canonical values
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: duplicate ids are an error (False for candidates: duplicates are a compliance finding)
    unique_ids: bool = True
    #: numeric column -> (lowest, highest, unit): a value outside is an error naming the row
    ranges: dict[str, tuple[float, float, str]] = field(default_factory=dict)


_POINT = ("Point",)
_POLY = ("Polygon", "MultiPolygon")
_ANY = ("Point", "Polygon", "MultiPolygon")

SITE_TYPES = ("macro", "micro", "indoor")
MOUNTS = ("rooftop", "tower", "street_lamp", "monitoring_pole", "smart_pole", "indoor", "")
POWER = ("direct", "transferred", "unknown")
POLE_KINDS = ("street_lamp", "monitoring", "other")
ZONE_CATEGORIES = ("prohibited", "restricted")
SCENARIO_KEYS = ("manufacturing", "smart_grid", "commercial", "healthcare", "education", "culture_tourism", "media")
RECEPTORS = ("school", "kindergarten", "hospital", "")
#: Canonical operator keys (siteplan.config.OPERATORS); "" = not given.
OPERATOR_KEYS = ("china_mobile", "china_telecom", "china_unicom", "china_broadnet", "china_tower", "")
#: Who owns an existing site: China Tower (leased per tenant) or the operator itself.
OWNERS = ("china_tower", "operator", "other", "")
#: Building use classes (drives the TR 38.901 building-penetration class and indoor demand).
BUILDING_USES = ("residential", "commercial", "office", "school", "hospital", "industrial", "public", "other")
#: TR 38.901 O2I building-penetration classes; "" = decided by the building's use.
LOSS_CLASSES = ("low", "high", "")
#: 5G bands (siteplan.radio.linkbudget.BANDS); empty = the district's radio.band.
BANDS = (*typing.get_args(Band), "")

#: Plausible ranges of the numeric columns: wider than any real value, narrow enough to catch a wrong column.
_HEIGHT = {"height_m": (0.0, 1000.0, "m")}

SCHEMAS: dict[str, LayerSchema] = {
    "boundary": LayerSchema(_POLY, None, (), {"name": ""}),
    "subdistricts": LayerSchema(_POLY, "code", ("code", "name"), {"approximate": False}, boolean=("approximate",)),
    "existing_sites": LayerSchema(
        _POINT,
        "site_id",
        ("site_id",),
        {"name": "", "operator": "", "band": None, "site_type": "macro", "mount": "", "height_m": None,
         "power_supply": "unknown", "azimuths_deg": "", "technology": "", "lte_band": "", "owner": "",
         "tower_site_id": ""},
        numeric=("height_m",),
        enums={"site_type": SITE_TYPES, "power_supply": POWER, "operator": OPERATOR_KEYS, "owner": OWNERS,
               "mount": MOUNTS, "band": BANDS},
        ranges=_HEIGHT,
    ),
    "candidates": LayerSchema(
        _POINT,
        "site_id",
        ("site_id",),
        {"name": "", "operator": "", "band": None, "site_type": "macro", "mount": None, "height_m": None,
         "power_supply": "unknown", "pole_id": "", "responsible_unit": "", "eirp_dbm": None},
        numeric=("height_m", "eirp_dbm"),
        enums={"site_type": SITE_TYPES, "mount": MOUNTS, "power_supply": POWER, "operator": OPERATOR_KEYS,
               "band": BANDS},
        unique_ids=False,
        ranges={**_HEIGHT, "eirp_dbm": (-30.0, 100.0, "dBm")},
    ),
    "poles": LayerSchema(
        _POINT, "pole_id", ("pole_id", "kind"), {"height_m": float("nan"), "owner": "", "power_w": float("nan")},
        numeric=("height_m", "power_w"), enums={"kind": POLE_KINDS},
        ranges={**_HEIGHT, "power_w": (0.0, 1e6, "W")},
    ),
    "plan_sites": LayerSchema(
        _POINT, "plan_id", ("plan_id", "site_type", "ring_radius_m"),
        {"name": "", "zone_class": "", "status": "new", "term": "near"},
        numeric=("ring_radius_m",), enums={"site_type": SITE_TYPES},
        ranges={"ring_radius_m": (0.0, 10_000.0, "m")},
    ),
    "plan_zones": LayerSchema(
        _POLY, "zone_id", ("zone_id", "category"), {"name": "", "reason": ""}, enums={"category": ZONE_CATEGORIES},
    ),
    "public_facilities": LayerSchema(
        _ANY, "facility_id", ("facility_id",), {"name": "", "kind": "", "free_access": True},
        boolean=("free_access",),
    ),
    "hotspots": LayerSchema(
        _ANY, "hotspot_id", ("hotspot_id", "scenario"), {"name": "", "weight": None, "receptor": "", "building_id": ""},
        numeric=("weight",), enums={"scenario": SCENARIO_KEYS, "receptor": RECEPTORS},
        ranges={"weight": (0.0, 1e6, "")},
    ),
    "buildings": LayerSchema(
        _POLY, "building_id", ("building_id",),
        {"name": "", "floors": float("nan"), "height_m": float("nan"), "use": "other", "loss_class": ""},
        numeric=("floors", "height_m"), enums={"use": BUILDING_USES, "loss_class": LOSS_CLASSES},
        ranges={"floors": (0.0, 200.0, ""), **_HEIGHT},
    ),
}

#: Header aliases (case-insensitive, surrounding spaces ignored) -> canonical column.
ALIASES: dict[str, str] = {
    # ids and names
    "站址编号": "site_id", "站址编码": "site_id", "站点编号": "site_id", "基站编号": "site_id", "站号": "site_id",
    "站名": "name", "站点名称": "name", "基站名称": "name", "名称": "name", "站址名称": "name",
    "设施名称": "name", "热点名称": "name", "区域名称": "name", "街道名称": "name",
    # coordinates
    "经度": "lon", "longitude": "lon", "lng": "lon", "long": "lon",
    "纬度": "lat", "latitude": "lat",
    # site attributes
    "站型": "site_type", "站点类型": "site_type", "基站类型": "site_type", "type": "site_type",
    "建设形式": "mount", "塔桅类型": "mount", "安装方式": "mount",
    "挂高": "height_m", "天线挂高": "height_m", "挂高(m)": "height_m", "挂高（m）": "height_m", "height": "height_m",
    "杆高": "height_m", "杆高(m)": "height_m", "高度": "height_m",
    "运营商": "operator", "频段": "band", "频带": "band", "网络制式": "technology",
    "供电方式": "power_supply", "所属街道": "subdistrict", "责任单位": "responsible_unit",
    "网络制式": "technology", "制式": "technology", "lte频段": "lte_band", "4g频段": "lte_band",
    "产权属性": "owner", "产权": "owner", "铁塔站址编码": "tower_site_id", "铁塔编码": "tower_site_id",
    "建筑编号": "building_id", "楼层数": "floors", "层数": "floors", "建筑高度": "height_m", "用途": "use",
    "建筑用途": "use", "穿透损耗类别": "loss_class",
    "杆号": "pole_id", "杆塔编号": "pole_id", "灯杆编号": "pole_id", "杆体编号": "pole_id",
    "eirp": "eirp_dbm", "eirp(dbm)": "eirp_dbm", "方位角": "azimuths_deg",
    # poles
    "杆类型": "kind", "杆件类型": "kind", "权属单位": "owner", "产权单位": "owner", "供电容量(w)": "power_w",
    # plan
    "规划编号": "plan_id", "规划站址编号": "plan_id", "搜索半径": "ring_radius_m", "搜索圈半径": "ring_radius_m",
    "搜索半径(m)": "ring_radius_m", "分区等级": "zone_class", "状态": "status", "建设期限": "term",
    "区域编号": "zone_id", "管控类别": "category", "类别": "category", "原因": "reason",
    # facilities, hotspots, sub-districts
    "设施编号": "facility_id", "设施类型": "kind", "免费开放": "free_access",
    "热点编号": "hotspot_id", "应用场景": "scenario", "场景": "scenario", "权重": "weight", "敏感目标": "receptor",
    "街道代码": "code", "区划代码": "code", "代码": "code", "近似": "approximate",
    "数据说明": "data_note", "数据性质": "data_note",
}

#: Value aliases per canonical column (lower-cased keys) -> canonical value.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "site_type": {
        "宏站": "macro", "宏": "macro", "宏基站": "macro",
        "微站": "micro", "微": "micro", "微基站": "micro", "杆站": "micro", "pole_micro": "micro",
        "室分": "indoor", "室内分布": "indoor", "室内": "indoor",
    },
    "mount": {
        "楼顶抱杆": "rooftop", "楼顶": "rooftop", "楼面": "rooftop", "落地塔": "tower", "景观塔": "tower",
        "铁塔": "tower", "灯杆": "street_lamp", "路灯杆": "street_lamp", "监控杆": "monitoring_pole",
        "智慧杆": "smart_pole", "室内": "indoor", "室分": "indoor", "monitoring": "monitoring_pole",
    },
    "power_supply": {"直供电": "direct", "直供": "direct", "转供电": "transferred", "转供": "transferred",
                     "未知": "unknown", "": "unknown"},
    "kind": {"路灯杆": "street_lamp", "灯杆": "street_lamp", "监控杆": "monitoring", "其他": "other",
             "monitoring_pole": "monitoring"},
    "category": {"禁建": "prohibited", "禁建区": "prohibited", "限建": "restricted", "限建区": "restricted"},
    "scenario": {"智能制造": "manufacturing", "智能电网": "smart_grid", "智慧商圈": "commercial",
                 "智慧医疗": "healthcare", "智慧教育": "education", "智慧文旅": "culture_tourism",
                 "智慧媒体": "media"},
    "receptor": {"学校": "school", "幼儿园": "kindergarten", "医院": "hospital", "无": "", "none": ""},
    "operator": {"中国移动": "china_mobile", "移动": "china_mobile", "cmcc": "china_mobile", "china mobile": "china_mobile",
                 "中国电信": "china_telecom", "电信": "china_telecom", "ct": "china_telecom", "ctc": "china_telecom",
                 "china telecom": "china_telecom",
                 "中国联通": "china_unicom", "联通": "china_unicom", "cu": "china_unicom", "cucc": "china_unicom",
                 "china unicom": "china_unicom",
                 "中国广电": "china_broadnet", "广电": "china_broadnet", "cbn": "china_broadnet",
                 "china broadnet": "china_broadnet",
                 "中国铁塔": "china_tower", "铁塔": "china_tower", "china tower": "china_tower"},
    "owner": {"铁塔": "china_tower", "中国铁塔": "china_tower", "铁塔公司": "china_tower", "自有": "operator",
              "自建": "operator", "运营商": "operator", "其他": "other", "第三方": "other"},
    "use": {"住宅": "residential", "居住": "residential", "商业": "commercial", "商场": "commercial",
            "办公": "office", "写字楼": "office", "学校": "school", "教育": "school", "医院": "hospital",
            "医疗": "hospital", "工业": "industrial", "厂房": "industrial", "公共": "public", "公共建筑": "public",
            "其他": "other"},
    "loss_class": {"低损耗": "low", "高损耗": "high", "low-loss": "low", "high-loss": "high"},
}

BOOL_TRUE = {"true", "1", "yes", "y", "是", "t"}
BOOL_FALSE = {"false", "0", "no", "n", "否", "f", ""}
