#!/usr/bin/env python3
"""One-command set-up for siteplan: `python3 scripts/dev.py run` or `python3 scripts/dev.py test`.

Creates .venv beside the repo (once), installs siteplan into it, then either runs the main job on the bundled
Hedong district or runs the whole test suite. Needs only Python 3.11+ on the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("SITEPLAN_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def sh(*cmd: str | os.PathLike, **kw) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def ensure_venv(extra: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"siteplan needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".siteplan-installed-{extra or 'core'}"
    pyproject = ROOT / "pyproject.toml"
    if not stamp.exists() or stamp.stat().st_mtime < pyproject.stat().st_mtime:
        target = f".[{extra}]" if extra else "."
        sh(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target)
        # Compile the coverage kernel once here (numba caches it), so the first run does not pay for it.
        sh(PY, "-c", "from siteplan.coverage.engine import warm_up; print(f'coverage kernel ready ({warm_up():.1f} s)')")
        stamp.touch()


def browser_setup() -> None:
    """Browser and client tests need Debian's chromium, gdal-bin and libreoffice-calc; install them where we can
    (root with apt), else those tests skip."""
    if all(shutil.which(tool) for tool in ("chromium", "ogrinfo", "soffice")):
        return
    script = ROOT / ".ci" / "install-browser.sh"
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") and script.exists():
        sh("bash", script)
    else:
        print("note: chromium, gdal-bin or libreoffice-calc not found; the tests that open outputs in them will be "
              "skipped (install them with .ci/install-browser.sh)")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    os.environ.setdefault("MPLBACKEND", "Agg")
    if argv[0] == "run":
        ensure_venv("")
        out = ROOT / "out" / "hedong"
        sh(BIN / "siteplan", "run", ROOT / "data" / "districts" / "hedong", "--out", out, *argv[1:])
        print(f"\nOutputs are in {out}  (open {out / 'coverage_map.html'} in a browser)")
        return 0
    ensure_venv("test")
    browser_setup()
    workers = ["-n", os.environ.get("SITEPLAN_TEST_WORKERS", "2")]
    proc = subprocess.run([str(PY), "-m", "pytest", *workers, *argv[1:]], cwd=ROOT)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
