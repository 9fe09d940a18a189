"""The mail outbox (:mod:`sdgbridge.mail`): ``send`` what is due once, run the ``worker``
until Ctrl-C (or SIGTERM), ``list`` the outbox, ``retry`` failed messages, and ``test`` the
SMTP settings with a message to an address."""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from sdgbridge.cli.output import console, say
from sdgbridge.cli.state import state
from sdgbridge.errors import SdgBridgeError
from sdgbridge.mail import SendReport, outbox, queue, retry, run_worker, send_due

app = typer.Typer(help="The mail outbox: send, run the worker, list, retry, test.",
                  no_args_is_help=True)

TEST_SUBJECT = "sdgbridge: test message / тестовое сообщение"
TEST_BODY = ("This message was sent by `sdgbridge mail test`: the mail settings work.\n\n"
             "Это сообщение отправлено командой `sdgbridge mail test`: настройки почты "
             "работают.\n")


def _report(report: SendReport) -> None:
    say(f"Mail: {report}.")
    for failure in report.failures:
        what = "given up" if failure.given_up else "will be retried"
        say(f"  {failure.id} to {failure.to} ({what}): {failure.error}")


@app.command()
def send(ctx: typer.Context, limit: Annotated[int, typer.Option(
        help="The most messages to send in this run.")] = 50) -> None:
    """Send the messages that are due, once, and say what happened."""
    st = state(ctx)
    _report(send_due(st.engine, st.settings, limit=limit))


@app.command()
def worker(ctx: typer.Context, interval: Annotated[float, typer.Option(
        help="Seconds between two looks at the outbox.")] = 10.0) -> None:
    """Send what is due every INTERVAL seconds until Ctrl-C or SIGTERM (run it as a
    service: see docs/operations.md, Mail)."""
    if interval <= 0:
        raise SdgBridgeError(f"--interval {interval}: give a number of seconds above 0.")
    st = state(ctx)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    say(f"Mail worker: sending to {st.settings.smtp_host}:{st.settings.smtp_port} every "
        f"{interval:g} s; Ctrl-C stops it.")
    try:
        run_worker(st.engine, st.settings, stop, interval,
                   on_report=lambda r: _report(r) if r.sent or r.failures else None)
    except KeyboardInterrupt:
        stop.set()
    say("Mail worker stopped.")


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


@app.command("list")
def list_(ctx: typer.Context,
          pending: Annotated[bool, typer.Option("--pending", help="Only those waiting.")]
          = False,
          failed: Annotated[bool, typer.Option("--failed", help="Only those given up.")]
          = False,
          limit: Annotated[int, typer.Option(help="The most messages shown.")] = 100) -> None:
    """The outbox's messages, newest first (times in UTC)."""
    if pending and failed:
        raise SdgBridgeError("--pending and --failed: give one of them, or neither for all.")
    entries = outbox(state(ctx).engine, "pending" if pending else "failed" if failed else None,
                     limit)
    table = Table(title=f"Mail outbox ({len(entries)} shown)")
    for column in ("id", "to", "subject", "state", "attempts", "queued", "next attempt",
                   "sent", "last error"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(str(e.id), e.to, e.subject, e.state, str(e.attempts),
                      _when(e.created_at), _when(e.next_attempt_at), _when(e.sent_at),
                      e.last_error or "")
    console.print(table)


@app.command("retry")
def retry_(ctx: typer.Context, ids: Annotated[list[int] | None, typer.Argument(
        help="Ids of failed messages (default: every failed one).")] = None) -> None:
    """Queue failed messages again, their attempts counted from zero."""
    say(f"{retry(state(ctx).engine, ids or None)} failed message(s) queued again.")


@app.command()
def test(ctx: typer.Context, address: Annotated[str, typer.Argument(
        help="Where to send the test message.")]) -> None:
    """Queue a test message to ADDRESS and send it now (it alone), to check the SMTP
    settings; a failure says why and leaves the message to the worker's retries."""
    st = state(ctx)
    with st.engine.begin() as conn:
        id = queue(conn, address, TEST_SUBJECT, TEST_BODY)
    report = send_due(st.engine, st.settings, only=[id])
    if report.sent:
        say(f"Test message {id} handed to {st.settings.smtp_host}:{st.settings.smtp_port} "
            f"for {address}.")
        return
    error = report.failures[0].error if report.failures else "it was not due"
    raise SdgBridgeError(f"The test message {id} was not sent: {error}. Check the smtp_* "
                         "settings (`sdgbridge settings`); the message stays in the outbox "
                         "and the worker retries it (`sdgbridge mail list`).")
