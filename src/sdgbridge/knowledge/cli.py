"""``sdgbridge docs …``: the knowledge base on the command line (a shell over the library).

Mounted in :mod:`sdgbridge.cli` as ``app.add_typer(docs_app, name="docs")``. Each command
takes the settings and the engine from :data:`sdgbridge.cli.state` when it runs.
"""

from __future__ import annotations

import json
import re
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from sdgbridge.errors import SdgBridgeError
from sdgbridge.outputs import output_path

docs_app = typer.Typer(help="The knowledge base: documents and practices, searchable across "
                       "languages and tagged to SDG targets.", no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="The document id (`sdgbridge docs list`).")]
CountryOpt = Annotated[list[str] | None, typer.Option(
    "--country", help="Area: M49, ISO alpha-3/alpha-2 or group code (repeat).")]
KindOpt = Annotated[str | None, typer.Option(
    help="practice, report, plan, evaluation or project.")]
FmtOpt = Annotated[str, typer.Option("--format", help="table, csv or json")]


def _state() -> Any:
    from sdgbridge.cli import state

    return state


def _embedder() -> Any:
    from sdgbridge.knowledge.embed import get_embedder

    return get_embedder(_state().settings.embedder)


def _print(text: str) -> None:
    from sdgbridge.cli import console

    console.print(text, markup=False, highlight=False)


def _tags_line(tags: list[dict[str, Any]], n: int = 8) -> str:
    shown = [f"{tg['target'] or 'SDG ' + str(tg['goal'])} ({tg['score']:.2f}"
             f"{', user' if tg['source'] == 'user' else ''})" for tg in tags[:n]]
    more = f" … {len(tags) - n} more" if len(tags) > n else ""
    return ", ".join(shown) + more if shown else "none"


# ---- add, list, show, remove ---------------------------------------------------------

@docs_app.command("add")
def docs_add(
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
    tag: Annotated[bool, typer.Option(help="Tag with SDG goals and targets.")] = True,
) -> None:
    """Add documents (files or a text typed in) with their metadata, chunked, embedded and
    tagged. The same content twice is reported and not stored again."""
    from sdgbridge.cli import progress_bar
    from sdgbridge.knowledge.service import DocumentInput, add_documents

    if bool(paths) == (text is not None):
        raise SdgBridgeError("Give files to add, or --text \"…\" (one of them).")
    if title and paths and len(paths) > 1:
        raise SdgBridgeError("--title names one document: add the files one by one.")
    meta: dict[str, Any] = {"title": title, "organisation": org, "countries": tuple(country or ()),
            "year": year, "kind": kind, "licence": licence, "language": language}
    inputs = [DocumentInput(path=p, **meta) for p in paths or []] or [
        DocumentInput(text=text, **meta)]
    with progress_bar() if len(inputs) > 1 else nullcontext() as update:
        reports = add_documents(_state().engine, inputs, embedder=_embedder(), tag=tag,
                                progress=update)
    for r in reports:
        _print(_report_line(r))
    if any(r.status == "failed" for r in reports):
        raise typer.Exit(1)


def _report_line(r: Any) -> str:
    where = f"{r.source}: " if r.source else ""
    if r.status == "failed":
        return f"Failed: {r.error}"
    if r.status == "duplicate":
        return f"Duplicate: {where}{r.error}"
    return (f"Added document {r.document_id}: {r.title!r} ({r.chunks} chunk(s), language "
            f"{r.language or 'unknown'}); tags: {_tags_line(r.tags)}")


@docs_app.command("list")
def docs_list(kind: KindOpt = None, country: CountryOpt = None,
              goal: Annotated[list[int] | None, typer.Option(help="SDG (repeat).")] = None,
              fmt: FmtOpt = "table") -> None:
    """The documents, with kind, organisation, year, language and chunk count."""
    from sdgbridge.cli import show
    from sdgbridge.knowledge.search import SearchFilters, list_documents
    from sdgbridge.knowledge.service import area_codes

    st = _state()
    with st.engine.connect() as conn:
        codes = tuple(area_codes(conn, country or []))
    df = list_documents(st.engine, SearchFilters(countries=codes, goals=tuple(goal or ()),
                                                 kind=kind))
    show(df, fmt, title=f"{df.height} document(s)", limit=200)


@docs_app.command("show")
def docs_show(doc_id: IdArg) -> None:
    """A document's metadata, countries, tags in force (with their passages) and the
    user's corrections."""
    from sdgbridge.knowledge.search import show_document

    doc = show_document(_state().engine, doc_id)
    for key in ("id", "title", "kind", "organisation", "year", "language", "licence",
                "source", "format", "pages", "chars", "chunks", "sha256", "added_at",
                "tagged_at"):
        _print(f"{key:>12}: {'' if doc[key] is None else doc[key]}")
    _print(f"{'countries':>12}: {', '.join(doc['countries'])}")
    _print(f"{'tags':>12}: {_tags_line(doc['tags'], 40)}")
    for tg in doc["tags"][:10]:
        for passage in tg["passages"][:1]:
            _print(f"  {tg['target'] or tg['goal']}: {' '.join(passage.split())[:160]}")
    for c in doc["corrections"]:
        _print(f"  correction: {c['action']} {c['target'] or c['goal']} ({c['created_at']})")


