"""district.toml: every enumerated value and every inline-table key is checked, with a "did you mean"."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from siteplan import config as C
from siteplan.cli import cli
from siteplan.config import load_config
from siteplan.errors import ConfigError


def _append(root: Path, text: str) -> None:
    p = root / "district.toml"
    p.write_text(p.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        # the issue's cases: a misspelt pole kind, a misspelt receptor, an unknown inline-table key
        ('[rules]\npole_kinds_for_type = { micro = ["street_lamp", "streetlamp"], macro = [], indoor = [] }',
         (r"rules\.pole_kinds_for_type\.micro\[1\] = 'streetlamp' is not a known value; did you mean 'street_lamp'\? "
          r"\(expected one of: street_lamp, monitoring, other\)")),
        ('[rules]\nemf_receptors = ["school", "kindergarden", "hospital"]',
         r"rules\.emf_receptors\[1\] = 'kindergarden' is not a known value; did you mean 'kindergarten'\?"),
        ("[rules]\nmin_spacing_m = { marco = 150.0, micro = 40.0, indoor = 0.0 }",
         r"unknown key 'rules\.min_spacing_m\.marco'; did you mean 'macro'\? \(expected one of: macro, micro, indoor\)"),
        ('[rules]\nplan_type_compatible = { macro = ["macro"], micro = ["mikro"], indoor = [] }',
         r"rules\.plan_type_compatible\.micro\[0\] = 'mikro' is not a known value; did you mean 'micro'\?"),
        ("[rules]\nreuse_distance_m = { existing_site = 30.0, street_lamps = 15.0 }",
         r"unknown key 'rules\.reuse_distance_m\.street_lamps'; did you mean 'street_lamp'\?"),
        ('[radio]\nband = "78"', r"radio\.band = '78' is not a known value; did you mean 'n78'\?"),
        ('[radio]\nlos_mode = "los-weighted"', r"radio\.los_mode = 'los-weighted' .* did you mean 'los_weighted'\?"),
        ('[radio]\ngap_layer = "outdoors"', r"radio\.gap_layer = 'outdoors' .* did you mean 'outdoor'\?"),
        ("[radio.site_types.marco]\nheight_m = 30.0\ntx_power_per_re_dbm = 18.0\nantenna_gain_dbi = 17.0",
         r"unknown key 'radio\.site_types\.marco'; did you mean 'macro'\?"),
        ('[radio.site_types.micro]\nheight_m = 10.0\ntx_power_per_re_dbm = 6.0\nantenna_gain_dbi = 10.0\nmodel = "umii"',
         r"radio\.site_types\.micro\.model = 'umii' .* did you mean 'umi'\?"),
        ('[optimize]\ndemand = "indor"', r"optimize\.demand = 'indor' .* did you mean 'indoor'\?"),
        ("[scenarios]\nhelthcare = 5.0", r"unknown key 'scenarios\.helthcare'; did you mean 'healthcare'\?"),
        ('[layers.candidate]\nfile = "c.csv"\nframe = "WGS84"',
         r"unknown key 'layers\.candidate'; did you mean 'candidates'\?"),
        ("[radio]\nrsrp_treshold_dbm = -100", r"unknown key 'radio\.rsrp_treshold_dbm'; did you mean 'rsrp_threshold_dbm'\?"),
        ("[rules]\nemf_receptors = [true]", r"rules\.emf_receptors\[0\] = True is not a known value"),
    ],
)
def test_misspelt_config_value_or_key_is_named_with_a_suggestion(tiny_district, toml, message):
    _append(tiny_district, toml)
    with pytest.raises(ConfigError, match=r"district\.toml: .*" + message):
        load_config(tiny_district)


def test_misspelt_pole_kind_is_refused_by_the_cli_and_changes_nothing(tiny_district, tmp_path):
    """Issue 13 case 4: "streetlamp" once took POLE_UNSUITABLE from 14 to 440 silently."""
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["check", str(tiny_district), "--out", str(out)]).exit_code == 0
    before_out, before_in = _hashes(out), _hashes(tiny_district)
    _append(tiny_district, '[rules]\npole_kinds_for_type = { micro = ["streetlamp"], macro = [], indoor = [] }')
    before_in = _hashes(tiny_district)
    res = CliRunner().invoke(cli, ["check", str(tiny_district), "--out", str(out)])
    assert res.exit_code == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output
    assert "district.toml" in lines[0] and "rules.pole_kinds_for_type.micro[0]" in lines[0]
    assert "did you mean 'street_lamp'" in lines[0]
    assert _hashes(out) == before_out and _hashes(tiny_district) == before_in


def test_new_config_field_gets_the_vocabulary_check_from_its_type():
    """The mechanism is generic: a future table declares its words in its field types and is checked for free."""

    @dataclass(frozen=True)
    class Network:
        bands: list[C.Band] = field(default_factory=list)
        site_types: dict[C.SiteType, float] = field(default_factory=dict)
        kind: typing.Literal["shared", "own"] = "own"

    ok = C._build(Network, {"bands": ["n78"], "site_types": {"macro": 1.0}, "kind": "shared"}, "networks.ct", "x.toml")
    assert ok == Network(["n78"], {"macro": 1.0}, "shared")
    with pytest.raises(ConfigError, match=r"x\.toml: networks\.ct\.bands\[1\] = 'n79x' .* did you mean 'n79'\?"):
        C._build(Network, {"bands": ["n78", "n79x"]}, "networks.ct", "x.toml")
    with pytest.raises(ConfigError, match=r"unknown key 'networks\.ct\.site_types\.pico'"):
        C._build(Network, {"site_types": {"pico": 1.0}}, "networks.ct", "x.toml")
    with pytest.raises(ConfigError, match=r"networks\.ct\.kind = 'shard' .* did you mean 'shared'\?"):
        C._build(Network, {"kind": "shard"}, "networks.ct", "x.toml")


def test_vocabularies_agree_with_the_code_that_uses_them():
    from siteplan.compliance.sharing import REUSE_KINDS
    from siteplan.io import schema
    from siteplan.radio import linkbudget, propagation

    args = typing.get_args
    assert args(C.SiteType) == schema.SITE_TYPES
    assert args(C.PoleKind) == schema.POLE_KINDS
    assert args(C.Receptor) == tuple(r for r in schema.RECEPTORS if r)
    assert args(C.Scenario) == schema.SCENARIO_KEYS == tuple(C.SCENARIOS)
    assert args(C.LayerName) == C.LAYER_NAMES
    assert args(C.ReuseKind) == REUSE_KINDS
    assert set(args(C.Band)) == set(linkbudget.BANDS)
    assert args(C.PropagationModel) == propagation.MODELS
    for mode in args(C.LosMode):
        propagation.los_from_mode(mode)
    from siteplan.radio import tdd, uplink

    assert args(C.BuildingUse) == schema.BUILDING_USES
    assert set(args(C.DuplexPattern)) == set(tdd.TDD_PATTERNS) | {"fdd"}
    assert set(args(C.PowerClass)) == set(uplink.POWER_CLASS_DBM)


@pytest.mark.parametrize(("toml", "message"), [
    ("[capacity]\nnetwork_share = { alll = 0.5 }", r"unknown key 'capacity\.network_share\.alll': not a network; did you mean 'all'"),
    ("[capacity]\ntrigger = 1.5", r"capacity\.trigger = 1\.5: expected a PRB utilisation in \(0, 1\]"),
    ("[radio]\nneighbour_load = 0.0", r"radio\.neighbour_load = 0\.0: expected a share in \(0, 1\]"),
    ("[radio]\narea_reliability = 1.0", r"radio\.area_reliability = 1\.0"),
    ('[radio.uplink]\nduplex = { n78 = "fdd", n41 = "cm_n41_5ms_single", n79 = "fdd", n28 = "fdd" }',
     r"radio\.uplink\.duplex\.n78 = 'fdd': band n78 is TDD"),
    ('[radio.buildings]\nhigh_loss_share = { offices = 1.0 }', r"unknown key 'radio\.buildings\.high_loss_share\.offices'"),
])
def test_issue_11_settings_are_checked(tiny_district, toml, message):
    _append(tiny_district, toml)
    with pytest.raises(ConfigError, match=message):
        load_config(tiny_district)


def test_defaults_pass_their_own_vocabulary_check():
    """Every default value would load from a TOML that spells it out."""
    for cls in (C.RadioConfig, C.RulesConfig, C.OptimizeConfig):
        data = json.loads(json.dumps(dataclasses.asdict(cls())))  # as TOML gives it: lists, not tuples
        assert C._build(cls, data, cls.__name__, "x.toml") == cls()


def test_header_row_and_data_dirs_are_read(tiny_district):
    text = (tiny_district / "district.toml").read_text(encoding="utf-8")
    text = text.replace('file = "poles.csv"', 'file = "poles.csv"\nheader_row = 3')
    text = text.replace("sample = true", 'sample = true\ndata_dirs = ["../shared"]', 1)
    (tiny_district / "district.toml").write_text(text, encoding="utf-8")
    cfg = load_config(tiny_district)
    assert cfg.layers["poles"].header_row == 3 and cfg.district.data_dirs == ["../shared"]
    (tiny_district / "district.toml").write_text(text.replace("header_row = 3", "header_row = 0"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"layers\.poles\.header_row = 0: expected a row number"):
        load_config(tiny_district)


def test_optimize_work_limit_is_read_and_validated(tiny_district):
    """The deterministic work limit of each solve: a whole number >= 0 (0 = none), default 2000."""
    assert load_config(tiny_district).optimize.work_limit == 2000
    _append(tiny_district, "[optimize]\nwork_limit = 0")
    assert load_config(tiny_district).optimize.work_limit == 0


@pytest.mark.parametrize("value, message", [("-1", r"optimize\.work_limit = -1"),
                                            ("2.5", r"optimize\.work_limit must be a whole number"),
                                            ("true", r"optimize\.work_limit must be a whole number")])
def test_bad_optimize_work_limit_is_refused(tiny_district, value, message):
    _append(tiny_district, f"[optimize]\nwork_limit = {value}")
    with pytest.raises(ConfigError, match=message):
        load_config(tiny_district)
