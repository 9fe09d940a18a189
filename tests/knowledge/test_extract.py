"""Text extraction from specimen documents built in tmp_path (see conftest.py)."""

from __future__ import annotations

import codecs
import zipfile

import pytest

from sdgbridge.errors import DocumentError, InputError
from sdgbridge.knowledge import docx
from sdgbridge.knowledge.extract import (
    ExtractedText,
    Page,
    content_sha256,
    extract_string,
    extract_text,
)

RU = ("К 2030 году обеспечить всеобщий и равноправный доступ к безопасной и недорогой питьевой "
      "воде для всех.")
KK = "2030 жылға дейін бүкіл әлемдегі барша адамзат үшін кедейлікті жою."
EN = "By 2030, achieve universal and equitable access to safe and affordable drinking water."


# --- PDF -------------------------------------------------------------------------------------

def test_pdf_pages_keep_their_numbers_and_title(specimen):
    pdf = specimen.pdf([[EN, "Second line (6.1)."], [], ["Қазақстан: " + KK]],
                       title="Водные ресурсы 2030")
    doc = extract_text(specimen.write("plan.pdf", pdf))
    assert doc.format == "pdf"
    assert doc.title == "Водные ресурсы 2030"
    assert [(p.number, p.text) for p in doc.pages] == [
        (1, f"{EN}\nSecond line (6.1)."), (3, f"Қазақстан: {KK}")]
    assert doc.text == f"{EN}\nSecond line (6.1).\n\nҚазақстан: {KK}"
    assert doc.page_at(0) == 1
    assert doc.page_at(doc.text.index("Қазақстан")) == 3


def test_pdf_with_only_an_owner_password_is_read(specimen):
    pdf = specimen.encrypt(specimen.pdf([[RU]]), user_password="")
    assert extract_text(specimen.write("restricted.pdf", pdf)).text == RU


def test_encrypted_pdf_asks_for_an_unencrypted_copy(specimen):
    path = specimen.write("secret.pdf", specimen.encrypt(specimen.pdf([[EN]]),
                                                         user_password="secret"))
    with pytest.raises(DocumentError) as caught:
        extract_text(path)
    assert str(caught.value) == (
        f"{path}: the PDF is encrypted with a password. Ask its publisher for an unencrypted "
        "copy (or save one without the password).")


def test_truncated_pdf(specimen):
    pdf = specimen.pdf([[EN], [RU]])
    path = specimen.write("cut.pdf", pdf[: len(pdf) // 2])
    with pytest.raises(DocumentError, match=r"cut\.pdf: the PDF is truncated \(no %%EOF"):
        extract_text(path)


@pytest.mark.parametrize("body", [
    b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n",  # garbage between header and end
    b"%PDF-1.7\n%%EOF\n",                                   # nothing at all
])
def test_corrupt_pdf_is_named_damaged(specimen, body):
    path = specimen.write("broken.pdf", body)
    with pytest.raises(DocumentError, match=r"broken\.pdf: the PDF is damaged .*Fetch it again"):
        extract_text(path)


def test_pdf_whose_font_objects_are_destroyed_is_damaged_not_a_scan(specimen):
    pdf = specimen.pdf([[EN]])
    font = pdf.index(b"3 0 obj")
    path = specimen.write("holed.pdf", pdf[:font] + b"\0" * 200 + pdf[font + 200:])
    with pytest.raises(DocumentError, match="the PDF is damaged"):
        extract_text(path)


def test_pdf_without_a_text_layer_needs_ocr(specimen):
    path = specimen.write("scan.pdf", specimen.pdf([[], []]))
    with pytest.raises(DocumentError, match=r"scan\.pdf: no text found in this PDF document\. "
                                            r"It may be a scan without a text layer: run OCR"):
        extract_text(path)


def test_file_named_pdf_that_is_not_one(specimen):
    with pytest.raises(DocumentError, match=r"report\.pdf: named \.pdf but does not start"):
        extract_text(specimen.write("report.pdf", "just text"))


# --- DOCX ------------------------------------------------------------------------------------

def test_docx_paragraphs_tables_and_title(specimen):
    body = specimen.docx_body([EN, RU, ""], table=[["Goal", "Target"], ["6", "6.1"]])
    doc = extract_text(specimen.write("practice.docx", specimen.docx(body, title=" Water ")))
    assert (doc.format, doc.title, [p.number for p in doc.pages]) == ("docx", "Water", [1])
    assert doc.text == f"{EN}\n\n{RU}\n\nGoal | Target\n\n6 | 6.1"


def test_docx_keeps_spaces_tabs_and_breaks_but_not_deleted_text(specimen):
    w = f'xmlns:w="{specimen_w()}"'
    body = (f'<w:document {w}><w:body><w:p><w:r><w:t>Clean</w:t></w:r>'
            '<w:r><w:t xml:space="preserve"> </w:t></w:r><w:r><w:t>water</w:t><w:tab/>'
            '<w:t>6.1</w:t><w:br/><w:t>next</w:t></w:r>'
            '<w:del><w:r><w:delText>removed</w:delText></w:r></w:del></w:p>'
            '<w:sdt><w:sdtContent><w:p><w:r><w:t>In a control.</w:t></w:r></w:p></w:sdtContent>'
            '</w:sdt></w:body></w:document>')
    doc = extract_text(specimen.write("runs.docx", specimen.docx(body)))
    assert doc.text == "Clean water\t6.1\nnext\n\nIn a control."
    assert doc.title is None


def specimen_w() -> str:
    return "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def test_docx_zip_bomb_is_refused_before_inflating(specimen, monkeypatch):
    body = specimen.docx_body([EN]).replace("</w:body>", " " * 20_000_000 + "</w:body>")
    path = specimen.write("bomb.docx", specimen.docx(body))

    def no_inflating(*args, **kwargs):
        raise AssertionError("a member was inflated")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_inflating)
    with pytest.raises(DocumentError) as caught:
        extract_text(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: refused as a possible ZIP bomb (word/document.xml "
                              "inflates ")
    assert "nothing was inflated. Save the document as PDF, or split it into parts." in message


def test_docx_with_too_many_entries_is_refused(specimen, monkeypatch):
    monkeypatch.setattr(docx, "_ZIP_MAX_ENTRIES", 3)
    path = specimen.write("many.docx", specimen.docx(specimen.docx_body([EN]), title="t"))
    with pytest.raises(DocumentError, match=r"possible ZIP bomb \(4 entries\)"):
        extract_text(path)


def test_docx_xml_with_entities_is_refused_unexpanded(specimen):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            '"&lol;&lol;&lol;&lol;">]>' + specimen.docx_body(["&lol2;"]).split("?>", 1)[1])
    path = specimen.write("entities.docx", specimen.docx(bomb))
    with pytest.raises(DocumentError, match=r"entities\.docx: word/document\.xml inside the "
                                            r"DOCX is refused \(the XML declares a DTD"):
        extract_text(path)


def test_docx_with_broken_xml(specimen):
    path = specimen.write("broken.docx", specimen.docx(specimen.docx_body([EN])[:-30]))
    with pytest.raises(DocumentError, match=r"broken\.docx: word/document\.xml .*broken XML"):
        extract_text(path)


def test_zip_that_is_not_a_word_document(specimen, tmp_path):
    path = tmp_path / "table.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(DocumentError, match=r"table\.docx: a ZIP archive that is not a Word "
                                            r"document is not a format"):
        extract_text(path)


