"""Mail through the outbox, sent to a real SMTP server: aiosmtpd listening on 127.0.0.1,
with a handler that keeps the delivered messages (and refuses the recipients it is told
to), plain, with STARTTLS or TLS (a self-signed certificate made at test time) and with
sign-in."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine, select, update

from sdgbridge import mail
from sdgbridge.config import Settings
from sdgbridge.db import tables as t

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PASSWORD = "s3cret-Пароль-xyz"


class Collector:
    """An aiosmtpd handler: keeps each delivered message; refuses the ``refuse`` recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.delay = 0.0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            import asyncio
            await asyncio.sleep(self.delay)
        msg = message_from_bytes(envelope.content.replace(b"\r\n", b"\n"), policy=default)
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.messages.append(msg)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(handler: Collector, port: int | None = None,
                **smtp_parameters: Any) -> Iterator[int]:
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(),
                            **smtp_parameters)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def settings_for(port: int, **more: Any) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=5,
                    mail_from="centre@sdg.example.org", **more)


def enqueue(engine: Engine, *messages: tuple[str, str, str]) -> list[int]:
    with engine.begin() as conn:
        return [mail.queue(conn, to, subject, body, now=NOW) for to, subject, body in messages]


def row(engine: Engine, id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(t.mail_outbox).where(t.mail_outbox.c.id == id)).one()


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def server(collector: Collector) -> Iterator[int]:
    with smtp_server(collector) as port:
        yield port


def test_queued_messages_are_delivered_with_their_headers_and_encoding(
        engine: Engine, collector: Collector, server: int) -> None:
    ids = enqueue(engine,
                  ("partner@ngo.example.org", "Welcome", "Hello,\nyour account is ready.\n"),
                  ("focal.point@gov.example.kz", "Приглашение в SDG Bridge",
                   "Здравствуйте!\nВас пригласили в платформу ЦУР.\n"))
    report = mail.send_due(engine, settings_for(server), now=NOW)
    assert (report.sent, report.failures) == (ids, [])
    english, russian = collector.messages
    assert collector.envelopes[1] == ("centre@sdg.example.org", ["focal.point@gov.example.kz"])
    assert english["Subject"] == "Welcome" and english["From"] == "centre@sdg.example.org"
    assert english.get_content() == "Hello,\nyour account is ready.\n"
    assert russian["Subject"] == "Приглашение в SDG Bridge"
    assert russian["To"] == "focal.point@gov.example.kz"
    assert russian.get_content_type() == "text/plain"
    assert russian.get_content_charset() == "utf-8"
    assert russian.get_content() == "Здравствуйте!\nВас пригласили в платформу ЦУР.\n"
    raw = russian.as_bytes()
    assert "Приглашение".encode() not in raw  # the header is encoded (RFC 2047)...
    assert b"=?utf-8?" in raw.split(b"\n\n")[0].lower()  # ...as UTF-8 encoded words
    assert aware(datetime.strptime(russian["Date"], "%a, %d %b %Y %H:%M:%S %z")) == NOW
    assert russian["Message-ID"].endswith("@sdg.example.org>")
    assert english["Message-ID"] != russian["Message-ID"]
    assert aware(row(engine, ids[1]).sent_at) == NOW
    assert row(engine, ids[1]).attempts == 1
    assert mail.send_due(engine, settings_for(server), now=NOW).sent == []  # sent once


def test_a_refused_recipient_is_retried_later_then_sent(
        engine: Engine, collector: Collector, server: int) -> None:
    [id] = enqueue(engine, ("later@ngo.example.org", "Reset", "Your link."))
    collector.refuse.add("later@ngo.example.org")
    cfg = settings_for(server)
    report = mail.send_due(engine, cfg, now=NOW)
    assert report.sent == [] and report.retrying == 1
    first = row(engine, id)
    assert first.attempts == 1 and first.sent_at is None
    assert "550" in first.last_error and "mailbox unavailable" in first.last_error
    assert aware(first.next_attempt_at) == NOW + timedelta(minutes=1)
    assert mail.send_due(engine, cfg, now=NOW + timedelta(seconds=30)).failures == []  # not due
    mail.send_due(engine, cfg, now=NOW + timedelta(minutes=1))
    assert aware(row(engine, id).next_attempt_at) == NOW + timedelta(minutes=3)  # waited 2
    collector.refuse.clear()
    report = mail.send_due(engine, cfg, now=NOW + timedelta(minutes=3))
    assert report.sent == [id]
    assert row(engine, id).attempts == 3 and row(engine, id).last_error is None
    assert [m["Subject"] for m in collector.messages] == ["Reset"]


