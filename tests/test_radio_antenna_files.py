"""MSI/Planet antenna pattern files: parsing (CRLF, comments, dBd, errors naming file and line) and evaluation."""

import numpy as np
import pytest

from siteplan.radio import antenna
from siteplan.radio import antenna_files as af

# A hand-written pattern at 45 deg steps: small enough to check every interpolation by hand.
SMALL = """# hand-written test pattern
NAME TEST-PANEL
MAKE siteplan tests
FREQUENCY 3500
GAIN 15.35 dBd
TILT ELECTRICAL 0
COMMENT losses in dB below the peak
HORIZONTAL 8
0 0
45 6
90 15
135 25
180 30
225 25
270 15
315 6
VERTICAL 8
0 0
45 20
90 30
135 29
180 28
225 29
270 30
315 20
"""


def test_small_file_header():
    p = af.parse_msi(SMALL, source="small.msi")
    assert p.name == "TEST-PANEL" and p.frequency_mhz == 3500.0
    assert p.gain_dbi == pytest.approx(17.5)  # 15.35 dBd + 2.15
    assert p.electrical_tilt_deg == 0.0
    assert p.extra["MAKE"] == "siteplan tests" and p.extra["COMMENT"].startswith("losses")
    assert p.h_loss_db.size == 8 and p.v_angles_deg[-1] == 315.0


@pytest.mark.parametrize(
    "phi,dep,tilt,expected",
    [
        (0.0, 0.0, 0.0, 0.0),
        (22.5, 0.0, 0.0, 3.0),       # A_H halfway 0 -> 6
        (-22.5, 0.0, 0.0, 3.0),      # wraps: halfway 315 (6) -> 360 (0)
        (0.0, 22.5, 0.0, 10.0),      # A_V halfway 0 -> 20 (below the horizon)
        (0.0, -22.5, 0.0, 10.0),     # above the horizon: 337.5, halfway 315 (20) -> 360 (0)
        (45.0, 22.5, 0.0, 16.0),     # 6 + 10
        (90.0, 45.0, 0.0, 30.0),     # 15 + 20 = 35, capped at A_m = 30
        (180.0, 0.0, 0.0, 30.0),     # back: A_H 30 + (V(180) - V(180)) = 30
        (135.0, 45.0, 0.0, 26.0),    # back: 25 + (V(135) - V(180)) = 25 + 1
        (0.0, 22.5, 22.5, 0.0),      # a 22.5 deg mechanical tilt brings the beam down there
        # back, tilt 10: theta' = 0 - 10 cos(135) = 7.071; V(180 - 7.071 = 172.93) = 29 - 37.93/45 = 28.157;
        # 25 + (28.157 - 28) = 25.157
        (135.0, 0.0, 10.0, 25.157),
    ],
)
def test_attenuation_by_hand(phi, dep, tilt, expected):
    p = af.parse_msi(SMALL)
    got = float(af.msi_attenuation_db(p, phi, dep, mechanical_tilt_deg=tilt))
    assert got == pytest.approx(expected, abs=1e-3)


def test_gain_is_peak_minus_attenuation_vectorized():
    p = af.parse_msi(SMALL)
    phi = np.array([[0.0, 22.5], [45.0, 180.0]])
    g = af.msi_gain_dbi(p, phi, np.zeros_like(phi))
    np.testing.assert_allclose(g, 17.5 - np.array([[0.0, 3.0], [6.0, 30.0]]))


def _full_file(gain_line="GAIN 17.5", newline="\r\n", h_bw=65.0, v_bw=10.0, tilt=6.0):
    rows = ["// generated: TR 38.901 Table 7.3-1 cuts at 1 deg", "NAME 3GPP-65-10", gain_line,
            f"TILT ELECTRICAL {tilt:g}", "HORIZONTAL 360"]
    for a in range(360):
        phi = a if a <= 180 else a - 360
        rows.append(f"{a} {min(12 * (phi / h_bw) ** 2, 30.0):.4f}")
        if a == 100:
            rows.append("# a comment inside a section")
    rows.append("VERTICAL 360")
    for a in range(360):
        dep = a if a <= 180 else a - 360  # front half: depression = angle (MSI: 90 = straight down)
        loss = min(12 * ((dep - tilt) / v_bw) ** 2, 30.0) if -90 <= dep <= 90 else 30.0
        rows.append(f"{a}\t{loss:.4f}")
    return newline.join(rows) + newline


def test_full_file_with_crlf_comments_and_default_dbd(tmp_path):
    path = tmp_path / "aau.msi"
    path.write_bytes(_full_file().encode("utf-8"))
    p = af.read_msi(path)
    assert p.h_loss_db.size == 360 and p.v_loss_db.size == 360
    assert p.gain_dbi == pytest.approx(19.65)  # no unit: dBd
    assert p.electrical_tilt_deg == 6.0 and p.source == str(path)


def test_front_hemisphere_matches_the_3gpp_pattern_it_was_made_from(tmp_path):
    path = tmp_path / "aau.pln"
    path.write_text(_full_file(gain_line="GAIN 17 dBi"), encoding="utf-8")
    p = af.read_msi(path)
    phi, dep = np.meshgrid(np.linspace(-60.0, 60.0, 25), np.linspace(-20.0, 40.0, 31))
    got = -af.msi_attenuation_db(p, phi, dep)
    ref = antenna.sector_pattern_db(phi, dep, h_beamwidth_deg=65.0, v_beamwidth_deg=10.0, tilt_deg=6.0)
    np.testing.assert_allclose(got, ref, atol=0.05)  # linear interpolation of 1 deg steps


def test_gb18030_file_is_read(tmp_path):
    path = tmp_path / "zte.msi"
    path.write_bytes(_full_file(gain_line="GAIN 17 dBi").replace("3GPP-65-10", "宏站天线").encode("gb18030"))
    assert af.read_msi(path).name == "宏站天线"


@pytest.mark.parametrize(
    "text,match",
    [
        (SMALL.replace("VERTICAL 8", "VERTICAL 9"), r"bad\.msi: line 25: VERTICAL: expected 9 .* found 8 before the end"),
        (SMALL.replace("45 6\n", "45 six\n"), r"bad\.msi: line 10: HORIZONTAL: expected two numbers"),
        (SMALL.replace("90 15\n", "90\n"), r"bad\.msi: line 11: HORIZONTAL: expected 'angle attenuation'"),
        (SMALL.replace("135 25\n", "400 25\n"), r"line 12: HORIZONTAL: angle 400 is outside"),
        (SMALL.replace("135 25\n", "135 -3\n"), r"line 12: HORIZONTAL: attenuation -3 dB"),
        (SMALL.replace("135 25\n", "90 25\n"), r"HORIZONTAL: an angle is listed twice"),
        (SMALL.replace("GAIN 15.35 dBd", "GAIN 15 dBm"), r"line 5: GAIN unit"),
        (SMALL.replace("GAIN 15.35 dBd\n", ""), r"bad\.msi: line \d+: no GAIN line"),
        (SMALL.split("VERTICAL")[0], r"bad\.msi: line \d+: no VERTICAL section"),
    ],
)
def test_bad_files_name_file_and_line(text, match):
    with pytest.raises(af.AntennaFileError, match=match):
        af.parse_msi(text, source="bad.msi")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(af.AntennaFileError, match="nope.msi"):
        af.read_msi(tmp_path / "nope.msi")
