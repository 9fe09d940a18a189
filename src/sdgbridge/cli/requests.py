"""Technical assistance on the command line: ``sdgbridge requests …`` (file, list, show, move
along the lifecycle, comment, match with reasons, pick, accept or decline, feedback, the
overdue ones and their reminders, the dashboard) and ``sdgbridge experts …``. The command
line acts for the Centre; its changes mail the parties through the outbox."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from sdgbridge.cli.output import FormatOpt, console, say, show
from sdgbridge.cli.state import state

app = typer.Typer(help="Technical-assistance requests, from filing to feedback.",
                  no_args_is_help=True)
experts_app = typer.Typer(help="The experts the Centre matches to requests.",
                          no_args_is_help=True)
IdArg = Annotated[int, typer.Argument(help="The request's number.", min=1)]
ListOpt = Annotated[list[str] | None, typer.Option()]


def _date(text: str | None, what: str) -> date | None:
    from sdgbridge.errors import SdgBridgeError

    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SdgBridgeError(f"{what} {text!r}: write the date as yyyy-mm-dd.") from None


@app.command("file")
def file_(ctx: typer.Context,
          title: Annotated[str, typer.Option(help="What is asked, in a line.")],
          description: Annotated[str, typer.Option(help="The request in full.")],
          country: Annotated[str, typer.Option(help="ISO alpha-3, e.g. KGZ.")],
          body: Annotated[str, typer.Option("--body", help="The requesting ministry or "
                                            "agency.")],
          target: Annotated[list[str], typer.Option(help="An SDG target (repeat), e.g. 6.4.")],
          kind: Annotated[str, typer.Option(help="policy_advice, statistics_and_data, "
                                            "capacity_building, project_design or "
                                            "peer_exchange.")] = "policy_advice",
          language: ListOpt = None, urgency: str = "normal",
          wanted_by: Annotated[str | None, typer.Option(help="yyyy-mm-dd")] = None,
          share: Annotated[bool, typer.Option(help="Partners may read it.")] = False,
          submit: Annotated[bool, typer.Option(help="Submit it at once.")] = False) -> None:
    """File a request (a draft unless --submit)."""
    from sdgbridge.assistance.service import file_request

    st = state(ctx)
    rid = file_request(st.engine, title=title, description=description, country=country,
                       requesting_body=body, kind=kind, targets=target,
                       languages=language or ["ru", "en"], urgency=urgency,
                       wanted_by=_date(wanted_by, "--wanted-by"), share_with_partners=share,
                       submit=submit, settings=st.settings)
    say(f"Request {rid} filed ({'submitted' if submit else 'a draft'}).")


@app.command("list")
def list_(ctx: typer.Context, country: str | None = None,
          state_: Annotated[str | None, typer.Option("--state")] = None,
          fmt: FormatOpt = "table") -> None:
    """The requests, newest first, with their due dates (overdue ones marked)."""
    from sdgbridge.assistance.queries import list_requests

    df = list_requests(state(ctx).engine, country=country, state=state_)
    show(df.drop("created_at") if fmt == "table" else df, fmt, title="Requests")


@app.command("show")
def show_(ctx: typer.Context, request_id: IdArg) -> None:
    """One request: its lifecycle so far, comments, candidates with their reasons, feedback."""
    from sdgbridge.assistance.queries import request_detail

    d = request_detail(state(ctx).engine, request_id)
    r = d["request"]
    console.print(f"Request {r['id']}: {r['title']} ({r['country']}, {r['requesting_body']})",
                  markup=False)
    console.print(f"  {r['kind']}, {r['urgency']} urgency; targets {r['targets']}; "
                  f"languages {r['languages']}; now {r['state']}"
                  + (f", due {r['due']:%Y-%m-%d}" if r["due"] else ""), markup=False)
    console.print(f"  can become: {', '.join(d['next_states']) or 'nothing (finished)'}",
                  markup=False)
    for tr in d["transitions"]:
        console.print(f"  {tr['at']:%Y-%m-%d %H:%M} {tr['from_state'] or '-'} -> "
                      f"{tr['to_state']} by {tr['actor']}"
                      + (f" ({tr['reason']})" if tr["reason"] else ""), markup=False)
    for c in d["comments"]:
        console.print(f"  {c['at']:%Y-%m-%d} {c['actor']}: {c['text']}", markup=False)
    for c in d["candidates"]:
        console.print(f"  candidate {c['kind']} {c['candidate_key']} {c['name']} "
                      f"({c['score']:g}, {c['state']}): {'; '.join(c['reasons'])}",
                      markup=False)
    for a in d["attachments"]:
        console.print(f"  attachment {a['name']} (document {a['document_id']}, "
                      f"{a['language']}; SDG tags {', '.join(a['tags']) or '-'}): "
                      f"{a['opening'][:120]}", markup=False)
    if d["feedback"]:
        f = d["feedback"]
        console.print(f"  feedback: {f['rating']}/5 {f['text']} (indicators "
                      f"{f['indicators'] or '-'})", markup=False)


@app.command("move")
def move_(ctx: typer.Context, request_id: IdArg,
          to: Annotated[str, typer.Argument(help="The new state, e.g. triaged.")],
          reason: str | None = None) -> None:
    """Move a request along its lifecycle (refused unless the table allows it)."""
    from sdgbridge.assistance.service import move

    st = state(ctx)
    move(st.engine, request_id, to, reason, st.settings)
    say(f"Request {request_id} is {to}.")


@app.command("comment")
def comment_(ctx: typer.Context, request_id: IdArg, text: str) -> None:
    """Add a comment to the request's thread."""
    from sdgbridge.assistance.service import comment

    comment(state(ctx).engine, request_id, text)
    say(f"Comment added to request {request_id}.")