@docs_app.command("remove")
def docs_remove(doc_id: IdArg) -> None:
    """Delete a document with its chunks, embeddings, tags and corrections."""
    from sdgbridge.knowledge.service import remove_document

    title = remove_document(_state().engine, doc_id)
    _print(f"Removed document {doc_id}: {title!r}.")


# ---- search --------------------------------------------------------------------------

@docs_app.command("search")
def docs_search(
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
    from sdgbridge.knowledge.search import SearchFilters, more_like_this, search
    from sdgbridge.knowledge.service import area_codes

    if (query is None) == (like is None):
        raise SdgBridgeError("Give a QUERY or --like DOCUMENT_ID (one of them).")
    st = _state()
    with st.engine.connect() as conn:
        codes = tuple(area_codes(conn, country or []))
    filters = SearchFilters(codes, tuple(goal or ()), tuple(target or ()), org, year,
                            language, kind)
    if like is not None:
        hits = more_like_this(st.engine, like, embedder=_embedder(), filters=filters,
                              limit=limit)
    else:
        hits = search(st.engine, query or "", embedder=_embedder(), filters=filters,
                      limit=limit, mode=mode)
    if as_json:
        typer.echo(json.dumps([asdict(h) for h in hits], ensure_ascii=False, indent=1))
    else:
        _hits_table(hits)


def _hits_table(hits: list[Any]) -> None:
    from rich.table import Table

    from sdgbridge.cli import console

    table = Table(title=f"{len(hits)} document(s)")
    for name in ("#", "id", "title", "kind", "year", "page", "score", "passage"):
        table.add_column(name, overflow="fold")
    for i, h in enumerate(hits, start=1):
        table.add_row(str(i), str(h.document_id), h.title, h.kind, str(h.year or ""),
                      str(h.page), f"{h.score:.4f}", _marked(h.snippet))
    console.print(table)


def _marked(snippet: str) -> Any:
    """The HTML snippet as Rich text, the <mark>ed words in bold."""
    import html

    from rich.text import Text

    out = Text()
    for i, part in enumerate(re.split(r"</?mark>", snippet)):
        out.append(html.unescape(part), style="bold yellow" if i % 2 else "")
    return out


# ---- tags and alignment --------------------------------------------------------------

@docs_app.command("tag")
def docs_tag(
    doc_id: IdArg,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Add this goal (6) or "
                                                   "target (6.1) (repeat).")] = None,
    remove: Annotated[list[str] | None, typer.Option(help="Remove this goal or target "
                                                     "(repeat).")] = None,
) -> None:
    """Without options: tag the document again with the model. With --set/--remove: your
    corrections, which win over the model and survive re-tagging."""
    from sdgbridge.knowledge.service import correct_tag, tag_document

    both = sorted(set(set_ or []) & set(remove or []))
    if both:
        raise SdgBridgeError(f"{', '.join(both)}: both --set and --remove; give each code once.")
    st = _state()
    if not set_ and not remove:
        tags = tag_document(st.engine, doc_id, embedder=_embedder())
    for code in set_ or []:
        tags = correct_tag(st.engine, doc_id, code, "set")
    for code in remove or []:
        tags = correct_tag(st.engine, doc_id, code, "remove")
    _print(f"Document {doc_id} tags: {_tags_line(tags, 40)}")


@docs_app.command("align")
def docs_align(
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
    from sdgbridge.cli import show
    from sdgbridge.knowledge.align import align_plan

    if out:
        output_path(out, "table")
    st = _state()
    a = align_plan(path, engine=st.engine, embedder=_embedder(), threshold=threshold)
    show(a.goal_summary(), title=f"{path.name}: {len(a.covered)} of {len(a.targets)} targets "
         f"addressed ({a.chunks} passages, {a.embedder}, threshold {a.threshold:.2f})")
    show(a.table().filter(a.table()["covered"]).select("target", "score", "page",
                                                       "passage"), limit=200)
    _print(f"Not addressed ({len(a.uncovered)}): {', '.join(a.uncovered)}")
    if out:
        a.table().write_csv(out)
        _print(f"Wrote the {len(a.targets)}-target table to {out}.")


@docs_app.command("index-projects")
def docs_index_projects(tag: Annotated[bool, typer.Option(help="Tag with SDG goals and "
                                                          "targets.")] = True) -> None:
    """Index the project descriptions of the registry (IATI activities) as documents of
    kind "project"; run again after an import to bring them up to date."""
    from sdgbridge.cli import progress_bar
    from sdgbridge.knowledge.service import index_projects

    with progress_bar() as update:
        r = index_projects(_state().engine, embedder=_embedder(), tag=tag, progress=update)
    _print(f"Projects: {r.new} new, {r.updated} updated, {r.unchanged} unchanged, "
           f"{r.removed} removed, {r.skipped} without text.")
