"""The mail a change of a request's state sends (through the outbox, :mod:`sdgbridge.mail`,
in the transaction that makes the change): to the requester's account, to the picked or
accepted expert, and to the Centre's inbox (setting ``assistance_mail``); each in its first
language, English or Russian; never to the person who made the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from sdgbridge import mail
from sdgbridge.config import Settings
from sdgbridge.db import tables as t

STATE_NAMES = {
    "en": {"draft": "a draft", "submitted": "submitted", "triaged": "triaged",
           "matched": "matched to an expert", "accepted": "accepted by the expert",
           "in_progress": "in progress", "delivered": "delivered", "closed": "closed",
           "declined": "declined", "withdrawn": "withdrawn"},
    "ru": {"draft": "черновик", "submitted": "подан", "triaged": "рассмотрен",
           "matched": "подобран эксперт", "accepted": "принят экспертом",
           "in_progress": "выполняется", "delivered": "выполнен", "closed": "закрыт",
           "declined": "отклонён", "withdrawn": "отозван"},
}
TEXT = {
    "en": ("Request {id} is {state}: {title}",
           "Request {id}, \"{title}\" ({country}), is now {state}, by {actor}.{reason}\n\n"
           "See it here: {url}\n"),
    "ru": ("Запрос {id}: {state} — {title}",
           "Запрос {id}, «{title}» ({country}), теперь: {state} ({actor}).{reason}\n\n"
           "Посмотреть: {url}\n"),
}
REASON = {"en": "\nReason: {reason}", "ru": "\nПричина: {reason}"}


def _lang(languages: str | None) -> str:
    return "ru" if (languages or "en").split(",")[0].strip() == "ru" else "en"


def recipients(conn: Connection, request: Any, settings: Settings) -> list[tuple[str, str]]:
    """(address, language) of whom a change of ``request`` concerns."""
    found: list[tuple[str, str]] = []
    if request["account_id"] is not None:
        row = conn.execute(select(t.account.c.email, t.account.c.languages).where(
            t.account.c.id == request["account_id"])).first()
        if row is not None:
            found.append((row[0], _lang(row[1])))
    c, e = t.ta_candidate.c, t.expert.c
    experts = conn.execute(select(e.email, e.languages).where(
        e.id.cast(c.candidate_key.type).in_(select(c.candidate_key).where(
            c.request_id == request["id"], c.kind == "expert",
            c.state.in_(("picked", "accepted")))))).all()
    found += [(email, _lang(langs)) for email, langs in experts]
    if settings.assistance_mail:
        found.append((settings.assistance_mail, "en"))
    return list(dict.fromkeys(found))


def notify(conn: Connection, settings: Settings, request: Any, target: str, actor: str,
           reason: str | None) -> int:
    """Queue the mails of ``request`` becoming ``target``; how many."""
    url = f"{settings.public_url.rstrip('/')}/requests/{request['id']}"
    sent = 0
    for address, lang in recipients(conn, request, settings):
        if address.lower() == actor.lower():
            continue
        subject, body = TEXT[lang]
        values = {"id": request["id"], "title": request["title"],
                  "country": request["country"], "state": STATE_NAMES[lang][target],
                  "actor": actor, "url": url,
                  "reason": REASON[lang].format(reason=reason) if reason else ""}
        mail.queue(conn, address, subject.format(**values)[:200], body.format(**values))
        sent += 1
    return sent


REMINDER = {
    "en": ("Overdue: request {id}, {title}",
           "Request {id}, \"{title}\" ({country}), has been {state} since {since} and was due "
           "to move on by {due}.\n\nSee it here: {url}\n"),
    "ru": ("Просрочено: запрос {id}, {title}",
           "Запрос {id}, «{title}» ({country}), в состоянии «{state}» с {since}; срок перехода "
           "к следующему шагу истёк {due}.\n\nПосмотреть: {url}\n"),
}


def remind(conn: Connection, settings: Settings, request: Any, due: Any) -> int:
    """Queue a reminder of the overdue ``request`` to its parties; how many."""
    url = f"{settings.public_url.rstrip('/')}/requests/{request['id']}"
    sent = 0
    for address, lang in recipients(conn, request, settings):
        subject, body = REMINDER[lang]
        values = {"id": request["id"], "title": request["title"],
                  "country": request["country"],
                  "state": STATE_NAMES[lang][request["state"]],
                  "since": f"{request['state_since']:%Y-%m-%d}", "due": f"{due:%Y-%m-%d}",
                  "url": url}
        mail.queue(conn, address, subject.format(**values)[:200], body.format(**values))
        sent += 1
    return sent