def test_a_stopped_server_counts_an_attempt_and_the_mail_goes_when_it_is_back(
        engine: Engine, collector: Collector) -> None:
    port = free_port()
    ids = enqueue(engine, ("a@ngo.example.org", "One", "1"), ("b@ngo.example.org", "Two", "2"))
    cfg = settings_for(port, smtp_username="centre", smtp_password=PASSWORD)
    report = mail.send_due(engine, cfg, now=NOW)  # nothing listens: connection refused
    assert report.sent == [] and len(report.failures) == 1  # the run stopped there
    refused = row(engine, ids[0])
    assert refused.attempts == 1 and "ConnectionRefusedError" in refused.last_error
    assert PASSWORD not in refused.last_error
    assert row(engine, ids[1]).attempts == 0  # not tried: the server was away
    with smtp_server(collector, port, authenticator=_accept("centre", PASSWORD),
                     auth_require_tls=False):
        report = mail.send_due(engine, cfg, now=NOW + timedelta(minutes=1))
    assert sorted(report.sent) == ids
    assert sorted(m["Subject"] for m in collector.messages) == ["One", "Two"]


def _accept(user: str, password: str) -> Any:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() \
            and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)
    return authenticator


def test_a_wrong_password_is_a_failed_attempt_without_the_password(
        engine: Engine, collector: Collector) -> None:
    [id] = enqueue(engine, ("x@ngo.example.org", "Hi", "Body"))
    with smtp_server(collector, authenticator=_accept("centre", "right-one"),
                     auth_require_tls=False) as port:
        report = mail.send_due(engine, settings_for(
            port, smtp_username="centre", smtp_password=PASSWORD), now=NOW)
    assert report.retrying == 1 and collector.messages == []
    error = row(engine, id).last_error
    assert "SMTPAuthenticationError" in error and "535" in error
    assert PASSWORD not in error and "centre" not in error


def test_after_the_last_attempt_the_message_is_kept_as_failed(
        engine: Engine, collector: Collector, server: int) -> None:
    [id] = enqueue(engine, ("gone@ngo.example.org", "Lost", "Body"))
    collector.refuse.add("gone@ngo.example.org")
    cfg = settings_for(server, mail_max_attempts=2)
    mail.send_due(engine, cfg, now=NOW)
    report = mail.send_due(engine, cfg, now=NOW + timedelta(minutes=1))
    assert report.given_up == 1
    assert aware(row(engine, id).next_attempt_at) == mail.GIVEN_UP
    assert mail.send_due(engine, cfg, now=NOW + timedelta(days=3650)).failures == []
    [entry] = mail.outbox(engine, "failed")
    assert (entry.id, entry.state, entry.attempts, entry.next_attempt_at) == (
        id, "failed", 2, None)
    assert mail.outbox(engine, "pending") == [] and mail.pending_count(engine) == 0
    collector.refuse.clear()
    assert mail.retry(engine, now=NOW + timedelta(days=1)) == 1
    assert mail.send_due(engine, cfg, now=NOW + timedelta(days=1)).sent == [id]
    assert [e.state for e in mail.outbox(engine)] == ["sent"]


def test_a_message_whose_worker_died_on_the_last_attempt_is_given_up(
        engine: Engine, collector: Collector, server: int) -> None:
    [id] = enqueue(engine, ("a@ngo.example.org", "Claimed", "Body"))
    with engine.begin() as conn:  # claimed by the last attempt, then nothing was recorded
        conn.execute(update(t.mail_outbox).values(attempts=2))
    report = mail.send_due(engine, settings_for(server, mail_max_attempts=2), now=NOW)
    assert report.given_up == 1 and collector.messages == []
    assert mail.outbox(engine, "failed")[0].id == id


def test_times_in_another_zone_are_kept_in_utc(engine: Engine, collector: Collector,
                                               server: int) -> None:
    almaty = dt.timezone(timedelta(hours=5))
    with engine.begin() as conn:
        id = mail.queue(conn, "a@ngo.example.org", "Zone", "Body", now=NOW.astimezone(almaty))
    assert mail.send_due(engine, settings_for(server),
                         now=NOW.astimezone(almaty) - timedelta(seconds=1)).sent == []
    assert mail.send_due(engine, settings_for(server), now=NOW.astimezone(almaty)).sent == [id]
    assert aware(row(engine, id).sent_at) == NOW


def test_a_queue_in_a_rolled_back_transaction_sends_nothing(
        engine: Engine, collector: Collector, server: int) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        mail.queue(conn, "someone@ngo.example.org", "Invitation", "Welcome")
        raise RuntimeError("the write that caused the mail failed")
    assert mail.send_due(engine, settings_for(server)).sent == []
    assert collector.messages == [] and mail.outbox(engine) == []


@pytest.mark.parametrize("address", ["", "no-at-sign", "a@", "@example.org", "a b@example.org",
                                     "a@example.org\r\nBcc: x@evil.example", "a..b@example.org",
                                     "имя@example.org", "a@-bad-.org"])
def test_a_bad_address_is_refused(engine: Engine, address: str) -> None:
    with pytest.raises(mail.MailError, match="is not a mail address: write one like"), \
            engine.begin() as conn:
        mail.queue(conn, address, "Subject", "Body")