@app.command("match")
def match_(ctx: typer.Context, request_id: IdArg,
           propose: Annotated[int, typer.Option(help="Propose the best N as candidates.",
                                                min=0)] = 0,
           fmt: FormatOpt = "table") -> None:
    """Rank partner organisations and experts for a request, each with its reasons."""
    from sdgbridge.assistance.match import match_request
    from sdgbridge.assistance.service import propose as propose_
    from sdgbridge.knowledge.embed import get_embedder

    st = state(ctx)
    found = match_request(st.engine, request_id, get_embedder(st.settings.embedder))
    show(found.drop("why").with_columns(pl.col("reasons").list.join("; ")), fmt,
         title=f"Candidates for request {request_id}")
    if propose:
        n = propose_(st.engine, request_id, found.head(propose).to_dicts())
        say(f"{n} candidate(s) proposed for request {request_id}.")


@app.command("pick")
def pick_(ctx: typer.Context, request_id: IdArg,
          kind: Annotated[str, typer.Argument(help="expert or organisation")],
          key: Annotated[str, typer.Argument(help="The expert's number or the "
                                             "organisation's ref.")]) -> None:
    """Pick a proposed candidate: the request becomes matched."""
    from sdgbridge.assistance.service import pick

    st = state(ctx)
    pick(st.engine, request_id, kind, key, st.settings)
    say(f"Request {request_id} is matched to {kind} {key}.")


@app.command("accept")
def accept_(ctx: typer.Context, request_id: IdArg) -> None:
    """The picked candidate accepts the request."""
    from sdgbridge.assistance.service import respond

    st = state(ctx)
    respond(st.engine, request_id, True, settings=st.settings)
    say(f"Request {request_id} is accepted.")


@app.command("decline")
def decline_(ctx: typer.Context, request_id: IdArg,
             reason: Annotated[str, typer.Option(help="Why.")]) -> None:
    """The picked candidate declines; the request goes back to triage."""
    from sdgbridge.assistance.service import respond

    st = state(ctx)
    respond(st.engine, request_id, False, reason, st.settings)
    say(f"Request {request_id} is back in triage.")


@app.command("feedback")
def feedback_(ctx: typer.Context, request_id: IdArg,
              rating: Annotated[int, typer.Option(min=1, max=5)],
              text: Annotated[str, typer.Option(help="A few words.")],
              indicator: ListOpt = None) -> None:
    """The requester's feedback on delivered help; the request is then closed."""
    from sdgbridge.assistance.service import give_feedback

    st = state(ctx)
    give_feedback(st.engine, request_id, rating, text, indicator or [], st.settings)
    say(f"Request {request_id} is closed with feedback.")


