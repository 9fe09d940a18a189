"""Specimen documents built at test time in tmp_path: no binary file is kept in the repository.

PDFs are written byte by byte (a Helvetica font with a ToUnicode CMap, so any character can be
put on a page and read back); DOCX files are ZIP archives of WordprocessingML written here.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest
from pypdf import PdfReader, PdfWriter


def pdf_bytes(pages: Sequence[Sequence[str]], *, title: str | None = None) -> bytes:
    """A PDF with one page per item; each item is the page's lines (an empty page has none)."""
    chars = sorted({c for page in pages for line in page for c in line} | {" "})
    if len(chars) > 255:
        raise ValueError("a specimen PDF holds at most 255 distinct characters")
    code = {c: i + 1 for i, c in enumerate(chars)}
    cmap = "\n".join(f"<{code[c]:02X}> <{c.encode('utf-16-be').hex().upper()}>" for c in chars)
    tounicode = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap "
                 "/CMapName /Specimen def 1 begincodespacerange <00> <FF> endcodespacerange\n"
                 f"{len(chars)} beginbfchar\n{cmap}\nendbfchar endcmap "
                 "CMapName currentdict /CMap defineresource pop end end")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 4 0 R >>",
               _stream(tounicode.encode("ascii"))]
    kids = []
    for lines in pages:
        shown = " T* ".join(f"<{''.join(f'{code[c]:02X}' for c in line)}> Tj" for line in lines)
        content = f"BT /F1 12 Tf 14 TL 72 720 Td {shown} ET" if lines else "0 0 10 10 re f"
        objects.append(_stream(content.encode("ascii")))
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
                       f"<< /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>".encode())
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    info = ""
    if title is not None:
        objects.append(f"<< /Title <FEFF{title.encode('utf-16-be').hex()}> >>".encode())
        info = f" /Info {len(objects)} 0 R"
    return _assemble(objects, info)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)


def _assemble(objects: list[bytes], info: str) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\n".encode())
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def encrypt_pdf(data: bytes, *, user_password: str, owner_password: str = "owner") -> bytes:
    """The PDF encrypted (RC4-128, which pypdf writes and reads without extra packages)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password,
                   algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def docx_body(paragraphs: Sequence[str], table: Sequence[Sequence[str]] = ()) -> str:
    """WordprocessingML body: paragraphs (split into two runs each), then a table."""
    parts = []
    for text in paragraphs:
        half = len(text) // 2
        parts.append(f'<w:p><w:r><w:t xml:space="preserve">{_esc(text[:half])}</w:t></w:r>'
                     f'<w:r><w:t xml:space="preserve">{_esc(text[half:])}</w:t></w:r></w:p>')
    if table:
        rows = "".join("<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{_esc(c)}</w:t></w:r></w:p>"
                                          "</w:tc>" for c in row) + "</w:tr>" for row in table)
        parts.append(f"<w:tbl>{rows}</w:tbl>")
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:document xmlns:w="{W_NS}"><w:body>{"".join(parts)}</w:body></w:document>')


def docx_bytes(document_xml: str | bytes, *, title: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document_xml)
        if title is not None:
            archive.writestr("docProps/core.xml", (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties '
                'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
                'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<dc:title>{_esc(title)}</dc:title></cp:coreProperties>"))
    return out.getvalue()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes | str], Path]:
    """write(name, content) -> the path of a new file in tmp_path (str is written as UTF-8)."""

    def _write(name: str, content: bytes | str) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return _write


@pytest.fixture
def specimen(write: Callable[[str, bytes | str], Path]) -> SimpleNamespace:
    """The builders above, plus ``write``: specimen.write("a.pdf", specimen.pdf([["Hi"]]))."""
    return SimpleNamespace(pdf=pdf_bytes, encrypt=encrypt_pdf, docx_body=docx_body,
                           docx=docx_bytes, write=write)