def test_damaged_zip(specimen):
    data = specimen.docx(specimen.docx_body([EN]))
    with pytest.raises(DocumentError, match=r"cut\.docx: a damaged ZIP archive"):
        extract_text(specimen.write("cut.docx", data[: len(data) - 40]))


# --- HTML, Markdown ----------------------------------------------------------------------------

PAGE = """<!DOCTYPE html><html><head><meta charset="windows-1251"><title>Вода  и
санитария</title><style>p {{color: red}}</style><script>var x = "Скрипт";</script></head>
<body><nav><a href="/">Главная</a></nav><h1>Цель 6</h1><p>{ru}<br>Вторая   строка.</p>
<!-- комментарий --><ul><li>Один</li><li>Два</li></ul><table><tr><td>6.1</td><td>Вода</td>
</tr></table><noscript>Включите JavaScript</noscript></body></html>"""
PAGE_TEXT = f"Цель 6\n\n{RU}\nВторая строка.\n\nОдин\n\nДва\n\n6.1 Вода"


def test_html_in_windows_1251_with_its_declared_charset(specimen):
    doc = extract_text(specimen.write("page.html", PAGE.format(ru=RU).encode("cp1251")))
    assert (doc.format, doc.title, doc.text) == ("html", "Вода и санитария", PAGE_TEXT)


def test_html_without_a_declared_charset_is_detected(specimen):
    page = PAGE.format(ru=RU).replace('<meta charset="windows-1251">', "")
    doc = extract_text(specimen.write("page.htm", page.encode("koi8_r")))
    assert doc.text == PAGE_TEXT


def test_html_is_recognised_by_content_without_extension(specimen):
    doc = extract_text(specimen.write("download", PAGE.format(ru=RU)))
    assert (doc.format, doc.text) == ("html", PAGE_TEXT)


MARKDOWN = f"""Intro line before any heading.

# Clean *water* for all

Some **bold** text with a [link](https://example.org) and `code`.

- first item
- second item

| Goal | Target |
|------|--------|
| 6    | 6.1    |

{RU}
"""


def test_markdown_markup_is_stripped_and_first_heading_is_the_title(specimen):
    doc = extract_text(specimen.write("note.md", MARKDOWN))
    assert doc.format == "markdown"
    assert doc.title == "Clean water for all"
    assert doc.text == ("Intro line before any heading.\n\nClean water for all\n\nSome bold "
                        "text with a link and code.\n\nfirst item\n\nsecond item\n\nGoal "
                        f"Target\n\n6 6.1\n\n{RU}")


def test_markdown_front_matter_title_wins():
    doc = extract_string("---\ntitle: 'Plan 2030'\nlang: ru\n---\n# Heading\n\nText.",
                         format="markdown")
    assert (doc.title, doc.text) == ("Plan 2030", "Heading\n\nText.")


