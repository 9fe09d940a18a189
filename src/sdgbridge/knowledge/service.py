"""Adding, re-tagging, correcting and removing documents: the transactions of the knowledge base.

A document goes in whole or not at all: its text is extracted, chunked, its language
detected, its chunks embedded and the whole text tagged *before* the transaction that writes
it. Content already stored (same sha256 of the normalised text) is reported as a duplicate and
nothing is written. Of many documents added together, one that cannot be read is reported
with its error and the others are stored (``add_documents``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from sdgbridge import audit
from sdgbridge.accounts.roles import VISIBILITIES
from sdgbridge.db import tables as t
from sdgbridge.errors import N_, InputError, Phrase, SdgBridgeError
from sdgbridge.files import public_name
from sdgbridge.knowledge import store

Progress = Callable[[str, int, int], None]
BATCH = 64  # documents per transaction (and per embedding call) in bulk adds
DUPLICATE = N_("The same text is already stored as document {document}; nothing was "
               "written.")
_TARGET = re.compile(r"^(1[0-7]|[1-9])(?:\.(\d{1,2}|[a-z]))?$")


@dataclass(frozen=True)
class DocumentInput:
    """A document to add: a file (``path``) or a text typed in (``text``), with metadata."""

    path: Path | None = None
    text: str | None = None
    title: str | None = None
    organisation: str | None = None
    countries: tuple[str, ...] = ()  # M49, ISO alpha-3 or alpha-2 codes, or group codes
    year: int | None = None
    kind: str = "practice"
    licence: str | None = None
    language: str | None = None  # ISO 639-1; detected when not given
    source: str | None = None  # what to record as the source (default: the path)
    format: str = "text"  # of ``text``: "text" or "markdown"
    visibility: str = "public"  # public | partners | internal (sdgbridge.accounts.roles)
    organisation_id: int | None = None  # the registry's organisation it belongs to


@dataclass
class DocumentReport:
    """What happened to one document: added, updated, unchanged, duplicate or failed."""

    status: str
    title: str
    source: str | None
    document_id: int | None = None
    chunks: int = 0
    language: str | None = None
    duplicate_of: int | None = None
    tags: list[Any] = field(default_factory=list)
    error: str | None = None


@dataclass
class _Prepared:
    inp: DocumentInput
    meta: dict[str, Any]
    countries: list[str]
    chunks: list[Any]
    languages: list[str | None]
    tags: list[Any]
    vectors: Any = None


# ---- models --------------------------------------------------------------------------

def resolve_embedder(embedder: Any = None) -> Any:
    """The embedder given, or the process-wide ``auto`` one."""
    if embedder is not None:
        return embedder
    from sdgbridge.knowledge.embed import get_embedder

    return get_embedder("auto")


_taggers: dict[int, Any] = {}


def tagger_for(embedder: Any) -> Any:
    """One ``SdgTagger`` per embedder and process (building one embeds the framework)."""
    if id(embedder) not in _taggers:
        from sdgbridge.knowledge.tagging import SdgTagger

        _taggers[id(embedder)] = (embedder, SdgTagger(embedder))
    return _taggers[id(embedder)][1]


# ---- preparing (no database writes) --------------------------------------------------

def _extract(inp: DocumentInput) -> Any:
    from sdgbridge.knowledge.extract import extract_string, extract_text

    if (inp.path is None) == (inp.text is None):
        raise InputError("Give a file or a text to add (one of them).")
    if inp.path is not None:
        return extract_text(Path(inp.path))
    return extract_string(inp.text or "", format=inp.format)


def _validate(conn: Connection, inp: DocumentInput) -> list[str]:
    """Check the metadata; returns the area codes of the countries."""
    where = inp.path or "the text"
    if inp.kind not in store.KINDS:
        raise InputError(f"{where}: kind {inp.kind!r} is not one of {', '.join(store.KINDS)}; "
                         "give --kind with one of them.")
    if inp.year is not None and not 1900 <= inp.year <= 2100:
        raise InputError(f"{where}: year {inp.year} is not a year (1900–2100); fix --year.")
    if inp.language is not None and not re.fullmatch(r"[a-z]{2}", inp.language):
        raise InputError(f"{where}: language {inp.language!r} is not an ISO 639-1 code "
                         "(two lower-case letters: en, ru, kk …); fix --language.")
    if inp.visibility not in VISIBILITIES:
        raise InputError(f"{where}: visibility {inp.visibility!r} is not one of "
                         f"{', '.join(VISIBILITIES)}; choose who may read it.")
    return area_codes(conn, inp.countries)


def area_codes(conn: Connection, tokens: Sequence[str]) -> list[str]:
    """Area codes for M49 codes, ISO alpha-3 or alpha-2 codes and group codes."""
    from sdgbridge.reference.geography import resolve_areas

    out, rest = [], []
    for tok in tokens:
        code = conn.execute(select(t.area.c.code).where(t.area.c.iso2 == tok.upper())).scalar() \
            if len(tok) == 2 and tok.isalpha() else None
        (out.append(code) if code else rest.append(tok))
    return list(dict.fromkeys(out + (resolve_areas(conn.engine, rest) if rest else [])))


def area_codes_for(engine: Engine, tokens: Sequence[str]) -> tuple[str, ...]:
    """:func:`area_codes` on a connection of its own (a search filter's countries)."""
    with engine.connect() as conn:
        return tuple(area_codes(conn, tokens))


def prepare(conn: Connection, inp: DocumentInput, embedder: Any, tag: bool) -> _Prepared:
    """Everything about one document short of writing it (raises ``InputError``)."""
    from sdgbridge.knowledge.chunk import chunk_text
    from sdgbridge.knowledge.language import detect_language

    countries = _validate(conn, inp)
    doc = _extract(inp)
    chunks = chunk_text(doc)
    if not chunks:
        raise InputError(N_("{name}: no text to index; give a document with some words in "
                            "it."), name=inp.path or Phrase(N_("the text")))
    language = inp.language or detect_language(doc.text)
    title = inp.title or doc.title or (Path(inp.path).stem if inp.path else
                                       _opening(doc.text))
    meta = {"title": title, "organisation": inp.organisation, "year": inp.year,
            "language": language, "licence": inp.licence, "kind": inp.kind,
            "source": inp.source or (str(inp.path) if inp.path else None),
            "sha256": doc.sha256, "format": doc.format, "chars": len(doc.text),
            "pages": len(doc.pages), "visibility": inp.visibility,
            "organisation_id": inp.organisation_id}
    langs = [detect_language(c.text) or language for c in chunks]
    tags = tagger_for(embedder).tag(doc.text, passages=[c.text for c in chunks]) if tag else []
    return _Prepared(inp, meta, countries, chunks, langs, tags)


def _opening(text: str, width: int = 80) -> str:
    """The first line of a text typed in, cut at a word: its default title."""
    line = " ".join(text.strip().split("\n", 1)[0].split())
    if len(line) <= width:
        return line
    cut = line.rfind(" ", 0, width)
    return line[: cut if cut > width // 2 else width].rstrip(" ,;:") + "…"


def _rows(p: _Prepared) -> list[store.ChunkRow]:
    return [store.ChunkRow(c.ordinal, c.text, c.start, c.end, c.page, lang, v)
            for c, lang, v in zip(p.chunks, p.languages, p.vectors, strict=True)]


def _embed(batch: list[_Prepared], embedder: Any) -> None:
    texts = [c.text for p in batch for c in p.chunks]
    matrix = embedder.embed(texts)
    at = 0
    for p in batch:
        p.vectors = matrix[at: at + len(p.chunks)]
        at += len(p.chunks)


# ---- adding --------------------------------------------------------------------------

def add_document(engine: Engine, path_or_text: Path | str, *, embedder: Any = None,
                 tag: bool = True, **metadata: Any) -> DocumentReport:
    """Add one file (a ``Path``) or text (a ``str``); raises on a document that cannot be
    read or bad metadata, and then writes nothing."""
    inp = (DocumentInput(path=path_or_text, **metadata) if isinstance(path_or_text, Path)
           else DocumentInput(text=path_or_text, **metadata))
    report = add_documents(engine, [inp], embedder=embedder, tag=tag, keep_going=False)[0]
    return report


def add_documents(engine: Engine, inputs: Iterable[DocumentInput], *, embedder: Any = None,
                  tag: bool = True, keep_going: bool = True,
                  progress: Progress | None = None) -> list[DocumentReport]:
    """Add many documents, ``BATCH`` per transaction. With ``keep_going`` a document that
    cannot be read is reported as failed and the others go on; without, its error is raised."""
    emb = resolve_embedder(embedder)
    items = list(inputs)
    reports: list[DocumentReport] = []
    for start in range(0, len(items), BATCH):
        reports += _add_batch(engine, items[start: start + BATCH], emb, tag, keep_going)
        if progress:
            progress("add", min(start + BATCH, len(items)), len(items))
    return reports


def _add_batch(engine: Engine, items: list[DocumentInput], emb: Any, tag: bool,
               keep_going: bool) -> list[DocumentReport]:
    reports: list[DocumentReport] = []
    ready: list[tuple[int, _Prepared]] = []
    seen: dict[str, int] = {}
    with engine.connect() as conn:
        for inp in items:
            report, prepared = _prepare_one(conn, inp, emb, tag, keep_going, seen)
            reports.append(report)
            if prepared is not None:
                ready.append((len(reports) - 1, prepared))
    if ready:
        _embed([p for _, p in ready], emb)
        with engine.begin() as conn:
            for i, p in ready:
                reports[i] = _store_new(conn, p, emb.name)
    return reports


def _prepare_one(conn: Connection, inp: DocumentInput, emb: Any, tag: bool, keep_going: bool,
                 seen: dict[str, int]) -> tuple[DocumentReport, _Prepared | None]:
    source = inp.source or (str(inp.path) if inp.path else None)
    try:
        p = prepare(conn, inp, emb, tag)
    except InputError as exc:
        if not keep_going:
            raise
        return DocumentReport("failed", inp.title or source or "text", source,
                              error=str(exc)), None
    title = p.meta["title"]
    dup = store.find_duplicate(conn, p.meta["sha256"]) if inp.kind != "project" else None
    if dup is not None or p.meta["sha256"] in seen:
        return DocumentReport("duplicate", title, source, duplicate_of=dup, error=(
            DUPLICATE.format(document=dup) if dup is not None
            else "The same text is given twice; added once.")), None
    seen[p.meta["sha256"]] = 1
    return DocumentReport("pending", title, source), p


def _store_new(conn: Connection, p: _Prepared, embedder: str) -> DocumentReport:
    doc_id, ids = store.insert_document(conn, p.meta, p.countries, _rows(p), embedder)
    report = _finish(conn, p, doc_id, ids, "added")
    audit.record(conn, "created", "document", doc_id, after=_audited(p, report))
    return report


def _audited(p: _Prepared, report: DocumentReport) -> dict[str, Any]:
    """What the audit trail keeps of a stored document: its metadata, countries, tags."""
    return _no_paths({**p.meta, "countries": p.countries, "chunks": report.chunks,
                      "tags": tag_codes(report.tags)})


def _no_paths(fields: dict[str, Any]) -> dict[str, Any]:
    """A document's fields with its source file named, not the server's folders (the trail
    is served over the API)."""
    return fields | {"source": public_name(fields.get("source"))}


def tag_codes(tags: Sequence[dict[str, Any]]) -> list[str]:
    """The SDG codes of tags in force (a target's code, else its goal's), in order."""
    return [str(tg["target"] or tg["goal"]) for tg in tags]


def _finish(conn: Connection, p: _Prepared, doc_id: int, ids: list[int],
            status: str) -> DocumentReport:
    if p.tags:
        store.save_model_tags(conn, doc_id, p.tags, {c.text: i for c, i in zip(p.chunks, ids,
                                                                             strict=True)})
    return DocumentReport(status, p.meta["title"], p.meta["source"], doc_id, len(ids),
                          p.meta["language"], tags=store.document_tags(conn, doc_id))


def update_document(conn: Connection, doc_id: int, p: _Prepared, embedder: str
                    ) -> DocumentReport:
    """Store new content for document ``doc_id`` (its user corrections are kept)."""
    before = store.require_document(conn, doc_id)
    before = _no_paths({k: before[k] for k in p.meta} | {
        "countries": store.document_countries(conn, doc_id)})
    ids = store.replace_document(conn, doc_id, p.meta, p.countries, _rows(p), embedder)
    report = _finish(conn, p, doc_id, ids, "updated")
    audit.record(conn, "updated", "document", doc_id, before=before,
                 after=_audited(p, report))
    return report


# ---- tags ----------------------------------------------------------------------------

def tag_document(engine: Engine, doc_id: int, *, embedder: Any = None) -> list[dict[str, Any]]:
    """Tag a stored document again with the model; the user's corrections still win."""
    emb = resolve_embedder(embedder)
    with engine.connect() as conn:
        store.require_document(conn, doc_id)
        rows = conn.execute(select(t.chunk.c.id, t.chunk.c.text).where(
            t.chunk.c.document_id == doc_id).order_by(t.chunk.c.ordinal)).all()
    texts = [r.text for r in rows]
    tags = tagger_for(emb).tag("\n\n".join(texts), passages=texts)
    with engine.begin() as conn:
        before = tag_codes(store.document_tags(conn, doc_id))
        store.save_model_tags(conn, doc_id, tags, {r.text: r.id for r in rows})
        after = store.document_tags(conn, doc_id)
        audit.record(conn, "retagged", "document", doc_id, before={"tags": before},
                     after={"tags": tag_codes(after)})
        return after


def correct_tag(engine: Engine, doc_id: int, code: str, action: str = "set"
                ) -> list[dict[str, Any]]:
    """A user's correction: ``set`` or ``remove`` goal ``code`` ("6") or target ("6.1")."""
    if action not in ("set", "remove"):
        raise SdgBridgeError(f"Unknown tag correction {action!r}: use set or remove.")
    goal, target = parse_code(code)
    with engine.begin() as conn:
        store.require_document(conn, doc_id)
        known = conn.execute(select(func.count()).select_from(t.target)).scalar_one()
        if target and known and conn.execute(select(t.target.c.code).where(
                t.target.c.code == target)).scalar() is None:
            raise InputError(N_("No SDG target {target}; `sdgbridge framework show --goal "
                                "{goal}` lists the targets of goal {goal}."),
                             target=target, goal=goal)
        before = tag_codes(store.document_tags(conn, doc_id))
        store.add_correction(conn, doc_id, goal, target, action)
        after = store.document_tags(conn, doc_id)
        audit.record(conn, "tag_corrected", "document", doc_id,
                     before={"tags": before}, after={"tags": tag_codes(after),
                                                     "correction": [action, target or goal]})
        return after


def correct_tags(engine: Engine, doc_id: int, set_codes: Sequence[str] = (),
                 remove_codes: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The user's corrections one by one (:func:`correct_tag`), the ``set`` ones first; the
    tags in force after the last (none when no code is given)."""
    tags: list[dict[str, Any]] = []
    for action, codes in (("set", set_codes), ("remove", remove_codes)):
        for code in codes:
            tags = correct_tag(engine, doc_id, code, action)
    return tags


def parse_code(code: str) -> tuple[int, str | None]:
    """``"6"`` -> (6, None); ``"6.a"`` -> (6, "6.a")."""
    m = _TARGET.match(code.strip().lower())
    if not m:
        raise InputError(N_("{code!r} is not an SDG goal (1–17) or target (6.1, 6.a)."),
                         code=code)
    return int(m.group(1)), (f"{m.group(1)}.{m.group(2)}" if m.group(2) else None)


# ---- reading and removing ------------------------------------------------------------

def remove_document(engine: Engine, doc_id: int) -> str:
    """Delete a document with its chunks, embeddings, tags and corrections; its title."""
    with engine.begin() as conn:
        title = _remove(conn, doc_id)
    return str(title)


def _remove(conn: Connection, doc_id: int) -> Any:
    """Delete one document, recording it (its stored fields) in the audit trail; its title."""
    before = store.require_document(conn, doc_id)
    before["countries"] = store.document_countries(conn, doc_id)
    store.delete_document(conn, doc_id)
    audit.record(conn, "removed", "document", doc_id, before=_no_paths(before))
    return before["title"]


# ---- project descriptions from the registry ------------------------------------------

@dataclass
class ProjectIndexReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0  # activities without a title or description


def _project_inputs(conn: Connection) -> dict[str, DocumentInput]:
    """One document input per activity (not archived) with some text. Its countries are the
    recipient countries of the activity and of its transactions (publishers give either)."""
    a, c, tx = t.iati_activity, t.iati_country, t.iati_transaction
    iso2 = dict(conn.execute(select(t.area.c.iso2, t.area.c.code).where(
        t.area.c.iso2.is_not(None))).all())
    countries: dict[str, list[str]] = {}
    for ident, code in conn.execute(select(c.c.iati_identifier, c.c.code).union(
            select(tx.c.iati_identifier, tx.c.country).where(tx.c.country.is_not(None)))):
        if code in iso2:
            countries.setdefault(ident, []).append(iso2[code])
    out = {}
    for r in conn.execute(select(a).where(a.c.archived.is_(False))).mappings():
        parts = [r[k] for k in ("title_en", "title_ru", "title_other", "description_en",
                                "description_ru") if r[k] and r[k].strip()]
        start = r["actual_start"] or r["planned_start"] or ""
        out[r["iati_identifier"]] = DocumentInput(
            text="\n\n".join(dict.fromkeys(parts)), kind="project",
            title=r["title_en"] or r["title_ru"] or r["title_other"] or r["iati_identifier"],
            visibility=r["visibility"],
            organisation=r["reporting_org_name"] or r["reporting_org_ref"],
            countries=tuple(sorted(set(countries.get(r["iati_identifier"], ())))),
            year=int(start[:4]) if start[:4].isdigit() else None,
            source=f"iati:{r['iati_identifier']}")
    return out


def _stored_projects(conn: Connection) -> dict[str, tuple[int, tuple[Any, ...]]]:
    d = t.document
    rows = conn.execute(select(d.c.id, d.c.source, d.c.sha256, d.c.title, d.c.organisation,
                               d.c.year, d.c.visibility).where(d.c.kind == "project")).all()
    return {r.source: (r.id, (r.sha256, r.title, r.organisation, r.year,
                              tuple(store.document_countries(conn, r.id)), r.visibility))
            for r in rows}


def index_projects(engine: Engine, *, embedder: Any = None, tag: bool = True,
                   progress: Progress | None = None) -> ProjectIndexReport:
    """Index the registry's project descriptions as documents of kind "project"; run again,
    it updates those whose text or metadata changed and removes those no longer there."""
    emb, report = resolve_embedder(embedder), ProjectIndexReport()
    with engine.connect() as conn:
        inputs, stored = _project_inputs(conn), _stored_projects(conn)
    todo = [inp for inp in inputs.values() if inp.text]
    report.skipped = len(inputs) - len(todo)
    for start in range(0, len(todo), BATCH):
        _index_batch(engine, todo[start: start + BATCH], stored, emb, tag, report)
        if progress:
            progress("projects", min(start + BATCH, len(todo)), len(todo))
    current = {inp.source for inp in inputs.values()}
    gone = [doc_id for source, (doc_id, _) in stored.items() if source not in current]
    with engine.begin() as conn:
        for doc_id in gone:
            _remove(conn, doc_id)
    report.removed = len(gone)
    return report


def _index_batch(engine: Engine, batch: list[DocumentInput],
                 stored: dict[str, tuple[int, tuple[Any, ...]]], emb: Any, tag: bool,
                 report: ProjectIndexReport) -> None:
    from sdgbridge.knowledge.extract import extract_string

    with engine.connect() as conn:
        changed = []
        for inp in batch:
            old = stored.get(inp.source or "")
            key = (extract_string(inp.text or "").sha256, inp.title, inp.organisation,
                   inp.year, tuple(sorted(set(inp.countries))), inp.visibility)
            if old is not None and old[1] == key:
                report.unchanged += 1
                continue
            changed.append((old[0] if old else None, prepare(conn, inp, emb, tag)))
    if not changed:
        return
    _embed([p for _, p in changed], emb)
    with engine.begin() as conn:
        for doc_id, p in changed:
            if doc_id is None:
                _store_new(conn, p, emb.name)
                report.new += 1
            else:
                update_document(conn, doc_id, p, emb.name)
                report.updated += 1