@app.command("attach")
def attach_(ctx: typer.Context, request_id: IdArg,
            path: Annotated[Path, typer.Argument(help="PDF, DOCX, HTML, Markdown or text.")]
            ) -> None:
    """Attach a file to the request, read into the knowledge base (internal)."""
    from sdgbridge.assistance.attachments import attach

    st = state(ctx)
    from sdgbridge.knowledge.embed import get_embedder

    doc = attach(st.engine, request_id, path, embedder=get_embedder(st.settings.embedder))
    say(f"{path.name} is attached to request {request_id} (document {doc}).")


@app.command("context")
def context_(ctx: typer.Context, request_id: IdArg,
             method: Annotated[str, typer.Option(help="unsd, escap, sdsn or opensdg.")] = "unsd",
             fmt: FormatOpt = "table") -> None:
    """What the Centre knows around the request: the country's status on its targets,
    the partners' projects there, practices from the region's other countries, and the
    indicators followed after delivery."""
    from sdgbridge.assistance import context
    from sdgbridge.knowledge.embed import get_embedder

    st = state(ctx)
    status = context.target_status(st.engine, request_id, method)
    for target in status["targets"]:
        show(pl.DataFrame(target["series"]) if target["series"] else pl.DataFrame(
            {"series": []}), fmt, title=f"{target['target']}: {target['status'] or 'no status'}"
             f" ({status['method']})")
    show(context.related_projects(st.engine, request_id).select(
        "iati_identifier", "reporting_org", "level", "usd", "usd_goals"), fmt,
        title="Partners' projects there (level 2: on the targets, 1: on their goals)")
    practices = context.related_practices(st.engine, request_id,
                                          get_embedder(st.settings.embedder),
                                          st.settings.default_group)
    show(pl.DataFrame([{k: p[k] for k in ("document_id", "title", "organisation", "year")}
                       | {"countries": ",".join(p["countries"])} for p in practices]
                      or {"title": []}), fmt, title="Practices from the region's other countries")
    show(context.followed_indicators(st.engine, request_id), fmt,
         title="Indicators followed since delivery")


@app.command("overdue")
def overdue_(ctx: typer.Context,
             remind: Annotated[bool, typer.Option(help="Mail the parties a reminder.")] = False,
             fmt: FormatOpt = "table") -> None:
    """The open requests past their stage's service level; with --remind, mail them."""
    from sdgbridge.assistance.queries import overdue
    from sdgbridge.assistance.service import remind_overdue

    st = state(ctx)
    show(overdue(st.engine).drop("created_at"), fmt, title="Overdue requests")
    if remind:
        say(f"{remind_overdue(st.engine, st.settings)} reminder(s) queued in the outbox.")


@app.command("dashboard")
def dashboard_(ctx: typer.Context) -> None:
    """Open requests by country and stage, by kind, and the days to delivery."""
    from sdgbridge.assistance.queries import dashboard

    d = dashboard(state(ctx).engine)
    show(d["by_country"], "table", title="Open requests by country and stage")
    show(d["by_kind"], "table", title="Open requests by kind")
    if d["delivery"].height:
        median = float(d["delivery"]["days"].median() or 0)  # type: ignore[arg-type]
        console.print(f"Delivered: {d['delivery'].height}, median {median:g} days from "
                      "submission.", markup=False)


@experts_app.command("add")
def experts_add(ctx: typer.Context, name: str, email: str,
                language: Annotated[list[str], typer.Option(help="ISO 639-1 (repeat).")],
                target: ListOpt = None, sector: ListOpt = None, country: ListOpt = None,
                available_from: str | None = None, available_to: str | None = None) -> None:
    """Register an expert: languages, SDG targets, DAC sectors, countries worked in."""
    from sdgbridge.assistance.service import add_expert

    expert_id = add_expert(state(ctx).engine, name=name, email=email, languages=language,
                           targets=target or [], sectors=sector or [],
                           countries=country or [],
                           available_from=_date(available_from, "--available-from"),
                           available_to=_date(available_to, "--available-to"))
    say(f"Expert {expert_id} registered.")


@experts_app.command("list")
def experts_list(ctx: typer.Context, fmt: FormatOpt = "table") -> None:
    """The registered experts."""
    from sdgbridge.assistance.match import experts_frame

    show(experts_frame(state(ctx).engine), fmt, title="Experts")
