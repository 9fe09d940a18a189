"""Partners in the browser (issue 14): uploading a practice (a Russian title, goals, who may
read it), correcting its tags, what the public, a reader and another partner see of it; bad
uploads refused with nothing stored; and the administrators' pages (invite, membership,
revoke a key), refused to everyone else with the refusal in the audit trail."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from sdgbridge.accounts import keys, users
from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.projects.orgs import create_org
from sdgbridge.web.app import create_app
from tests.helpers import IATI_CODELISTS

PASSWORD = "correct horse battery staple"
UNDP, OTHER = "XM-DAC-41114", "XM-OTHER-1"
TITLE = "Капельное орошение в Баткене"
TEXT = ("Drip irrigation in Batken province: farmers cut water use per hectare by a third. "
        "The practice raised water-use efficiency (target 6.4) and yields.\n\n") * 3


@pytest.fixture
def app(engine: Engine) -> Iterator[object]:
    codelists = load_codelists(IATI_CODELISTS)
    for ref, name in ((UNDP, "UNDP"), (OTHER, "Other partner")):
        create_org(engine, name_en=name, type="40", ref=ref, codelists=codelists)
    for email, org, role, admin in (("ed@undp.org", UNDP, "partner_editor", False),
                                    ("ot@other.org", OTHER, "partner_editor", False),
                                    ("rd@centre.org", None, None, False),
                                    ("root@centre.org", None, None, True)):
        users.create_account(engine, email, email.split("@")[0], administrator=admin)
        if org:
            users.set_membership(engine, email, org, role)
        users.set_password(engine, email, PASSWORD)
    settings = Settings(database_url="sqlite:///unused.db", iati_codelists=IATI_CODELISTS,
                        embedder="hashing", secure_cookies=False, upload_max_bytes=200_000)
    yield create_app(settings, engine=engine)


def _token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:2000]
    return found.group(1)


def _signed_in(app: object, email: str) -> TestClient:
    client = TestClient(app)  # type: ignore[arg-type]
    form = client.get("/sign-in")
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                           "csrf": _token(form.text)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def _upload(client: TestClient, name: str, content: bytes, **fields: object) -> object:
    form = client.get("/knowledge/new")
    assert form.status_code == 200, form.text
    data = {"csrf": _token(form.text), "title": TITLE, "kind": "practice",
            "countries": ["417"], "goals": "6.4", "visibility": "partners", **fields}
    return client.post("/knowledge/new", data=data, files={"file": (name, content)},
                       follow_redirects=False)


def _documents(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.document)).scalar_one())


def test_a_partner_uploads_a_practice_that_partners_see_and_the_public_does_not(
        app: object, engine: Engine) -> None:
    editor = _signed_in(app, "ed@undp.org")
    answer = _upload(editor, "batken.md", f"# {TITLE}\n\n{TEXT}".encode())
    assert answer.status_code == 303, answer.text
    path = answer.headers["location"]
    doc_id = int(path.rsplit("/", 1)[1])
    page = editor.get(path)
    assert TITLE in page.text and "partners only" in page.text
    assert "Target 6.4" in page.text and "set by a user" in page.text
    assert "Correct the tags" in page.text
    with engine.connect() as conn:
        row = conn.execute(select(t.document).where(t.document.c.id == doc_id)
                           ).mappings().one()
        events = [r.action for r in conn.execute(select(t.audit_event.c.action).where(
            t.audit_event.c.record_type == "document"))]
    assert row["visibility"] == "partners" and row["organisation"] == "UNDP"
    assert row["source"] == "batken.md"  # its name, not a server folder
    assert events == ["created", "tag_corrected"]

    public = TestClient(app)  # type: ignore[arg-type]
    assert public.get(path).status_code == 404
    assert TITLE not in public.get("/knowledge").text
    assert TITLE not in public.get("/knowledge?q=drip+irrigation").text
    assert public.get(f"/api/v1/documents/{doc_id}").status_code == 404
    reader = _signed_in(app, "rd@centre.org")
    assert reader.get(path).status_code == 200
    assert TITLE in reader.get("/knowledge?q=drip+irrigation").text
    assert "Correct the tags" not in reader.get(path).text


def test_tags_are_corrected_by_the_owner_only(app: object, engine: Engine) -> None:
    editor = _signed_in(app, "ed@undp.org")
    path = _upload(editor, "batken.txt", TEXT.encode(), visibility="public"
                   ).headers["location"]  # type: ignore[attr-defined]
    page = editor.get(path)
    answer = editor.post(f"{path}/tags", data={"csrf": _token(page.text), "add": "2.4, 13",
                                               "remove": "6.4"}, follow_redirects=False)
    assert answer.status_code == 303
    fixed = editor.get(path).text
    assert "Target 2.4" in fixed and "Target 6.4" not in fixed

    other = _signed_in(app, "ot@other.org")
    page = other.get(path)
    assert "Correct the tags" not in page.text
    refused = other.post(f"{path}/tags", data={"csrf": _token(page.text), "add": "1"})
    assert refused.status_code == 403 and "may not update" in refused.text
    with engine.connect() as conn:
        outcome = conn.execute(select(t.audit_event.c.actor).where(
            t.audit_event.c.outcome == "refused")).scalars().all()
    assert outcome == ["ot@other.org"]
    forged = editor.post(f"{path}/tags", data={"csrf": "forged", "add": "1"})
    assert forged.status_code == 403 and "security token" in forged.text


@pytest.mark.parametrize(("name", "content", "status", "message"), [
    ("plan.exe", b"MZ\x90\x00", 413, "reads PDF, DOCX"),
    ("big.txt", b"water " * 50_000, 413, "larger than"),
    ("empty.txt", b"", 413, "is empty"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(app: object, engine: Engine,
                                                       name: str, content: bytes,
                                                       status: int, message: str) -> None:
    editor = _signed_in(app, "ed@undp.org")
    answer = _upload(editor, name, content)
    assert answer.status_code == status  # type: ignore[attr-defined]
    assert message in answer.text  # type: ignore[attr-defined]
    assert "/tmp" not in answer.text and "sdgbridge-upload" not in answer.text  # type: ignore[attr-defined]
    assert _documents(engine) == 0


def test_a_zip_bomb_posing_as_docx_is_refused(app: object, engine: Engine) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document>" + " " * 150_000_000 + "</w:document>")
    editor = _signed_in(app, "ed@undp.org")
    answer = _upload(editor, "bomb.docx", buffer.getvalue())
    assert 400 <= answer.status_code < 500  # type: ignore[attr-defined]
    assert "bomb.docx" in answer.text  # type: ignore[attr-defined]
    assert _documents(engine) == 0


def test_the_upload_form_needs_a_partner(app: object) -> None:
    public = TestClient(app)  # type: ignore[arg-type]
    answer = public.get("/knowledge/new", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")
    reader = _signed_in(app, "rd@centre.org")
    assert reader.get("/knowledge/new").status_code == 403


def test_an_administrator_invites_and_revokes(app: object, engine: Engine) -> None:
    admin = _signed_in(app, "root@centre.org")
    page = admin.get("/admin")
    assert page.status_code == 200 and "ed@undp.org" in page.text
    with engine.connect() as conn:
        undp = conn.execute(select(t.organisation.c.id).where(
            t.organisation.c.ref == UNDP)).scalar_one()
    answer = admin.post("/admin/invite", data={
        "csrf": _token(page.text), "email": "New@UNDP.org", "name": "Nadia",
        "organisation": str(undp), "role": "partner_editor", "language": "ru"})
    assert answer.status_code == 200 and "new@undp.org is invited" in answer.text
    with engine.connect() as conn:
        [mail] = conn.execute(select(t.mail_outbox)).mappings().all()
    assert mail["to_address"] == "new@undp.org" and "/invitation/" in mail["body"]
    assert "New@UNDP.org" not in answer.text or "new@undp.org" in answer.text
    again = admin.post("/admin/invite", data={"csrf": _token(page.text),
                                              "email": "new@undp.org", "name": "Nadia"})
    assert again.status_code in (400, 409)

    made = keys.create_key(engine, "ed@undp.org", "script", ["read", "write"], UNDP)
    api = TestClient(app)  # type: ignore[arg-type]
    bearer = {"Authorization": f"Bearer {made.secret}"}
    assert api.get("/api/v1/documents", headers=bearer).status_code == 200
    listing = admin.get("/admin/keys")
    assert made.prefix in listing.text and made.secret not in listing.text
    revoked = admin.post(f"/admin/keys/{made.id}/revoke",
                         data={"csrf": _token(listing.text)}, follow_redirects=False)
    assert revoked.status_code == 303
    assert api.patch(f"/api/v1/organisations/{UNDP}", headers=bearer,
                     json={"name_ru": "ПРООН"}).status_code == 401


def test_the_admin_pages_are_refused_to_partners(app: object, engine: Engine) -> None:
    editor = _signed_in(app, "ed@undp.org")
    for path in ("/admin", "/admin/keys", "/admin/users/ed@undp.org"):
        assert editor.get(path).status_code == 403, path
    page = editor.get("/account")
    refused = editor.post("/admin/invite", data={"csrf": _token(page.text),
                                                 "email": "x@y.org", "name": "X"})
    assert refused.status_code == 403
    with engine.connect() as conn:
        assert conn.execute(select(t.account.c.id).where(t.account.c.email == "x@y.org")
                            ).first() is None
        refusals = conn.execute(select(func.count()).select_from(t.audit_event).where(
            t.audit_event.c.outcome == "refused")).scalar_one()
    assert refusals == 4
    public = TestClient(app)  # type: ignore[arg-type]
    assert public.get("/admin", follow_redirects=False).status_code == 303


def test_refusals_read_in_russian_on_a_russian_page(app: object, engine: Engine) -> None:
    editor = _signed_in(app, "ed@undp.org")
    editor.get("/knowledge/new?lang=ru")  # the cookie keeps Russian
    unknown = _upload(editor, "plan.exe", b"MZ\x90\x00")
    assert unknown.status_code == 413  # type: ignore[attr-defined]
    text = unknown.text  # type: ignore[attr-defined]
    assert "plan.exe: sdgbridge читает файлы PDF, DOCX, HTML, Markdown" in text
    assert "save the document as one of them" not in text
    fake = _upload(editor, "plan.pdf", b"not a PDF at all " * 10)
    text = fake.text  # type: ignore[attr-defined]
    assert "plan.pdf: файл назван .pdf, но начинается не как PDF" in text
    assert "does not start like a PDF" not in text
    assert "/tmp" not in text and "sdgbridge-upload" not in text  # the folder is cut off
    assert _documents(engine) == 0
    path = _upload(editor, "batken.txt", TEXT.encode(), visibility="public"
                   ).headers["location"]  # type: ignore[attr-defined]
    other = _signed_in(app, "ot@other.org")
    page = other.get(f"{path}?lang=ru")
    refused = other.post(f"{path}/tags", data={"csrf": _token(page.text), "add": "1"})
    assert refused.status_code == 403
    assert "(роль: редактор партнёра) не может изменять документ" in refused.text
    assert "may not update" not in refused.text
    reader = _signed_in(app, "rd@centre.org")
    answer = reader.get("/knowledge/new?lang=ru")
    assert answer.status_code == 403 and "не может добавлять документы" in answer.text
    assert "may not add documents" in reader.get("/knowledge/new?lang=en").text
