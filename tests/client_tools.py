"""The clients siteplan's readers open its files with: GDAL's command-line tools and GeoPackage validator,
LibreOffice (for Excel/WPS).

Tests needing them skip when a tool is absent, unless SITEPLAN_REQUIRE_BROWSER=1 (CI installs them with
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


def skip_or_fail(msg: str) -> None:
    """Skip a test whose client is missing; in CI (SITEPLAN_REQUIRE_BROWSER=1) fail instead."""
    if os.environ.get("SITEPLAN_REQUIRE_BROWSER") == "1":
        pytest.fail(msg + " and SITEPLAN_REQUIRE_BROWSER=1")
    pytest.skip(msg)


def require(tool: str, package: str = "gdal-bin") -> str:
    """The path of a client program, or skip/fail (see :func:`skip_or_fail`)."""
    exe = shutil.which(tool)
    if exe is None:
        skip_or_fail(f"{tool} not installed ({package}; run .ci/install-browser.sh)")
    return exe


def soffice() -> str:
    """LibreOffice's command line (libreoffice-calc), or skip/fail."""
    if shutil.which("soffice") is None and shutil.which("libreoffice"):
        return shutil.which("libreoffice")
    return require("soffice", "libreoffice-calc")


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
        skip_or_fail(f"GDAL's validator {VALIDATE_GPKG} not installed (python3-gdal)")
    proc = subprocess.run([SYSTEM_PYTHON, str(VALIDATE_GPKG), str(path)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), (
        proc.stdout[-3000:] + proc.stderr[-3000:])
