"""A run killed at a random point leaves the output folder holding one complete run (issue 13, acceptance 3).

`siteplan run` is started as a subprocess and killed with SIGKILL after a seeded random delay, a few times,
alternating between two versions of a district whose outputs differ. After each kill the output folder must hold
exactly the previous complete run or exactly the new one (every file byte-identical to that run's, timings.json
aside), never a mix, and no temporary file; the next run removes what the killed ones left beside it.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import write_tiny_district

KILLS = 4


def _outputs(folder: Path) -> dict[str, str]:
    """Every entry of the folder -> its sha256 (timings.json: wall-clock times, so only its presence)."""
    return {p.name: "" if p.name == "timings.json" else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir())}


def _run(district: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "SITEPLAN_PROGRESS": "0"}
    return subprocess.Popen([sys.executable, "-m", "siteplan.cli", "run", str(district), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)


def _complete(district: Path, out: Path) -> float:
    t0 = time.perf_counter()
    proc = _run(district, out)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    return time.perf_counter() - t0


@pytest.mark.slow
def test_killed_runs_leave_the_previous_or_the_new_complete_run(tmp_path):
    a = write_tiny_district(tmp_path / "a")
    b = write_tiny_district(tmp_path / "b")
    text = (b / "candidates.csv").read_text(encoding="utf-8")
    (b / "candidates.csv").write_text(text.replace("候选3,", "候选三,"), encoding="utf-8")
    out, ref_b = tmp_path / "out", tmp_path / "ref_b"
    duration = max(_complete(a, out), _complete(b, ref_b))
    runs = {"a": _outputs(out), "b": _outputs(ref_b)}
    assert runs["a"] != runs["b"] and set(runs["a"]) == set(runs["b"])

    rng = random.Random(13)
    for i in range(KILLS):
        before = _outputs(out)
        proc = _run(b if i % 2 == 0 else a, out)
        delay = rng.uniform(0.3, 1.0) * duration
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        after = _outputs(out)
        assert after in (runs["a"], runs["b"]), f"kill {i} after {delay:.2f} s left a mix: {sorted(after)}"
        assert after == before or after == runs["b" if i % 2 == 0 else "a"]

    _complete(b, out)
    assert _outputs(out) == runs["b"]
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out"))
    assert leftovers == [".out.lock"]
