"""Mail: an outbox in the store, sent by a worker to a real SMTP server, with retries.

A service that must send mail (an invitation, a password reset) calls :func:`queue` inside
the transaction that makes the change the mail tells of: the mail is in the outbox exactly
when that change is committed, and a rolled-back change leaves no mail. Nothing is sent
from a request: a worker (:func:`run_worker`, ``sdgbridge mail worker``), or one run of
:func:`send_due` (``sdgbridge mail send``), hands what is due to the SMTP server of the
settings (``smtp_*``), one message after another.

Claiming: each message is claimed by one statement that moves its ``next_attempt_at`` a
lease ahead and counts the attempt (``attempts`` counts every try, the successful one
too). On PostgreSQL the statement picks its row with ``FOR UPDATE SKIP LOCKED``, so two
workers never claim the same message; on SQLite a writing statement runs alone. The lease
(a few SMTP timeouts) covers the send: a worker that dies mid-send leaves the message due
again when its lease ends.

Outcome: a sent message gets ``sent_at``. A failed attempt stores ``last_error`` (the
exception's class and text, with the SMTP password and user name blotted out) and waits
1, 2, 4, … minutes (at most :data:`BACKOFF_CAP`) before the next. After
``mail_max_attempts`` attempts the message is kept, failed: its ``next_attempt_at`` is
:data:`GIVEN_UP` (the year 9999), so it is never due again; :func:`retry` makes failed
messages due again. A message's state is therefore read from its columns alone (no new
column): sent (``sent_at`` set), failed (``next_attempt_at`` = :data:`GIVEN_UP`), or
pending.
"""

from __future__ import annotations

import base64
import logging
import re
import smtplib
import ssl
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from sqlalchemy import Connection, Engine, func, insert, select, update

from sdgbridge.config import Settings
from sdgbridge.db import tables as t
from sdgbridge.errors import SdgBridgeError

log = logging.getLogger(__name__)

GIVEN_UP = datetime(9999, 12, 31, tzinfo=UTC)  # next_attempt_at of a message given up
BACKOFF_CAP = timedelta(hours=1)
MAX_ERROR_CHARS = 1000
STATES = ("pending", "failed", "sent")

# An ASCII address as the outbox accepts it: a dot-atom local part, a host name domain.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")


class MailError(SdgBridgeError):
    """A message that cannot be queued (a bad address or subject), or mail settings that
    cannot be used; the message says which and what to do."""


@dataclass(frozen=True)
class Failure:
    """One failed attempt of a run."""

    id: int
    to: str
    error: str
    given_up: bool


@dataclass
class SendReport:
    """What one run of :func:`send_due` did."""

    sent: list[int] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def retrying(self) -> int:
        return sum(not f.given_up for f in self.failures)

    @property
    def given_up(self) -> int:
        return sum(f.given_up for f in self.failures)

    def __str__(self) -> str:
        return (f"{len(self.sent)} sent, {self.retrying} to retry later, "
                f"{self.given_up} given up")


@dataclass(frozen=True)
class OutboxEntry:
    """One message of the outbox, as ``sdgbridge mail list`` shows it."""

    id: int
    to: str
    subject: str
    state: str  # pending | failed | sent
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None  # None once sent or given up
    sent_at: datetime | None
    last_error: str | None


# ---- queueing ----------------------------------------------------------------------------

def check_address(address: str, what: str = "address") -> str:
    """``address`` stripped, or :class:`MailError` saying what is wrong with it."""
    text = address.strip()
    if len(text) > 320 or not _ADDRESS.fullmatch(text) or len(text.split("@")[0]) > 64:
        raise MailError(f"{what} {address!r} is not a mail address: write one like "
                        "name@example.org (ASCII letters, digits and . _ + - before the @, "
                        "a host name after it).")
    return text


def queue(conn: Connection, to: str, subject: str, body: str,
          now: datetime | None = None) -> int:
    """Put a plain-text message for ``to`` in the outbox, in ``conn``'s transaction (so it
    is sent only if that transaction commits); its id. The subject is one line."""
    address = check_address(to, "recipient")
    if "\n" in subject or "\r" in subject or not subject.strip():
        raise MailError("the subject of a message is one line of text, not empty; remove "
                        "its line breaks.")
    for part, text in (("subject", subject), ("body", body)):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise MailError(f"the {part} of a message is not valid text ({exc.reason} at "
                            f"character {exc.start}).") from None
    at = _now(now)
    return int(conn.execute(insert(t.mail_outbox).values(
        to_address=address, subject=subject.strip(), body=body, created_at=at, attempts=0,
        next_attempt_at=at).returning(t.mail_outbox.c.id)).scalar_one())


# ---- the message -------------------------------------------------------------------------

