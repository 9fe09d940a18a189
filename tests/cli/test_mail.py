"""``sdgbridge mail``: send, list, retry and test, against a real local SMTP server."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from sdgbridge import mail
from sdgbridge.cli import app
from sdgbridge.cli.output import console
from sdgbridge.db import tables as t
from tests.helpers import cli_output, refused
from tests.test_mail import Collector, free_port, smtp_server


@pytest.fixture
def smtp(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    """The commands on the test's store, sending to a local SMTP server."""
    collector = Collector()
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", sqlite_engine.url.render_as_string(False))
    monkeypatch.setenv("SDGBRIDGE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SDGBRIDGE_MAIL_FROM", "centre@sdg.example.org")
    monkeypatch.setenv("SDGBRIDGE_SMTP_TIMEOUT", "5")
    monkeypatch.setattr(console, "width", 250)  # the console may be made before COLUMNS is set
    with smtp_server(collector) as port:
        monkeypatch.setenv("SDGBRIDGE_SMTP_PORT", str(port))
        yield collector


def _queue(engine: Engine, to: str, subject: str) -> int:
    with engine.begin() as conn:
        return mail.queue(conn, to, subject, "Body")


def test_mail_test_sends_a_message_in_english_and_russian(smtp: Collector) -> None:
    out = cli_output("mail", "test", "admin@centre.example.org")
    assert "Test message 1 handed to 127.0.0.1:" in out
    [message] = smtp.messages
    assert message["To"] == "admin@centre.example.org"
    assert message["Subject"] == "sdgbridge: test message / тестовое сообщение"
    assert "настройки почты работают" in message.get_content()


def test_mail_test_sends_only_the_test_message(smtp: Collector,
                                               sqlite_engine: Engine) -> None:
    _queue(sqlite_engine, "other@ngo.example.org", "Waiting")
    cli_output("mail", "test", "admin@centre.example.org")
    assert [m["To"] for m in smtp.messages] == ["admin@centre.example.org"]


def test_mail_test_says_why_it_failed(smtp: Collector) -> None:
    smtp.refuse.add("nobody@centre.example.org")
    message = refused("mail", "test", "nobody@centre.example.org")
    assert message.startswith("The test message 1 was not sent: SMTPRecipientsRefused: ")
    assert "550" in message and "the worker retries it" in message


def test_mail_test_refuses_a_bad_address(smtp: Collector) -> None:
    assert "is not a mail address" in refused("mail", "test", "not-an-address")


def test_mail_send_list_and_retry(smtp: Collector, sqlite_engine: Engine) -> None:
    _queue(sqlite_engine, "a@ngo.example.org", "Первое")
    _queue(sqlite_engine, "b@ngo.example.org", "Second")
    smtp.refuse.add("b@ngo.example.org")
    out = cli_output("mail", "send")
    assert "Mail: 1 sent, 1 to retry later, 0 given up." in out
    assert "2 to b@ngo.example.org (will be retried): SMTPRecipientsRefused" in out
    listed = cli_output("mail", "list")
    assert "Первое" in listed and "sent" in listed and "pending" in listed
    assert "a@ngo.example.org" not in cli_output("mail", "list", "--pending")
    assert "b@ngo.example.org" not in cli_output("mail", "list", "--failed")
    with sqlite_engine.begin() as conn:  # the message is given up
        conn.execute(update(t.mail_outbox).where(t.mail_outbox.c.id == 2)
                     .values(next_attempt_at=mail.GIVEN_UP))
    assert "b@ngo.example.org" in cli_output("mail", "list", "--failed")
    smtp.refuse.clear()
    assert "1 failed message(s) queued again." in cli_output("mail", "retry")
    assert "Mail: 1 sent, 0 to retry later, 0 given up." in cli_output("mail", "send")
    assert [m["Subject"] for m in smtp.messages] == ["Первое", "Second"]


def test_mail_list_refuses_both_filters(smtp: Collector) -> None:
    assert "give one of them" in refused("mail", "list", "--pending", "--failed")


def test_mail_worker_sends_and_stops_on_sigterm(smtp: Collector,
                                                sqlite_engine: Engine) -> None:
    _queue(sqlite_engine, "w@ngo.example.org", "Worker")
    with sqlite_engine.begin() as conn:
        conn.execute(update(t.mail_outbox).values(
            next_attempt_at=datetime.now(UTC) - timedelta(minutes=1)))
    done = threading.Event()

    def terminate() -> None:  # SIGTERM until the command ends (it may start slowly)
        while not done.wait(1.0):
            os.kill(os.getpid(), signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, lambda *_: None)  # before the command's own
    threading.Thread(target=terminate, daemon=True).start()
    try:
        result = CliRunner().invoke(app, ["mail", "worker", "--interval", "0.1"])
    finally:
        done.set()
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 0, result.output
    assert "Mail: 1 sent, 0 to retry later, 0 given up." in result.output
    assert result.output.rstrip().endswith("Mail worker stopped.")
    assert [m["Subject"] for m in smtp.messages] == ["Worker"]


def test_mail_send_with_the_server_away_says_so(sqlite_engine: Engine,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDGBRIDGE_DATABASE_URL", sqlite_engine.url.render_as_string(False))
    monkeypatch.setenv("SDGBRIDGE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SDGBRIDGE_SMTP_PORT", str(free_port()))
    _queue(sqlite_engine, "a@ngo.example.org", "Away")
    out = cli_output("mail", "send")
    assert "Mail: 0 sent, 1 to retry later, 0 given up." in out
    assert "ConnectionRefusedError" in out
