"""A report's HTML as a PDF, with WeasyPrint (a real layout engine: CSS paged media, SVG
charts drawn as vectors, fonts with Cyrillic from the system: DejaVu on Debian).

The same HTML and the same ``created`` date give the same bytes: the PDF's creation and
modification dates are ``created`` (a profile passes the date of its newest data release),
and the file identifier is derived from the content."""

from __future__ import annotations

from datetime import UTC, datetime

from sdgbridge.errors import SdgBridgeError


class PdfUnavailable(SdgBridgeError):
    status = 503

    def __init__(self, why: str) -> None:
        super().__init__(f"PDFs cannot be made here: {why}. Install the Pango library and a "
                         "font with Cyrillic (Debian: apt-get install libpango-1.0-0 "
                         "libpangoft2-1.0-0 fonts-dejavu-core), or use --format html.")


def html_to_pdf(html: str, created: datetime | None = None, base_url: str | None = None
                ) -> bytes:
    """The PDF of ``html`` (a whole document with its CSS inline), dated ``created``."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango library is missing
        raise PdfUnavailable(str(exc).splitlines()[0]) from exc
    stamp = (created or datetime(2000, 1, 1, tzinfo=UTC)).astimezone(UTC).replace(
        microsecond=0).isoformat().replace("+00:00", "Z")
    dated = html.replace("<head>", f'<head>\n<meta name="dcterms.created" content="{stamp}">'
                         f'\n<meta name="dcterms.modified" content="{stamp}">', 1)
    document = HTML(string=dated, base_url=base_url)
    return bytes(document.write_pdf(uncompressed_pdf=False))
