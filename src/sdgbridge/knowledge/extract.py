"""The text of a document for the knowledge base: PDF (page by page), DOCX, HTML, Markdown and
plain text, with a title and a content hash for finding duplicates.

The format is decided by the content's signature (``%PDF-``, a ZIP holding
``word/document.xml``), then by the file name's extension. A document that cannot be read
(encrypted, damaged, a ZIP bomb, too large, an unknown format or encoding, no text) raises
:class:`~sdgbridge.errors.DocumentError` naming the file and what to do; nothing is written.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import io
import logging
import re
import unicodedata
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import charset_normalizer
import lxml.html
from lxml import etree
from markdown_it import MarkdownIt
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PyPdfError

from sdgbridge.errors import N_, DocumentError, Phrase
from sdgbridge.knowledge.docx import read_docx

FORMATS = ("pdf", "docx", "html", "markdown", "text")
_EXTENSIONS = {".htm": "html", ".html": "html", ".xhtml": "html", ".md": "markdown",
               ".markdown": "markdown"}
# Single-byte encodings met in the region's documents; a restricted list decides far better
# between windows-1251, KOI8-R and CP866 than an open search (tried on short Russian texts).
_ENCODINGS = ["cp1251", "koi8_r", "koi8_u", "cp866", "mac_cyrillic", "iso8859_5", "cp1252",
              "cp1254"]
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
# ZIP bomb limits, checked on the ZIP directory before anything is inflated.
# pypdf raises these (besides its own errors) on damaged files.
_PDF_FAILURES = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
                 RecursionError, AssertionError, zlib.error, OSError)


@dataclass(frozen=True)
class Page:
    """One page of a PDF, or the whole text of another format (number 1)."""

    number: int
    text: str


@dataclass(frozen=True)
class ExtractedText:
    """The extracted text, page by page, with its format, title and content hash."""

    pages: list[Page]
    format: str
    title: str | None
    sha256: str

    @cached_property
    def text(self) -> str:
        """The pages joined with a blank line; chunk offsets refer to this string."""
        return "\n\n".join(page.text for page in self.pages)

    @cached_property
    def _page_starts(self) -> list[int]:
        starts, position = [], 0
        for page in self.pages:
            starts.append(position)
            position += len(page.text) + 2
        return starts

    def page_at(self, offset: int) -> int:
        """The number of the page that holds character ``offset`` of :attr:`text`."""
        if not self.pages:
            return 1
        index = max(bisect.bisect_right(self._page_starts, offset) - 1, 0)
        return self.pages[index].number


def content_sha256(text: str) -> str:
    """sha256 of the text with Unicode NFC and every run of whitespace made one space."""
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def extract_text(path: Path, *, max_bytes: int = 50_000_000) -> ExtractedText:
    """Read the document at ``path``; DocumentError names the file and what to do."""
    path = Path(path)
    data = _read(path, max_bytes)
    fmt = _sniff(path, data)
    if fmt == "pdf":
        pages, title = _pdf(path, data)
    elif fmt == "docx":
        body, title = read_docx(path, data)
        pages = [Page(1, body)]
    else:
        return _from_string(_decode(path, data, fmt), fmt, str(path))
    return _document(pages, fmt, title, str(path))


def extract_string(text: str, *, format: str = "text") -> ExtractedText:
    """The same result for text typed in (a record, a project description)."""
    if format not in ("text", "markdown", "html"):
        raise DocumentError(N_("A typed-in text can be 'text', 'markdown' or 'html', not "
                               "{format!r}; upload a {upper} file as a file instead."),
                            format=format, upper=format.upper())
    return _from_string(text, format, Phrase(N_("the text")))


def _from_string(text: str, fmt: str, name: str) -> ExtractedText:
    if fmt == "html":
        body, title = _html(text)
    elif fmt == "markdown":
        body, title = _markdown(text)
    else:
        body, title = text, None
    return _document([Page(1, body)], fmt, title, name)


def _document(pages: list[Page], fmt: str, title: str | None, name: str) -> ExtractedText:
    kept = [Page(p.number, t) for p in pages if (t := _tidy(p.text))]
    if not any(_readable(page.text) for page in kept):
        if fmt == "pdf":
            raise DocumentError(N_("{name}: no text found in this PDF document. It may be a "
                                   "scan without a text layer: run OCR on it (for example "
                                   "`ocrmypdf in.pdf out.pdf`) and add the result."), name=name)
        raise DocumentError(N_("{name}: no text found in this {format} document. Check that "
                               "the right file was chosen."), name=name, format=fmt.upper())
    text = "\n\n".join(page.text for page in kept)
    return ExtractedText(kept, fmt, _clean_title(title), content_sha256(text))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\ufeff]")


def _tidy(text: str) -> str:
    """NFC, Unix newlines, no control characters or soft hyphens, no trailing spaces,
    at most one blank line in a row, no leading or trailing blank space."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    text = re.sub(r"[ \t\u00a0]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _readable(text: str) -> bool:
    """Holds a letter or digit (not only marks, or U+FFFD where a font had no mapping)."""
    return any(ch.isalnum() for ch in text)


