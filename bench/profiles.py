"""Benchmark: a country's and the region's profile as PDF (issue 18: one country under 3 s,
the region under 10 s), reported against the time to render the same country's web page.

The store (a temporary SQLite file) holds what `make demo` loads: the UNSD 2023-12 data of the
region and both IATI folders of ``../shared/data/iati``. Measured in the same run, each the
median of ``--repeat`` runs:

* **page**: ``GET /country/KGZ`` rendered by the web app (the figures kept, as a running server
  keeps them), the peer a user would otherwise print;
* **profile, warm**: :func:`render_profile` for Kyrgyzstan and the region in Russian, with the
  figures kept as in the running server (the pages' button);
* **profile, cold**: the same with nothing kept (``sdgbridge report`` from the command line:
  the four methods' assessments computed first, as no published run exists);
* split into the figures, the HTML and the PDF engine (WeasyPrint).

    python bench/profiles.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fastapi.testclient import TestClient  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from sdgbridge.config import Settings  # noqa: E402
from sdgbridge.db.engine import make_engine  # noqa: E402
from sdgbridge.ingest.load import ingest  # noqa: E402
from sdgbridge.kept import Keeper  # noqa: E402
from sdgbridge.projects.service import import_files  # noqa: E402
from sdgbridge.reference.seed import set_up_store  # noqa: E402
from sdgbridge.reports.pdf import html_to_pdf  # noqa: E402
from sdgbridge.web.app import create_app  # noqa: E402
from sdgbridge.web.profiles import profile_html, profile_of, render_profile  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
DERIVED = SHARED / "sdg" / "derived" / "unsd_sdg_2023-12_central_asia_afg_sdg_layout.csv"
GROUP = "CARSDG"
TARGETS = {"KGZ": 3.0, "region": 10.0}


def _median(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _measure(engine, code: str, page: float, repeat: int) -> bool:  # type: ignore[no-untyped-def]
    """Print the profile's timings for ``code``; whether the warm one meets its target."""
    kept = Keeper()
    render_profile(engine, code, GROUP, "ru", "pdf", kept)  # keep the figures
    warm = _median(lambda: render_profile(engine, code, GROUP, "ru", "pdf", kept), repeat)
    cold = _median(lambda: render_profile(engine, code, GROUP, "ru", "pdf"), repeat)
    figures = _median(lambda: profile_of(engine, code, GROUP, "ru"), repeat)
    prof = profile_of(engine, code, GROUP, "ru", kept)
    html = profile_html(prof)
    to_html = _median(lambda: profile_html(prof), repeat)
    pdf = _median(lambda: html_to_pdf(html, prof.stands_at), repeat)
    pages = len(PdfReader(BytesIO(html_to_pdf(html, prof.stands_at))).pages)
    target = TARGETS[code]
    print(f"{code}: profile (ru, PDF) warm {warm:.2f} s, cold {cold:.2f} s (figures "
          f"{figures:.2f} s, HTML {to_html:.2f} s, PDF engine {pdf:.2f} s; {pages} pages); "
          f"{warm / page:.1f}x the country page; target {target:.0f} s: "
          f"{'PASS' if warm < target else 'FAIL'}")
    return warm < target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not DERIVED.exists():
        print(f"{DERIVED} not found: ../shared/data must be beside the repository")
        return 2
    with tempfile.TemporaryDirectory(prefix="sdgbridge-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'store.db'}"
        engine = make_engine(url)
        set_up_store(engine)
        ingest(engine, DERIVED)
        settings = Settings(database_url=url)
        import_files(engine, settings, [SHARED / "iati" / "activities",
                                        SHARED / "iati" / "dportal"])
        client = TestClient(create_app(Settings(database_url=url, page_cache_entries=0),
                                       engine=engine))
        client.get("/country/KGZ?lang=ru")  # the app's figures kept, as in a running server
        page = _median(lambda: client.get("/country/KGZ?lang=ru"), args.repeat)
        print(f"peer: the country page (GET /country/KGZ, figures kept): {page:.2f} s")
        failed = False
        for code in ("KGZ", "region"):
            failed |= not _measure(engine, code, page, args.repeat)
        engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
