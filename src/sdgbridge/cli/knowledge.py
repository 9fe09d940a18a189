"""``sdgbridge docs …``: the knowledge base on the command line: documents and practices
(add, list, show, remove), search, SDG tags and their corrections, plan alignment, and the
project descriptions of the registry."""

from __future__ import annotations

import html
import json
import re
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from sdgbridge.cli.output import FormatOpt, console, progress_bar, say, show
from sdgbridge.cli.state import CliState, state
from sdgbridge.csvsafe import write_csv
from sdgbridge.errors import SdgBridgeError
from sdgbridge.knowledge.align import align_plan
from sdgbridge.knowledge.embed import Embedder, get_embedder
from sdgbridge.knowledge.search import (
    SearchFilters,
    SearchHit,
    list_documents,
    more_like_this,
    search,
    show_document,
)
from sdgbridge.knowledge.service import (
    DocumentInput,
    DocumentReport,
    add_documents,
    area_codes_for,
    correct_tags,
    index_projects,
    remove_document,
    tag_document,
)
from sdgbridge.outputs import output_path

app = typer.Typer(help="The knowledge base: documents and practices, searchable across "
                  "languages and tagged to SDG targets.", no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="The document id (`sdgbridge docs list`).")]
CountryOpt = Annotated[list[str] | None, typer.Option(
    "--country", help="Area: M49, ISO alpha-3/alpha-2 or group code (repeat).")]
KindOpt = Annotated[str | None, typer.Option(
    help="practice, report, plan, evaluation or project.")]
TagOpt = Annotated[bool, typer.Option(help="Tag with SDG goals and targets.")]


def _embedder(st: CliState) -> Embedder:
    return get_embedder(st.settings.embedder)


def _tags_line(tags: list[dict[str, Any]], n: int = 8) -> str:
    shown = [f"{tg['target'] or 'SDG ' + str(tg['goal'])} ({tg['score']:.2f}"
             f"{', user' if tg['source'] == 'user' else ''})" for tg in tags[:n]]
    more = f" … {len(tags) - n} more" if len(tags) > n else ""
    return ", ".join(shown) + more if shown else "none"


# ---- add, list, show, remove ---------------------------------------------------------

@app.command("add")
def docs_add(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Files: PDF, DOCX, HTML, "
                                                       "Markdown, text.")] = None,
    text: Annotated[str | None, typer.Option(help="Add this text instead of files.")] = None,
    title: Annotated[str | None, typer.Option(help="Title (default: from the file).")] = None,
    org: Annotated[str | None, typer.Option(help="Organisation.")] = None,
    country: CountryOpt = None,
    year: Annotated[int | None, typer.Option(help="Year of the document.")] = None,
    kind: Annotated[str, typer.Option(help="practice, report, plan, evaluation or "
                                      "project.")] = "practice",
    licence: Annotated[str | None, typer.Option(help="Licence (CC-BY-4.0 …).")] = None,
    language: Annotated[str | None, typer.Option(help="ISO 639-1; detected if not "
                                                 "given.")] = None,
    tag: TagOpt = True,
) -> None:
    """Add documents (files or a text typed in) with their metadata, chunked, embedded and
    tagged. The same content twice is reported and not stored again."""
    if bool(paths) == (text is not None):
        raise SdgBridgeError("Give files to add, or --text \"…\" (one of them).")
    if title and paths and len(paths) > 1:
        raise SdgBridgeError("--title names one document: add the files one by one.")
    meta: dict[str, Any] = {"title": title, "organisation": org, "countries": tuple(country or ()),
            "year": year, "kind": kind, "licence": licence, "language": language}
    inputs = [DocumentInput(path=p, **meta) for p in paths or []] or [
        DocumentInput(text=text, **meta)]
    st = state(ctx)
    with progress_bar() if len(inputs) > 1 else nullcontext() as update:
        reports = add_documents(st.engine, inputs, embedder=_embedder(st), tag=tag,
                                progress=update)
    for r in reports:
        say(_report_line(r))
    if any(r.status == "failed" for r in reports):
        raise typer.Exit(1)


