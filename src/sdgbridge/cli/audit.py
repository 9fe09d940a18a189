"""``sdgbridge audit``: reading the audit trail (who changed what, when, through which path,
before and after; and the refused writes). ``audit list`` shows the events matching the
filters, newest first; ``audit export`` writes them to a CSV file a spreadsheet opens as
text (:func:`sdgbridge.audit.write_events_csv`). The trail itself is written by the library;
nothing here changes it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sdgbridge import audit
from sdgbridge.cli.output import FormatOpt, say, show
from sdgbridge.cli.state import state
from sdgbridge.outputs import output_path

app = typer.Typer(help="The audit trail: every write and refused write, who and when.",
                  no_args_is_help=True)

TypeOpt = Annotated[str | None, typer.Option(
    "--record-type", help="organisation, activity, document, group, release, iati_import, "
    "assessment_run, framework, geography …")]
KeyOpt = Annotated[str | None, typer.Option("--key", help="The record's key (ref, id, code).")]
ActorOpt = Annotated[str | None, typer.Option(
    "--actor", help="Who acted, exactly as the trail shows it (cli:amina, iati import 3).")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="From this date (yyyy-mm-dd).")]
UntilOpt = Annotated[str | None, typer.Option("--until",
                                              help="Up to this date, included (yyyy-mm-dd).")]
OutcomeOpt = Annotated[str | None, typer.Option("--outcome", help="done or refused.")]
LimitOpt = Annotated[int, typer.Option("--limit", help=f"At most this many events "
                                       f"(1 to {audit.MAX_LIMIT:,}).")]


def _filters(record_type: str | None, key: str | None, actor: str | None, since: str | None,
             until: str | None, outcome: str | None) -> dict[str, Any]:
    return {"record_type": record_type, "record_key": key, "actor": actor, "since": since,
            "until": until, "outcome": outcome}


@app.command("list")
def list_events(ctx: typer.Context, record_type: TypeOpt = None, key: KeyOpt = None,
                actor: ActorOpt = None, since: SinceOpt = None, until: UntilOpt = None,
                outcome: OutcomeOpt = None, limit: LimitOpt = 100,
                fmt: FormatOpt = "table") -> None:
    """The events matching every filter given, newest first."""
    found = audit.events(state(ctx).engine, limit=limit,
                         **_filters(record_type, key, actor, since, until, outcome))
    if fmt == "table":  # before and after are long: csv and json show them
        found = found.select("id", "at", "actor", "via", "action", "record_type",
                             "record_key", "outcome", "message")
    show(found, fmt, title=f"{found.height:,} audit events", limit=limit)


@app.command("export")
def export_events(ctx: typer.Context, out: Annotated[Path, typer.Argument(
        help="The CSV file to write.")], record_type: TypeOpt = None, key: KeyOpt = None,
        actor: ActorOpt = None, since: SinceOpt = None, until: UntilOpt = None,
        outcome: OutcomeOpt = None, limit: LimitOpt = audit.MAX_LIMIT) -> None:
    """Write the events matching the filters to OUT as CSV (newest first)."""
    target = output_path(out, "audit export")
    found = audit.events(state(ctx).engine, limit=limit,
                         **_filters(record_type, key, actor, since, until, outcome))
    audit.write_events_csv(found, target)
    say(f"Wrote {found.height:,} audit events to {target}.")