def _now(now: datetime | None) -> datetime:
    """``now`` (or the clock) in UTC: the outbox's times are all UTC (SQLite keeps them
    as text, compared as such)."""
    return (now or datetime.now(UTC)).astimezone(UTC)


def _utc(value: datetime) -> datetime:
    """SQLite gives its timestamps back without a zone: they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def build_message(settings: Settings, id: int, to: str, subject: str, body: str,
                  created_at: datetime) -> EmailMessage:
    """The message as sent: From ``mail_from``, Date of queueing, a Message-ID that stays
    the same over retries (so a receiver can drop a duplicate), UTF-8 plain text."""
    sender = check_address(settings.mail_from, "the mail_from setting")
    created = _utc(created_at)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(created)
    msg["Message-ID"] = (f"<sdgbridge.{id}.{int(created.timestamp() * 1e6)}"
                         f"@{sender.split('@')[1]}>")
    msg.set_content(body, charset="utf-8")  # body lines as SMTP's policy folds them (76)
    # Headers unfolded up to RFC 5322's 998 characters: CPython folds a long non-ASCII
    # subject so that a space between two encoded words is lost ("выполняется —Эффект…").
    msg.policy = SMTP.clone(max_line_length=998)
    return msg


# ---- the SMTP server ---------------------------------------------------------------------

def _tls_context(settings: Settings) -> ssl.SSLContext:
    cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise MailError(f"smtp_ca_file {settings.smtp_ca_file}: cannot be read as PEM "
                        f"certificates ({exc}); name a PEM file of certificates.") from None


def connect(settings: Settings) -> smtplib.SMTP:
    """A connection to the SMTP server of the settings, secured and signed in as they say."""
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout
    server: smtplib.SMTP
    if settings.smtp_security == "tls":
        server = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                  context=_tls_context(settings))
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if settings.smtp_security == "starttls":
            server.starttls(context=_tls_context(settings))
        if settings.smtp_username:
            password = settings.smtp_password
            _sign_in(server, settings.smtp_username,
                     password.get_secret_value() if password else "")
    except BaseException:
        with suppress(Exception):
            server.close()
        raise
    return server


def _sign_in(server: smtplib.SMTP, username: str, password: str) -> None:
    """AUTH with the best mechanism both sides know; credentials beyond ASCII (which
    smtplib cannot send) as AUTH PLAIN in UTF-8 (RFC 4616)."""
    if (username + password).isascii():
        server.login(username, password)
        return
    server.ehlo_or_helo_if_needed()
    if "plain" not in server.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPException("the server does not offer AUTH PLAIN, which credentials "
                                    "with characters beyond ASCII need")
    token = base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode()).decode()
    code, answer = server.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def _describe(exc: BaseException, settings: Settings) -> str:
    """The error stored with a failed attempt: class and text, credentials blotted out."""
    text = f"{type(exc).__name__}: {exc}"
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    username = settings.smtp_username or ""
    for secret in (password, username if len(username) >= 4 else ""):  # not every "a"
        if secret:
            text = text.replace(secret, "***")
    return text[:MAX_ERROR_CHARS]


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, … minutes, capped."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 20)), BACKOFF_CAP)


# ---- sending -----------------------------------------------------------------------------

def _lease(settings: Settings) -> timedelta:
    """How long a claimed message is held by its worker: time to connect and send it."""
    return timedelta(seconds=max(300.0, 6 * settings.smtp_timeout))


def _claim_one(engine: Engine, now: datetime, lease: timedelta,
               only: Sequence[int] | None) -> tuple[int, str, str, str, datetime, int] | None:
    """Claim the next due message (one statement): count the attempt and move it a lease
    ahead; its columns, or None when nothing is due."""
    o = t.mail_outbox.c
    due = select(o.id).where(o.sent_at.is_(None), o.next_attempt_at <= now)
    if only is not None:
        due = due.where(o.id.in_(list(only)))
    due = due.order_by(o.next_attempt_at, o.id).limit(1)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        row = conn.execute(
            update(t.mail_outbox).where(o.id == due.scalar_subquery())
            .values(attempts=o.attempts + 1, next_attempt_at=now + lease)
            .returning(o.id, o.to_address, o.subject, o.body, o.created_at, o.attempts)
        ).first()
    return None if row is None else (row[0], row[1], row[2], row[3], row[4], row[5])


def _mark(engine: Engine, id: int, **values: object) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.mail_outbox).where(t.mail_outbox.c.id == id).values(**values))


def send_due(engine: Engine, settings: Settings, now: datetime | None = None,
             limit: int = 50, only: Sequence[int] | None = None) -> SendReport:
    """Send up to ``limit`` messages that are due at ``now`` (those of ``only``, if given)
    over one connection to the SMTP server; record each outcome. A message that fails waits
    for its next attempt; after ``mail_max_attempts`` it is kept as failed. When the server
    cannot be reached the run stops after that message (the rest wait for the next run)."""
    check_address(settings.mail_from, "the mail_from setting")  # before any attempt counts
    at = _now(now)
    report = SendReport()
    sender = _Sender(settings)
    try:
        for _ in range(limit):
            claimed = _claim_one(engine, at, _lease(settings), only)
            if claimed is None:
                break
            id, to, subject, body, created_at, attempts = claimed
            if attempts > settings.mail_max_attempts:  # tried already (its worker died)
                _mark(engine, id, next_attempt_at=GIVEN_UP)
                report.failures.append(Failure(id, to, "gave up", True))
                continue
            try:
                sender.send(build_message(settings, id, to, subject, body, created_at))
            except Exception as exc:  # whatever went wrong, it is this attempt's failure
                error = _describe(exc, settings)
                given_up = attempts >= settings.mail_max_attempts
                _mark(engine, id, last_error=error,
                      next_attempt_at=GIVEN_UP if given_up else at + backoff(attempts))
                report.failures.append(Failure(id, to, error, given_up))
                log.warning("mail %d to %s: attempt %d failed: %s", id, to, attempts, error)
                if sender.unreachable:
                    break
                continue
            _mark(engine, id, sent_at=at, last_error=None)
            report.sent.append(id)
    finally:
        sender.close()
    return report


class _Sender:
    """One connection to the SMTP server, opened for the first message, reopened after the
    server dropped it; ``unreachable`` once it could not be opened."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server: smtplib.SMTP | None = None
        self.unreachable = False

    def send(self, message: EmailMessage) -> None:
        if self.server is None:
            try:
                self.server = connect(self.settings)
            except BaseException:
                self.unreachable = True
                raise
        try:
            self.server.send_message(message)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise

    def close(self) -> None:
        if self.server is not None:
            with suppress(Exception):
                self.server.quit()
            with suppress(Exception):
                self.server.close()
            self.server = None


