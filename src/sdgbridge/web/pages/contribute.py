"""What partners add and correct in the browser (issue 14): a document or practice uploaded
(PDF, DOCX, HTML, Markdown, text) or typed in, with its countries, goals and who may read
it (``/knowledge/new``), and a document's SDG tags corrected (``/knowledge/{id}/tags``).

Signed-in people only, under the rules of :mod:`sdgbridge.accounts.roles` (a partner editor
adds documents for its organisation and corrects its organisation's; a focal point for its
country; the Centre's analysts any). A refusal is recorded in the audit trail. An upload
is refused before anything is stored when it is too large (``upload_max_bytes``), of a
type the knowledge base cannot read, or a zip bomb (the document reader's checks); the
message names the file, never the server's folders.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sdgbridge import knowledge as kb
from sdgbridge.accounts.owners import document_iso3, document_owner
from sdgbridge.accounts.roles import VISIBILITIES, can
from sdgbridge.accounts.users import organisation_name
from sdgbridge.errors import N_, Forbidden, InputError, Phrase, SdgBridgeError
from sdgbridge.knowledge.service import DUPLICATE, DocumentInput, area_codes_for, correct_tags
from sdgbridge.knowledge.store import KINDS
from sdgbridge.reference.catalog import group_areas, titles
from sdgbridge.web.auth import permit
from sdgbridge.web.deps import EmbedderDep, EngineDep, SettingsDep
from sdgbridge.web.pages.account import to_sign_in
from sdgbridge.web.pages.base import LangDep, error_text, render
from sdgbridge.web.session import check_form, form_token, request_session
from sdgbridge.web.uploads import stored_upload

router = APIRouter()
Csrf = Annotated[str, Form(max_length=200)]
Short = Annotated[str, Form(max_length=500)]
LANGUAGES = ("en", "ru", "kk", "ky", "tg", "tk", "uz", "de")
DOCUMENT_KINDS = tuple(k for k in KINDS if k != "project")  # projects come from IATI
_CODES = re.compile(r"[\s,;]+")


def _form_page(request: Request, engine: Any, settings: Any, lang: str,
               values: dict[str, Any], error: str | None = None, status: int = 200
               ) -> HTMLResponse:
    return render(request, "knowledge_new.html", status=status, csrf=form_token(request),
                  values=values, error=error, kinds=DOCUMENT_KINDS, visibilities=VISIBILITIES,
                  languages_=LANGUAGES, goals=titles(engine, "goal", lang),
                  countries=group_areas(engine, settings.default_group, lang),
                  max_mb=settings.upload_max_bytes / 1_048_576)


@router.get("/knowledge/new", response_class=HTMLResponse)
def new_document_form(request: Request, engine: EngineDep, settings: SettingsDep,
                      lang: LangDep) -> Response:
    """The form to add a document."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    actor = session.actor
    if not (can(actor, "create", "document", actor.organisation_id, actor.country)):
        raise Forbidden(N_("{who} (role {role}) may not add documents. Ask the Centre's "
                           "administrators for a partner_editor membership of your "
                           "organisation (or act for it on your account page)."),
                        who=actor.label, role=Phrase(actor.role))
    values = {"countries": list(area_codes_for(engine, [actor.country])) if actor.country
              else [], "visibility": "public", "kind": "practice"}
    return _form_page(request, engine, settings, lang, values)


def codes_of(text: str | None) -> list[str]:
    """SDG codes from a form field: ``"6.4, 3.3 7"`` -> ["6.4", "3.3", "7"]."""
    return [c for c in _CODES.split(text or "") if c]


@router.post("/knowledge/new")
def add_document(request: Request, engine: EngineDep, settings: SettingsDep, emb: EmbedderDep,
                 lang: LangDep, csrf: Csrf, title: Short = "", kind: Short = "practice",
                 countries: Annotated[list[str] | None, Form()] = None,
                 goals: Short = "", year: Short = "", language: Short = "",
                 visibility: Short = "public",
                 text: Annotated[str, Form(max_length=1_000_000)] = "",
                 file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Add the uploaded (or typed) document, then set the goals given as the user's tags;
    the document's page on success, the form again with the message when refused."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    check_form(request, csrf)
    actor = session.actor
    chosen = area_codes_for(engine, [c for c in (countries or []) if c])
    own = area_codes_for(engine, [actor.country]) if actor.country else ()
    if actor.role == "focal_point" and own and own[0] not in chosen:
        chosen = (*chosen, own[0])  # a focal point's documents are of its country
    permit(engine, actor, "create", "document", actor.organisation_id, title or "upload",
           country=actor.country if own and own[0] in chosen else None)
    values = {"title": title, "kind": kind, "countries": list(chosen), "goals": goals,
              "year": year, "language": language, "visibility": visibility, "text": text}
    has_file = file is not None and bool(file.filename)
    folder = FilePath(tempfile.mkdtemp(prefix="sdgbridge-upload-"))
    try:
        if has_file == bool(text.strip()):
            raise InputError(N_("Upload a file or type the text in (one of them)."))
        if year.strip() and not (year.strip().isdigit() and 1900 <= int(year) <= 2100):
            raise InputError(N_("Year {year!r} is not a year: give four digits (1900-2100)."),
                             year=year)
        inp = DocumentInput(
            path=stored_upload(file, folder, settings.upload_max_bytes)  # type: ignore[arg-type]
            if has_file else None, text=None if has_file else text,
            source=FilePath(file.filename or "").name if has_file and file else None,
            title=title.strip() or None, kind=kind, countries=tuple(chosen),
            year=int(year) if year.strip() else None, language=language or None,
            visibility=visibility, organisation_id=actor.organisation_id,
            organisation=organisation_name(engine, actor.organisation_id))
        report = kb.add_documents(engine, [inp], embedder=emb, keep_going=False)[0]
        if report.status == "duplicate":
            raise InputError(DUPLICATE, document=report.duplicate_of) \
                if report.duplicate_of is not None else InputError(str(report.error))
        if codes_of(goals):
            correct_tags(engine, report.document_id or 0, set_codes=codes_of(goals))
    except SdgBridgeError as exc:
        message = error_text(request, exc).replace(str(folder) + "/", "")
        return _form_page(request, engine, settings, lang, values, message, exc.status)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return RedirectResponse(f"/knowledge/{report.document_id}", status_code=303)


@router.post("/knowledge/{doc_id}/tags")
def correct_document_tags(request: Request, engine: EngineDep, csrf: Csrf,
                          doc_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                          add: Short = "", remove: Short = "") -> Response:
    """Set and remove SDG tags of a document (the user's tags win over the model's)."""
    session = request_session(request)
    if session is None:
        return to_sign_in(request)
    check_form(request, csrf)
    kb.show_document(engine, doc_id)  # 404 for a document this person may not read
    actor = session.actor
    permit(engine, actor, "update", "document", document_owner(engine, doc_id), str(doc_id),
           country=actor.country if actor.country in document_iso3(engine, doc_id) else None)
    correct_tags(engine, doc_id, set_codes=codes_of(add), remove_codes=codes_of(remove))
    return RedirectResponse(f"/knowledge/{doc_id}#tags-h", status_code=303)