def test_a_subject_of_several_lines_is_refused(engine: Engine) -> None:
    with pytest.raises(mail.MailError, match="one line"), engine.begin() as conn:
        mail.queue(conn, "a@example.org", "Hi\nBcc: x@evil.example", "Body")
    assert mail.outbox(engine) == []


def test_a_bad_from_setting_is_refused_before_any_attempt(engine: Engine) -> None:
    [id] = enqueue(engine, ("a@example.org", "S", "B"))
    with pytest.raises(mail.MailError, match="the mail_from setting"):
        mail.send_due(engine, Settings(mail_from="not an address"), now=NOW)
    assert row(engine, id).attempts == 0


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [mail.backoff(n).total_seconds() / 60 for n in range(1, 10)] == [
        1, 2, 4, 8, 16, 32, 60, 60, 60]


# ---- TLS ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts it as its CA file)."""
    crypto = pytest.importorskip("cryptography", reason="makes the test certificate")
    del crypto
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sdgbridge test smtp")])
    start = dt.datetime.now(UTC) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def test_starttls_with_sign_in(engine: Engine, collector: Collector,
                               certificate: tuple[Path, Path]) -> None:
    ids = enqueue(engine, ("secure@ngo.example.org", "Сброс пароля", "Ссылка: …"))
    with smtp_server(collector, tls_context=server_context(certificate),
                     require_starttls=True, authenticator=_accept("centre", PASSWORD)) as port:
        cfg = settings_for(port, smtp_security="starttls", smtp_ca_file=certificate[0],
                           smtp_username="centre", smtp_password=PASSWORD)
        assert mail.send_due(engine, cfg, now=NOW).sent == ids
    assert collector.messages[0]["Subject"] == "Сброс пароля"


def test_starttls_refuses_an_untrusted_certificate(engine: Engine, collector: Collector,
                                                   certificate: tuple[Path, Path]) -> None:
    [id] = enqueue(engine, ("secure@ngo.example.org", "S", "B"))
    with smtp_server(collector, tls_context=server_context(certificate),
                     require_starttls=True) as port:
        report = mail.send_due(engine, settings_for(port, smtp_security="starttls"), now=NOW)
    assert report.sent == [] and collector.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in row(engine, id).last_error


def test_implicit_tls(engine: Engine, collector: Collector,
                      certificate: tuple[Path, Path]) -> None:
    ids = enqueue(engine, ("tls@ngo.example.org", "TLS", "Body"))
    with smtp_server(collector, ssl_context=server_context(certificate)) as port:
        cfg = settings_for(port, smtp_security="tls", smtp_ca_file=certificate[0])
        assert mail.send_due(engine, cfg, now=NOW).sent == ids
    assert collector.messages[0]["Subject"] == "TLS"


# ---- concurrency and the worker ----------------------------------------------------------

def test_two_concurrent_runs_never_send_a_message_twice(
        engine: Engine, collector: Collector, server: int) -> None:
    ids = enqueue(engine, *[(f"r{i}@ngo.example.org", f"Message {i}", "Body")
                            for i in range(16)])
    collector.delay = 0.02
    cfg = settings_for(server)
    reports: list[mail.SendReport] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        reports.append(mail.send_due(engine, cfg, now=NOW))

    workers = [threading.Thread(target=run) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    subjects = sorted(m["Subject"] for m in collector.messages)
    assert subjects == sorted(f"Message {i}" for i in range(16))  # each exactly once
    assert sorted(reports[0].sent + reports[1].sent) == ids
    if engine.dialect.name == "postgresql":  # both took part: rows were skipped, not waited
        assert reports[0].sent and reports[1].sent


def test_the_worker_sends_until_stopped(engine: Engine, collector: Collector,
                                        server: int) -> None:
    stop = threading.Event()
    seen: list[mail.SendReport] = []

    def on_report(report: mail.SendReport) -> None:
        seen.append(report)
        if report.sent:
            stop.set()

    enqueue(engine, ("w@ngo.example.org", "From the worker", "Body"))
    with engine.begin() as conn:  # due now, whatever the clock
        conn.execute(update(t.mail_outbox).values(next_attempt_at=NOW - timedelta(days=1)))
    worker = threading.Thread(target=mail.run_worker, args=(
        engine, settings_for(server), stop, 0.05), kwargs={"on_report": on_report})
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive()
    assert [m["Subject"] for m in collector.messages] == ["From the worker"]


def test_a_long_russian_subject_keeps_its_spaces(engine: Engine, collector: Collector,
                                                  server: int) -> None:
    """CPython folds a long non-ASCII subject at 78 characters so that the space between two
    encoded words is lost; the outbox's messages fold headers at 998 only."""
    subject = "Запрос 1: выполняется — Эффективность водопользования в орошении"
    enqueue(engine, ("focal@gov.example.kg", subject, "Текст.\n"))
    mail.send_due(engine, settings_for(server), now=NOW)
    assert collector.messages[0]["Subject"] == subject
