"""Make the Hedong (河东区, Tianjin) sample district: the real boundary plus seeded SAMPLE layers.

A thin wrapper over :func:`siteplan.sample.hedong.generate` (what is real, what is invented and at what density is
documented there and in :mod:`siteplan.sample`). The same seed gives byte-identical files.

Usage::

    python scripts/make_hedong_sample.py [--seed 2020] [--out data/districts/hedong]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from siteplan.sample import hedong
from siteplan.sample.write import update_district_toml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "data" / "districts" / "hedong"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default data/districts/hedong)")
    ap.add_argument("--config", type=Path, default=None,
                    help="district.toml whose rules, networks and weights to use (default OUT/district.toml, "
                         "else the bundled Hedong one)")
    args = ap.parse_args(argv)
    config = args.config or (args.out / "district.toml" if (args.out / "district.toml").is_file()
                             else DEFAULT_OUT / "district.toml")
    t0 = time.perf_counter()
    counts = hedong.generate(args.out, args.seed, config)
    if (args.out / "district.toml").is_file():
        update_district_toml(args.out / "district.toml")
    for k, v in counts.items():
        print(f"{k}: {v}")
    print(f"wrote {args.out} in {time.perf_counter() - t0:.1f} s (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
