"""Write the IATI code lists shipped with sdgbridge (``projects/iati/data/codelists.csv``: one
row per code list and code) from a folder of IATI code list XML files, e.g. the
IATI-Codelists 'embedded' and IATI-Codelists-NonEmbedded 'xml' folders:

    python scripts/package_iati_codelists.py ../shared/data/iati/codelists
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from sdgbridge.projects.iati import PACKAGED_CODELISTS
from sdgbridge.projects.iati.codelists import load_codelists


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder of IATI code list XML files")
    parser.add_argument("--out", type=Path, default=PACKAGED_CODELISTS)
    args = parser.parse_args()
    lists = load_codelists(args.folder)
    with args.out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["codelist", "code"])
        writer.writerows((name, code) for name in sorted(lists) for code in sorted(lists[name]))
    print(f"Wrote {args.out}: {len(lists)} code lists, "
          f"{sum(map(len, lists.values())):,} codes.")


if __name__ == "__main__":
    main()
