"""DOCX text: paragraphs and tables read with zipfile and lxml, never inflating a ZIP bomb
(sizes and ratios are checked in the ZIP directory first) and never expanding a DTD or an
entity (each XML member goes through :func:`sdgbridge.xml.parse_xml`)."""

from __future__ import annotations

import io
import tempfile
import zipfile
import zlib
from pathlib import Path

from lxml import etree

from sdgbridge.errors import N_, DocumentError, InputError
from sdgbridge.xml import parse_xml

_ZIP_MAX_ENTRIES = 10_000
_ZIP_MAX_MEMBER = 200_000_000      # bytes of one inflated member that is read
_ZIP_MAX_TOTAL = 1_000_000_000     # bytes of all members together, as declared
_ZIP_MAX_RATIO = 100               # inflated/compressed, for members over _ZIP_RATIO_FLOOR
_ZIP_RATIO_FLOOR = 1_000_000
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"


def read_docx(path: Path, data: bytes) -> tuple[str, str | None]:
    """The text (paragraphs and table rows, blank-line separated) and title of a DOCX."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentError(N_("{path}: a damaged ZIP archive ({reason}); if it is a Word "
                               "document save it again from Word."), path=path,
                            reason=exc) from exc
    with archive:
        _check_zip(path, archive.infolist())
        names = set(archive.namelist())
        if "word/document.xml" not in names:
            raise DocumentError(N_("{path}: a ZIP archive that is not a Word document is not "
                                   "a format the knowledge base reads. Give a PDF, DOCX, HTML, "
                                   "Markdown or plain-text file (save or convert it first)."),
                                path=path)
        body = _member_xml(path, archive, "word/document.xml").find(f"{_W}body")
        title = None
        if "docProps/core.xml" in names:
            title = _member_xml(path, archive, "docProps/core.xml").findtext(_DC_TITLE)
    blocks = _docx_blocks(body) if body is not None else []
    return "\n\n".join(blocks), title


def _check_zip(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a ZIP bomb from its directory, before inflating anything."""
    total = sum(info.file_size for info in infos)
    why: tuple[str, dict[str, object]] | None = None
    if len(infos) > _ZIP_MAX_ENTRIES:
        why = (N_("{path}: refused as a possible ZIP bomb ({entries:,} entries); nothing was "
                  "inflated. Save the document as PDF, or split it into parts."),
               {"entries": len(infos)})
    elif total > _ZIP_MAX_TOTAL:
        why = (N_("{path}: refused as a possible ZIP bomb ({total:,} bytes once inflated); "
                  "nothing was inflated. Save the document as PDF, or split it into parts."),
               {"total": total})
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _ZIP_MAX_MEMBER or (
                info.file_size > _ZIP_RATIO_FLOOR and ratio > _ZIP_MAX_RATIO):
            why = (N_("{path}: refused as a possible ZIP bomb ({member} inflates {packed:,} to "
                      "{size:,} bytes, ratio {ratio:,.0f}); nothing was inflated. Save the "
                      "document as PDF, or split it into parts."),
                   {"member": info.filename, "packed": info.compress_size,
                    "size": info.file_size, "ratio": ratio})
    if why:
        raise DocumentError(why[0], path=path, **why[1])


def _member_xml(path: Path, archive: zipfile.ZipFile, name: str) -> etree._Element:
    """One XML member, inflated up to the cap and parsed safely (no DTD, no entities)."""
    try:
        with archive.open(name) as member:
            raw = member.read(_ZIP_MAX_MEMBER + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
            NotImplementedError) as exc:
        raise DocumentError(N_("{path}: {name} inside the DOCX cannot be inflated ({reason}); "
                               "the file is damaged or protected. Save it again from Word."),
                            path=path, name=name, reason=exc) from exc
    if len(raw) > _ZIP_MAX_MEMBER:
        raise DocumentError(N_("{path}: {name} inflates past {limit:,} bytes; refused as a "
                               "possible ZIP bomb. Save the document as PDF, or split it."),
                            path=path, name=name, limit=_ZIP_MAX_MEMBER)
    with tempfile.TemporaryDirectory() as tmp:
        member_path = Path(tmp) / "member.xml"
        member_path.write_bytes(raw)
        try:
            return parse_xml(member_path).getroot()
        except InputError as exc:
            why = str(exc).split(": ", 1)[-1].split(". ")[0]
            raise DocumentError(N_("{path}: {name} inside the DOCX is refused ({why}). Save "
                                   "the document again from Word, or as PDF."),
                                path=path, name=name, why=why) from exc


def _docx_blocks(parent: etree._Element) -> list[str]:
    """Paragraphs and table rows of a DOCX body, in document order."""
    blocks: list[str] = []
    for element in parent:
        tag = element.tag
        if tag == f"{_W}p":
            blocks.append(_docx_paragraph(element))
        elif tag == f"{_W}tbl":
            for row in element.findall(f"{_W}tr"):
                cells = [" ".join(_docx_paragraph(p) for p in cell.iter(f"{_W}p"))
                         for cell in row.findall(f"{_W}tc")]
                blocks.append(" | ".join(c.strip() for c in cells))
        elif tag in (f"{_W}sdt", f"{_W}customXml", f"{_W}sdtContent"):
            blocks.extend(_docx_blocks(element))
    return blocks


_RUN_TEXT = {f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n"}


def _docx_paragraph(paragraph: etree._Element) -> str:
    parts = []
    for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        parts.append(node.text or "" if node.tag == f"{_W}t" else _RUN_TEXT[node.tag])
    return "".join(parts)
