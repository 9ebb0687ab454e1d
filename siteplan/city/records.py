"""Completion records of a city run: which districts' outputs are finished, and for which inputs.

A district of a city run writes its outputs into ``<out>/districts/<code>/`` (a district run's own output folder,
swapped in whole when the run ends, :mod:`siteplan.io.outfolder`) and then a record ``<out>/runs/<code>.json``
keyed by everything that decides those outputs: the siteplan version, the steps run, and the sha256 of
``district.toml``, of every layer file and of the district's site registry (its approved sites are fixed in the
plan). A later run skips a district whose record carries the same key and whose ``summary.json`` is still the one
the record names; anything else is run again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .._version import __version__
from ..io.readers import sha256_file

__all__ = ["RECORDS_DIR", "district_inputs", "is_finished", "read_record", "record_path", "run_key", "write_record"]

#: Folder of the completion records inside a city output folder.
RECORDS_DIR = "runs"


def district_inputs(folder: str | Path) -> dict[str, str]:
    """sha256 of everything a district run reads (relative path -> digest), without reading any layer:
    ``district.toml``, each declared layer file, and the site registry when it exists (``registry:<name>``)."""
    from ..config import load_config
    from ..io.district import input_hashes

    cfg = load_config(folder)
    hashes = input_hashes(cfg)
    reg = Path(cfg.review.registry)
    reg = reg if reg.is_absolute() else cfg.root / reg
    if reg.is_file():
        hashes[f"registry:{reg.name}"] = sha256_file(reg)
    return dict(sorted(hashes.items()))


def run_key(inputs: dict[str, str], steps) -> str:
    """The key of a district run: sha256 of the siteplan version, the steps and the inputs' hashes."""
    payload = {"siteplan_version": __version__, "steps": list(steps), "input_hashes": dict(sorted(inputs.items()))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def record_path(out: str | Path, code: str) -> Path:
    return Path(out) / RECORDS_DIR / f"{code}.json"


def read_record(out: str | Path, code: str) -> dict | None:
    """The district's record, or None when there is none or it cannot be read."""
    try:
        return json.loads(record_path(out, code).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_record(out: str | Path, code: str, *, key: str, inputs: dict[str, str], steps, district_out: Path) -> Path:
    """Record that ``district_out`` holds a finished run of ``code`` for ``key`` (atomic)."""
    from ..io import write_json

    path = record_path(out, code)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_json({"code": code, "key": key, "siteplan_version": __version__, "steps": list(steps),
                       "input_hashes": inputs, "folder": str(Path(district_out).name),
                       "summary_sha256": sha256_file(Path(district_out) / "summary.json")}, path)


def is_finished(out: str | Path, code: str, key: str, district_out: Path) -> bool:
    """True when the district's outputs are a finished run for ``key`` (so a resumed run skips it)."""
    rec = read_record(out, code)
    summary = Path(district_out) / "summary.json"
    if rec is None or rec.get("key") != key or not summary.is_file():
        return False
    return rec.get("summary_sha256") == sha256_file(summary)
