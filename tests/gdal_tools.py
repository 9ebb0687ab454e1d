"""GDAL's command-line clients and validator, as a planner's QGIS/GDAL would read siteplan's files.

Tests needing them skip when gdal-bin is absent, unless SITEPLAN_REQUIRE_BROWSER=1 (CI installs it with
.ci/install-browser.sh), in which case they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: GDAL's GeoPackage validator (Debian's python3-gdal, which gdal-bin depends on).
VALIDATE_GPKG = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")
#: The interpreter that has GDAL's Python bindings (Debian's).
SYSTEM_PYTHON = "/usr/bin/python3"


def require(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        msg = f"{tool} not installed (gdal-bin; run .ci/install-browser.sh)"
        if os.environ.get("SITEPLAN_REQUIRE_BROWSER") == "1":
            pytest.fail(msg + " and SITEPLAN_REQUIRE_BROWSER=1")
        pytest.skip(msg)
    return exe


def run_quiet(*cmd: str) -> str:
    """Run a GDAL client; fail on a non-zero exit or on any warning or error it prints about the file."""
    # GDAL_PAM_ENABLED=NO: reading never writes a .aux.xml beside the file (the outputs stay as written)
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GDAL_PAM_ENABLED": "NO"})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    bad = [line for line in out.splitlines() if line.startswith(("Warning", "ERROR", "FAILURE"))]
    assert not bad, bad
    return proc.stdout


def validate_gpkg(path: Path) -> None:
    """GDAL's own GeoPackage validator (checks the OGC requirements); skips where it is not installed."""
    require("ogrinfo")
    if not VALIDATE_GPKG.exists() or not Path(SYSTEM_PYTHON).exists():
        msg = f"GDAL's validator {VALIDATE_GPKG} not installed (python3-gdal)"
        if os.environ.get("SITEPLAN_REQUIRE_BROWSER") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    proc = subprocess.run([SYSTEM_PYTHON, str(VALIDATE_GPKG), str(path)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), (
        proc.stdout[-3000:] + proc.stderr[-3000:])