def _report_line(r: DocumentReport) -> str:
    where = f"{r.source}: " if r.source else ""
    if r.status == "failed":
        return f"Failed: {r.error}"
    if r.status == "duplicate":
        return f"Duplicate: {where}{r.error}"
    return (f"Added document {r.document_id}: {r.title!r} ({r.chunks} chunk(s), language "
            f"{r.language or 'unknown'}); tags: {_tags_line(r.tags)}")


@app.command("list")
def docs_list(ctx: typer.Context, kind: KindOpt = None, country: CountryOpt = None,
              goal: Annotated[list[int] | None, typer.Option(help="SDG (repeat).")] = None,
              fmt: FormatOpt = "table") -> None:
    """The documents, with kind, organisation, year, language and chunk count."""
    engine = state(ctx).engine
    df = list_documents(engine, SearchFilters(countries=area_codes_for(engine, country or []),
                                              goals=tuple(goal or ()), kind=kind))
    show(df, fmt, title=f"{df.height} document(s)", limit=200)


@app.command("show")
def docs_show(ctx: typer.Context, doc_id: IdArg) -> None:
    """A document's metadata, countries, tags in force (with their passages) and the
    user's corrections."""
    doc = show_document(state(ctx).engine, doc_id)
    for key in ("id", "title", "kind", "organisation", "year", "language", "licence",
                "source", "format", "pages", "chars", "chunks", "sha256", "added_at",
                "tagged_at"):
        say(f"{key:>12}: {'' if doc[key] is None else doc[key]}")
    say(f"{'countries':>12}: {', '.join(doc['countries'])}")
    say(f"{'tags':>12}: {_tags_line(doc['tags'], 40)}")
    for tg in doc["tags"][:10]:
        for passage in tg["passages"][:1]:
            say(f"  {tg['target'] or tg['goal']}: {' '.join(passage.split())[:160]}")
    for c in doc["corrections"]:
        say(f"  correction: {c['action']} {c['target'] or c['goal']} ({c['created_at']})")


@app.command("remove")
def docs_remove(ctx: typer.Context, doc_id: IdArg) -> None:
    """Delete a document with its chunks, embeddings, tags and corrections."""
    title = remove_document(state(ctx).engine, doc_id)
    say(f"Removed document {doc_id}: {title!r}.")


# ---- search --------------------------------------------------------------------------

