"""Files uploaded through the pages (a knowledge-base document, a request's attachment):
written to a temporary folder under their own name, refused before anything is stored
when too large (``upload_max_bytes``), empty, or of a type the document reader does not
know; the message names the file, never the server's folders."""

from __future__ import annotations

from pathlib import Path

from fastapi import UploadFile

from sdgbridge.errors import N_, SdgBridgeError

EXTENSIONS = (".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt")


class UploadRefused(SdgBridgeError):
    """An upload too large, of an unknown type, or unreadable."""

    status = 413


def stored_upload(upload: UploadFile, folder: Path, limit: int) -> Path:
    """The upload written to ``folder`` under its own name (without any folder part);
    refused when larger than ``limit`` bytes or of a type the reader does not know."""
    name = Path((upload.filename or "upload").replace("\\", "/")).name or "upload"
    if not name.lower().endswith(EXTENSIONS):
        raise UploadRefused(N_("{name}: sdgbridge reads PDF, DOCX, HTML, Markdown and text "
                               "files; save the document as one of them and upload it "
                               "again."), name=name)
    target = folder / name
    written = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(1 << 16):
            written += len(chunk)
            if written > limit:
                raise UploadRefused(N_("{name} is larger than {megabytes:.0f} MB (the "
                                       "upload_max_bytes setting); upload a smaller file (a "
                                       "PDF without its images, say)."),
                                    name=name, megabytes=limit / 1_048_576)
            out.write(chunk)
    if written == 0:
        raise UploadRefused(N_("{name} is empty; choose the file again."), name=name)
    return target
