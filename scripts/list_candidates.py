"""A planner's candidate list: check a district and write the candidates matching some filters.

Examples::

    python scripts/list_candidates.py data/districts/hedong --subdistrict 大王庄街道 --status compliant \
        --reuse pole --out out/list.xlsx
    python scripts/list_candidates.py data/districts/hedong --status conditional --out out/conditional.csv

The output format follows the suffix of ``--out``: ``.xlsx`` (bilingual headers, summary sheets, sample
notice, provenance), ``.csv`` (UTF-8 with BOM) or ``.geojson`` (WGS 84). Everything is computed by
``siteplan.compliance``; this script only filters and writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from siteplan.compliance import check_candidates
from siteplan.compliance.lists import REUSE_FILTERS, filter_candidates, write_lists
from siteplan.compliance.reasons import STATUSES
from siteplan.errors import SiteplanError
from siteplan.io import read_district

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("district", type=Path, help="district folder (with district.toml)")
    ap.add_argument("--subdistrict", help="sub-district name (e.g. 大王庄街道) or code (e.g. 120102001)")
    ap.add_argument("--status", choices=STATUSES)
    ap.add_argument("--reuse", choices=sorted(REUSE_FILTERS), help="reuse kind; 'pole' = street lamp or monitoring")
    ap.add_argument("--build-kind", choices=["public_facility", "existing_site", "pole", "rooftop", "tower", "indoor"])
    ap.add_argument("--site-type", choices=["macro", "micro", "indoor"])
    ap.add_argument("--out", type=Path, required=True, help="output file: .xlsx, .csv or .geojson")
    args = ap.parse_args(argv)
    suffix = args.out.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".geojson"):
        ap.error(f"--out {args.out}: expected a .xlsx, .csv or .geojson file")
    try:
        district = read_district(args.district)
        checked = check_candidates(district)
        sel = filter_candidates(checked, subdistrict=args.subdistrict, status=args.status, reuse=args.reuse,
                                build_kind=args.build_kind, site_type=args.site_type)
        write_lists(sel, args.out.parent, district, stem=args.out.stem, formats=(suffix[1:],))
    except SiteplanError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{len(sel)} of {len(checked)} candidates -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