def run_worker(engine: Engine, settings: Settings, stop_event: threading.Event,
               interval: float = 10.0,
               on_report: Callable[[SendReport], None] | None = None) -> None:
    """Send what is due every ``interval`` seconds until ``stop_event`` is set. A store
    that cannot be reached is logged and tried again at the next round."""
    while not stop_event.is_set():
        try:
            report = send_due(engine, settings)
        except Exception:  # the worker outlives a round that failed (the store was away)
            log.exception("mail worker: the round failed; trying again in %s s", interval)
        else:
            if report.sent or report.failures:
                log.info("mail worker: %s", report)
            if on_report is not None:
                on_report(report)
        stop_event.wait(interval)


# ---- reading and retrying ----------------------------------------------------------------

def _state_of(sent_at: datetime | None, next_attempt_at: datetime) -> str:
    if sent_at is not None:
        return "sent"
    return "failed" if _utc(next_attempt_at) >= GIVEN_UP else "pending"


def outbox(engine: Engine, state: str | None = None, limit: int = 100) -> list[OutboxEntry]:
    """The outbox's messages, newest first: all, or those in ``state``."""
    if state is not None and state not in STATES:
        raise MailError(f"state {state!r}: one of {', '.join(STATES)}.")
    o = t.mail_outbox.c
    query = select(t.mail_outbox).order_by(o.id.desc()).limit(limit)
    if state == "sent":
        query = query.where(o.sent_at.is_not(None))
    elif state == "failed":
        query = query.where(o.sent_at.is_(None), o.next_attempt_at >= GIVEN_UP)
    elif state == "pending":
        query = query.where(o.sent_at.is_(None), o.next_attempt_at < GIVEN_UP)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [OutboxEntry(
        r["id"], r["to_address"], r["subject"], _state_of(r["sent_at"], r["next_attempt_at"]),
        r["attempts"], _utc(r["created_at"]),
        None if r["sent_at"] is not None or _utc(r["next_attempt_at"]) >= GIVEN_UP
        else _utc(r["next_attempt_at"]),
        None if r["sent_at"] is None else _utc(r["sent_at"]), r["last_error"]) for r in rows]


def retry(engine: Engine, ids: Sequence[int] | None = None,
          now: datetime | None = None) -> int:
    """Make failed messages (those of ``ids``, or all) due again with their attempts reset;
    how many."""
    o = t.mail_outbox.c
    change = (update(t.mail_outbox)
              .where(o.sent_at.is_(None), o.next_attempt_at >= GIVEN_UP)
              .values(attempts=0, next_attempt_at=_now(now)))
    if ids is not None:
        change = change.where(o.id.in_(list(ids)))
    with engine.begin() as conn:
        return conn.execute(change).rowcount


def pending_count(engine: Engine) -> int:
    """Messages waiting to be sent (failed ones apart)."""
    o = t.mail_outbox.c
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(
            o.sent_at.is_(None), o.next_attempt_at < GIVEN_UP)).scalar_one())