@app.command("search")
def docs_search(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(help="Words, in any language.")] = None,
    like: Annotated[int | None, typer.Option(help="More like this document id instead of "
                                             "a query.")] = None,
    country: CountryOpt = None,
    goal: Annotated[list[int] | None, typer.Option(help="SDG 1–17 (repeat).")] = None,
    target: Annotated[list[str] | None, typer.Option(help="Target, e.g. 6.1 (repeat).")]
    = None,
    org: Annotated[str | None, typer.Option(help="Part of the organisation's name.")] = None,
    year: Annotated[int | None, typer.Option(help="Year of the document.")] = None,
    language: Annotated[str | None, typer.Option(help="ISO 639-1 code.")] = None,
    kind: KindOpt = None,
    limit: Annotated[int, typer.Option(help="How many documents.", min=1, max=1000)] = 10,
    mode: Annotated[str, typer.Option(help="hybrid, fts or semantic")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Hybrid search (full text + multilingual embeddings) with filters; --like ID finds the
    documents nearest to one document."""
    if (query is None) == (like is None):
        raise SdgBridgeError("Give a QUERY or --like DOCUMENT_ID (one of them).")
    st = state(ctx)
    filters = SearchFilters(area_codes_for(st.engine, country or []), tuple(goal or ()),
                            tuple(target or ()), org, year, language, kind)
    if like is not None:
        hits = more_like_this(st.engine, like, embedder=_embedder(st), filters=filters,
                              limit=limit)
    else:
        hits = search(st.engine, query or "", embedder=_embedder(st), filters=filters,
                      limit=limit, mode=mode)
    if as_json:
        typer.echo(json.dumps([asdict(h) for h in hits], ensure_ascii=False, indent=1))
    else:
        _hits_table(hits)


def _hits_table(hits: list[SearchHit]) -> None:
    table = Table(title=f"{len(hits)} document(s)")
    for name in ("#", "id", "title", "kind", "year", "page", "score", "passage"):
        table.add_column(name, overflow="fold")
    for i, h in enumerate(hits, start=1):
        table.add_row(str(i), str(h.document_id), h.title, h.kind, str(h.year or ""),
                      str(h.page), f"{h.score:.4f}", _marked(h.snippet))
    console.print(table)


def _marked(snippet: str) -> Text:
    """The HTML snippet as Rich text, the <mark>ed words in bold."""
    out = Text()
    for i, part in enumerate(re.split(r"</?mark>", snippet)):
        out.append(html.unescape(part), style="bold yellow" if i % 2 else "")
    return out


# ---- tags and alignment --------------------------------------------------------------

@app.command("tag")
def docs_tag(
    ctx: typer.Context,
    doc_id: IdArg,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Add this goal (6) or "
                                                   "target (6.1) (repeat).")] = None,
    remove: Annotated[list[str] | None, typer.Option(help="Remove this goal or target "
                                                     "(repeat).")] = None,
) -> None:
    """Without options: tag the document again with the model. With --set/--remove: your
    corrections, which win over the model and survive re-tagging."""
    both = sorted(set(set_ or []) & set(remove or []))
    if both:
        raise SdgBridgeError(f"{', '.join(both)}: both --set and --remove; give each code once.")
    st = state(ctx)
    tags = (correct_tags(st.engine, doc_id, set_ or [], remove or []) if set_ or remove
            else tag_document(st.engine, doc_id, embedder=_embedder(st)))
    say(f"Document {doc_id} tags: {_tags_line(tags, 40)}")


@app.command("align")
def docs_align(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The plan or strategy (PDF, DOCX, HTML, "
                                         "Markdown, text).")],
    out: Annotated[Path | None, typer.Option(help="Write the 169-target table as CSV.")]
    = None,
    threshold: Annotated[float | None, typer.Option(help="Similarity a passage needs to "
                                                    "cover a target (0-1).",
                                                    min=0.0, max=1.0)] = None,
) -> None:
    """Rapid Integrated Assessment: which of the 169 targets the plan addresses, with the
    passages, and which it leaves uncovered."""
    if out:
        output_path(out, "table")
    st = state(ctx)
    a = align_plan(path, engine=st.engine, embedder=_embedder(st), threshold=threshold)
    show(a.goal_summary(), title=f"{path.name}: {len(a.covered)} of {len(a.targets)} targets "
         f"addressed ({a.chunks} passages, {a.embedder}, threshold {a.threshold:.2f})")
    show(a.table().filter(a.table()["covered"]).select("target", "score", "page",
                                                       "passage"), limit=200)
    say(f"Not addressed ({len(a.uncovered)}): {', '.join(a.uncovered)}")
    if out:
        write_csv(a.table(), out)
        say(f"Wrote the {len(a.targets)}-target table to {out}.")


@app.command("index-projects")
def docs_index_projects(ctx: typer.Context, tag: TagOpt = True) -> None:
    """Index the project descriptions of the registry (IATI activities) as documents of
    kind "project"; run again after an import to bring them up to date."""
    st = state(ctx)
    with progress_bar() as update:
        r = index_projects(st.engine, embedder=_embedder(st), tag=tag, progress=update)
    say(f"Projects: {r.new} new, {r.updated} updated, {r.unchanged} unchanged, "
        f"{r.removed} removed, {r.skipped} without text.")