def _clean_title(title: object) -> str | None:
    text = " ".join(str(title).split()) if title else ""
    return text or None


# --- reading and sniffing ------------------------------------------------------------------

def _read(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise DocumentError(N_("{path}: is a folder; give the path of one document."),
                                path=path)
        if size > max_bytes:
            raise DocumentError(N_(
                "{path}: {size:,} bytes is over the limit of {max_bytes:,} bytes. Split the "
                "document into parts, or raise the limit (max_bytes) if it is genuine."),
                path=path, size=size, max_bytes=max_bytes)
        return path.read_bytes()
    except OSError as exc:
        raise DocumentError(N_("{path}: cannot be read ({reason}). Check the path and the "
                               "file's permissions."), path=path,
                            reason=exc.strerror or exc) from exc


_BINARY = {b"\x89PNG": N_("a PNG image"), b"\xff\xd8\xff": N_("a JPEG image"),
           b"GIF8": N_("a GIF image"), b"\xd0\xcf\x11\xe0": N_("an old Office file (.doc/.xls)"),
           b"\x1f\x8b": N_("a gzip archive"), b"Rar!": N_("a RAR archive"),
           b"7z\xbc\xaf": N_("a 7-Zip archive")}


def _sniff(path: Path, data: bytes) -> str:
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    for magic, what in _BINARY.items():
        if data.startswith(magic):
            _unknown(path, what)
    ext = path.suffix.lower()
    if ext == ".pdf":
        raise DocumentError(N_("{path}: named .pdf but does not start like a PDF (no %PDF- "
                               "header); the file is damaged or not a PDF. Fetch it again."),
                            path=path)
    if ext == ".docx":
        raise DocumentError(N_("{path}: named .docx but is not a ZIP archive; the file is "
                               "damaged or not a Word document. Save it again from Word."),
                            path=path)
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return "html" if head.startswith((b"<!doctype html", b"<html")) else "text"


def _unknown(path: Path, what: str) -> None:
    raise DocumentError(N_("{path}: {what} is not a format the knowledge base reads. Give a "
                           "PDF, DOCX, HTML, Markdown or plain-text file (save or convert it "
                           "first)."), path=path, what=Phrase(what))


def _decode(path: Path, data: bytes, fmt: str) -> str:
    """Text by byte-order mark, else UTF-8, else the HTML's declared charset, else detected."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DocumentError(N_("{path}: starts with a {encoding} byte-order mark but "
                                       "is not valid {encoding} (byte {byte}). Save it again "
                                       "as UTF-8."), path=path, encoding=encoding,
                                    byte=exc.start) from exc
    if b"\x00" in data or _control_share(data) > 0.01:
        _unknown(path, N_("a binary file"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data) if fmt == "html" else None
    if declared:
        return data.decode(declared, "replace")
    best = charset_normalizer.from_bytes(data, cp_isolation=_ENCODINGS).best()
    if best is None:
        raise DocumentError(N_("{path}: the text encoding cannot be decided (not UTF-8, nor "
                               "windows-1251, KOI8-R, CP866 or windows-1252). Save the file as "
                               "UTF-8 and add it again."), path=path)
    return str(best)


def _control_share(data: bytes) -> float:
    sample = data[:65536]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / max(len(sample), 1)


def _declared_charset(data: bytes) -> str | None:
    match = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", data[:4096], re.I)
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


# --- PDF -------------------------------------------------------------------------------------

def _pdf(path: Path, data: bytes) -> tuple[list[Page], str | None]:
    if b"%%EOF" not in data[-2048:]:
        raise DocumentError(N_("{path}: the PDF is truncated (no %%EOF end marker); download "
                               "or copy it again in full."), path=path)
    with _pypdf_warnings() as damage:
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                _decrypt(path, reader)
            title = reader.metadata.title if reader.metadata else None
            pages = [Page(n, page.extract_text() or "") for n, page in enumerate(reader.pages, 1)]
        except DocumentError:
            raise
        except _PDF_FAILURES as exc:
            damage.insert(0, f"{type(exc).__name__}: {exc}")
            pages, title = [], None
    if damage and not any(_readable(_tidy(page.text)) for page in pages):
        raise DocumentError(N_("{path}: the PDF is damaged and no text could be read from it "
                               "({damage}). Fetch it again, or print it to a new PDF."),
                            path=path, damage=damage[0])
    return pages, title


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    """What pypdf logs while it repairs a damaged file (kept off the console)."""
    handler = _Collect()
    logger = logging.getLogger("pypdf")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def _decrypt(path: Path, reader: PdfReader) -> None:
    """Open a PDF encrypted with an empty user password (restrictions only); refuse others."""
    try:
        opened = reader.decrypt("")
    except DependencyError:
        opened = PasswordType.NOT_DECRYPTED
    if not opened:
        raise DocumentError(N_("{path}: the PDF is encrypted with a password. Ask its "
                               "publisher for an unencrypted copy (or save one without the "
                               "password)."), path=path)


# --- HTML and Markdown -----------------------------------------------------------------------

_DROPPED = ("script", "style", "nav", "noscript", "template", "head", "svg", "iframe",
            "object", "embed", "form")
_BLOCKS = frozenset({"p", "div", "section", "article", "main", "header", "footer", "aside",
                     "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
                     "table", "tr", "thead", "tbody", "blockquote", "pre", "figure",
                     "figcaption", "address", "hr", "body", "caption"})
_BLOCK, _LINE = "\ue000", "\ue001"  # private-use markers: not white space, survive split()


def _html(source: str) -> tuple[str, str | None]:
    source = re.sub(r"^\s*<\?xml[^>]*\?>", "", source).translate({ord(_BLOCK): None,
                                                                   ord(_LINE): None})
    if not source.strip():
        return "", None
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml.html.document_fromstring(source, parser=parser)
    except etree.ParserError:
        return "", None
    title = root.findtext(".//title")
    for element in root.xpath("|".join(f"//{tag}" for tag in _DROPPED)):
        element.drop_tree()
    return _html_text(root), title


def _html_text(root: etree._Element) -> str:
    parts: list[str] = []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(element.tag, str):
            continue
        block = element.tag in _BLOCKS
        if event == "start":
            parts.append(_BLOCK if block else _LINE if element.tag == "br" else "")
            parts.append(element.text or "")
        else:
            parts.append(_BLOCK if block else " " if element.tag in ("td", "th") else "")
            parts.append(element.tail or "")
    flat = " ".join("".join(parts).split())
    blocks = []
    for piece in flat.split(_BLOCK):
        lines = [line.strip() for line in piece.split(_LINE)]
        blocks.append("\n".join(line for line in lines if line))
    return "\n\n".join(block for block in blocks if block)


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.S)


def _markdown(source: str) -> tuple[str, str | None]:
    """Markdown rendered (CommonMark + tables) and read as HTML; title = first heading,
    or ``title:`` of a YAML front matter."""
    source = source.replace("\r\n", "\n")
    front = _FRONT_MATTER.match(source)
    title = None
    if front:
        found = re.search(r"^title:\s*['\"]?(.+?)['\"]?\s*$", front.group(1), re.M)
        title = found.group(1) if found else None
        source = source[front.end():]
    html = MarkdownIt("commonmark").enable("table").render(source)
    body, _ = _html(f"<html><body>{html}</body></html>")
    if title is None and html.strip():
        heading = lxml.html.fromstring(html).xpath("(//h1|//h2|//h3|//h4|//h5|//h6)[1]")
        title = heading[0].text_content() if heading else None
    return body, title