# --- plain text and encodings ----------------------------------------------------------------

TEXT = f"{RU}\n\n{KK}\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
def test_unicode_text_with_or_without_bom(specimen, encoding):
    doc = extract_text(specimen.write("note.txt", TEXT.encode(encoding)))
    assert (doc.format, doc.title, doc.text) == ("text", None, TEXT.strip())


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r", "cp866"])
def test_russian_single_byte_encodings_are_detected(specimen, encoding):
    text = f"{RU}\nЦель 6. Обеспечение наличия и рационального использования водных ресурсов."
    doc = extract_text(specimen.write("note.txt", text.encode(encoding)))
    assert doc.text == text
    assert doc.sha256 == content_sha256(text)


def test_text_whose_encoding_cannot_be_decided(specimen):
    path = specimen.write("odd.txt", bytes([0x81, 0x8d, 0x8f, 0x90, 0x9d]) * 40)
    with pytest.raises(DocumentError) as caught:
        extract_text(path)
    assert str(caught.value) == (
        f"{path}: the text encoding cannot be decided (not UTF-8, nor windows-1251, KOI8-R, "
        "CP866 or windows-1252). Save the file as UTF-8 and add it again.")


def test_utf16_bom_with_broken_body(specimen):
    path = specimen.write("half.txt", codecs.BOM_UTF16_LE + "abc".encode("utf-16-le") + b"\x00")
    with pytest.raises(DocumentError, match=r"half\.txt: starts with a utf-16 byte-order mark"):
        extract_text(path)


@pytest.mark.parametrize(("content", "what"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(64)), "a PNG image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), r"an old Office file \(\.doc/\.xls\)"),
    (b"text\x00with\x00nuls", "a binary file"),
], ids=["png", "ole", "nuls"])
def test_unknown_formats(specimen, content, what):
    path = specimen.write("thing.txt", content)
    with pytest.raises(DocumentError, match=rf"thing\.txt: {what} is not a format the "
                                            "knowledge base reads. Give a PDF, DOCX"):
        extract_text(path)


def test_file_over_max_bytes(specimen):
    path = specimen.write("big.txt", "x" * 101)
    with pytest.raises(DocumentError, match=r"big\.txt: 101 bytes is over the limit of 100 "
                                            r"bytes\. Split the document"):
        extract_text(path, max_bytes=100)


@pytest.mark.parametrize("content", ["", " \n\t\n ", "\ufeff"])
def test_empty_text(specimen, content):
    path = specimen.write("empty.txt", content)
    with pytest.raises(DocumentError, match=r"empty\.txt: no text found in this TEXT document"):
        extract_text(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DocumentError, match=r"nowhere\.pdf: cannot be read \(No such file"):
        extract_text(tmp_path / "nowhere.pdf")
    with pytest.raises(DocumentError, match="is a folder; give the path of one document"):
        extract_text(tmp_path)


def test_document_error_is_an_input_error_with_status_400():
    assert issubclass(DocumentError, InputError)
    assert DocumentError.status == 400


# --- typed-in text, duplicates ---------------------------------------------------------------

def test_extract_string_tidies_and_hashes():
    doc = extract_string("  Line one.  \r\n\r\n\r\n\r\nLine\u00a0two.\x07  ")
    assert doc == ExtractedText([Page(1, "Line one.\n\nLine\u00a0two.")], "text", None,
                                content_sha256("Line one. Line two."))


def test_extract_string_refuses_binary_formats():
    with pytest.raises(DocumentError, match="can be 'text', 'markdown' or 'html', not 'pdf'"):
        extract_string("x", format="pdf")


def test_same_content_in_pdf_and_docx_is_a_duplicate(specimen):
    pdf = extract_text(specimen.write("a.pdf", specimen.pdf([[EN, RU], [KK]])))
    docx = extract_text(specimen.write("a.docx", specimen.docx(specimen.docx_body([EN, RU, KK]))))
    text = extract_string(f"{EN}  {RU}\n{KK}")
    decomposed = extract_string(f"{EN} {RU} {KK}".replace("й", "и\u0306"))
    assert pdf.text != docx.text
    assert pdf.sha256 == docx.sha256 == text.sha256 == decomposed.sha256
    assert extract_string(f"{EN} {RU}").sha256 != pdf.sha256


def test_docx_whose_zip_directory_understates_a_size_is_refused(specimen):
    """A lying directory cannot make a member inflate past its declared size."""
    body = specimen.docx_body([EN]).replace("</w:body>", " " * 5_000_000 + "</w:body>")
    data = bytearray(specimen.docx(body))
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        name_at = data.index(b"word/document.xml", data.index(signature + b"\x14"))
        header = data.rindex(signature, 0, name_at)
        data[header + size_at:header + size_at + 4] = (1000).to_bytes(4, "little")
    path = specimen.write("liar.docx", bytes(data))
    with pytest.raises(DocumentError, match=r"liar\.docx: word/document\.xml inside the DOCX "
                                            r"cannot be inflated \(Bad CRC-32"):
        extract_text(path)
