"""Possible duplication between projects, and the network of partners behind them.

:func:`overlaps` pairs projects (IATI activities) that work in the same recipient country
on the same SDG target at the same time and describe themselves in similar words: the
candidates a coordinator checks for duplication. :func:`partner_network` lists who funds
and implements with whom.

Text similarity is the cosine of TF-IDF vectors over word unigrams and bigrams of each
activity's titles and descriptions (English, Russian and other languages together):

* words are runs of letters (Latin, Cyrillic …) of two or more, case-folded; the short
  English and Russian stop-word list below is dropped before bigrams are formed;
* term weight = (1 + ln tf) × idf, idf = ln((1 + n) / (1 + df)) + 1 over all ``n``
  activities of the store; vectors have unit length, so the similarity is in [0, 1];
* the dot product sums the shared terms in sorted order, so sim(a, b) = sim(b, a) exactly
  and every run on the same store gives the same numbers.

Templates are no text: a title or description written identically (up to case and
spacing) for ``template_repeats`` activities or more of the store (25 by default) is left
out, so that the US redaction notices ("Information Redacted", "The FA.gov team redacted
this field …", 800 and more activities) and budget-line boilerplate ("… Economic Support
Fund.", 434) do not make unrelated projects look alike. An activity left with no text has
a similarity of 0 with every other.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import polars as pl
from sqlalchemy import Engine, select

from sdgbridge.db import tables as t
from sdgbridge.projects.sdg import flat_export
from sdgbridge.projects.visibility import shown

OVERLAP_COLUMNS = ("a", "b", "country", "target", "overlap_start", "overlap_end",
                   "similarity", "a_org", "b_org", "same_org")
NETWORK_COLUMNS = ("org_a", "org_b", "relation", "activities", "value", "un_joint",
                   "org_a_name", "org_b_name")
STOP_WORDS = frozenset("""
a about above after all also an and any are as at be been before being below between both
but by can could did do does doing during each few for from further had has have having he
her here hers him his how i if in into is it its itself may more most must no nor not of
off on once only or other our out over own per same she should so some such than that the
their them then there these they this those through to too under until up upon very via
was we were what when where which while who whom why will with within without would you
your etc eg ie
а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да
даже для до его ее её ей ему если есть еще ещё же за здесь и из или им их к как ко когда
кто ли либо между меня мне может мы на над надо наш не него нее неё нет ни них но ну о об
однако он она они оно от очень по под после при про с со так также такой там те тем то
того тоже той только том ту тут у уже чем через что чтобы эта эти это этот я
""".split())
_WORD = re.compile(r"[^\W\d_]{2,}")
_TEXT = ("title_en", "title_ru", "title_other", "description_en", "description_ru")


# ---------------------------------------------------------------- text similarity

def tokens(text: str) -> list[str]:
    """The terms of ``text``: its words less the stop words, then its word bigrams."""
    words = [w for w in _WORD.findall(text.casefold()) if w not in STOP_WORDS]
    return words + [f"{x} {y}" for x, y in zip(words, words[1:], strict=False)]


def tfidf(texts: dict[str, str]) -> dict[str, dict[str, float]]:
    """Unit-length TF-IDF vectors (term → weight) of ``texts`` (key → text); an empty
    text gets an empty vector."""
    counts = {key: Counter(tokens(text)) for key, text in texts.items()}
    df = Counter(term for c in counts.values() for term in c)
    n = len(counts)
    idf = {term: math.log((1 + n) / (1 + d)) + 1 for term, d in df.items()}
    vectors = {}
    for key, c in counts.items():
        weights = {term: (1 + math.log(tf)) * idf[term] for term, tf in sorted(c.items())}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        vectors[key] = {term: w / norm for term, w in weights.items()} if norm else {}
    return vectors


def cosine(u: dict[str, float], v: dict[str, float]) -> float:
    """The cosine of two unit vectors, summed over their shared terms in sorted order."""
    return min(1.0, sum(u[term] * v[term] for term in sorted(u.keys() & v.keys())))


# ---------------------------------------------------------------- overlapping projects

DEFAULT_SIMILARITY = 0.5  # TF-IDF cosine from which two projects' texts count as similar


def overlaps(engine: Engine, *, min_similarity: float = DEFAULT_SIMILARITY,
             mapping: pl.DataFrame | None = None,
             template_repeats: int | None = 25) -> pl.DataFrame:
    """Pairs of projects in the same recipient country and SDG target whose dates overlap
    and whose texts have a similarity of at least ``min_similarity`` (:data:`OVERLAP_COLUMNS`).

    Country and target are those of :func:`~sdgbridge.projects.sdg.flat_export` (the
    transaction's country, else the activity's; declared or inferred targets; rows with a
    goal but no target, or a region but no country, take no part). A project runs from
    its actual start, else its planned start, to its actual end, else its planned end;
    with no end it is ongoing (``overlap_end`` null when both are); with no start it is
    left out. Each unordered pair appears once per country × target, with ``a`` < ``b``;
    ``a_org``/``b_org`` are the reporting organisations (ref, else name). Archived
    activities are left out. Sorted by similarity (highest first), country, target, a, b.
    ``template_repeats``: see the module's note on templates (None keeps every text).
    """
    projects = _projects(engine, template_repeats)
    places = _places(flat_export(engine, mapping)).join(
        projects.select("iati_identifier", "start", "end", "org"), on="iati_identifier")
    pairs = _pairs(places)
    vectors = tfidf(dict(zip(projects["iati_identifier"], projects["text"], strict=True)))
    unique = pairs.select("a", "b").unique(maintain_order=True)
    scores = unique.with_columns(similarity=pl.Series(
        [cosine(vectors[a], vectors[b]) for a, b in unique.iter_rows()], dtype=pl.Float64))
    return (pairs.join(scores, on=["a", "b"])
            .filter(pl.col("similarity") >= min_similarity)
            .with_columns(same_org=pl.col("a_org") == pl.col("b_org"))
            .sort(["similarity", "country", "target", "a", "b"],
                  descending=[True, False, False, False, False])
            .select(OVERLAP_COLUMNS))


def _projects(engine: Engine, template_repeats: int | None) -> pl.DataFrame:
    """Current activities: identifier, org (ref, else name), start, end (dates) and text
    (titles and descriptions less the templates)."""
    a = t.iati_activity.c
    cols = ("iati_identifier", "reporting_org_ref", "reporting_org_name", *_TEXT,
            "planned_start", "actual_start", "planned_end", "actual_end")
    stmt = select(*(a[c] for c in cols)).where(shown())
    with engine.connect() as conn:
        df = pl.read_database(stmt, conn, schema_overrides={c: pl.Utf8 for c in cols})
    if template_repeats:
        df = _drop_templates(df, template_repeats)

    def day(col: str) -> pl.Expr:
        return pl.col(col).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)

    return df.select(
        "iati_identifier",
        org=pl.coalesce("reporting_org_ref", "reporting_org_name"),
        start=pl.coalesce(day("actual_start"), day("planned_start")),
        end=pl.coalesce(day("actual_end"), day("planned_end")),
        text=pl.concat_str([pl.col(c).fill_null("") for c in _TEXT], separator="\n"),
    ).sort("iati_identifier")


def _drop_templates(df: pl.DataFrame, repeats: int) -> pl.DataFrame:
    """``df`` with the titles and descriptions written for ``repeats`` activities or more
    (compared case-folded, with spacing collapsed) set to null."""
    def norm(col: str) -> pl.Expr:
        return pl.col(col).str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()

    long = df.unpivot(index="iati_identifier", on=list(_TEXT)).drop_nulls("value")
    common = (long.select("iati_identifier", text=norm("value")).group_by("text")
              .agg(n=pl.col("iati_identifier").n_unique())
              .filter(pl.col("n") >= repeats)["text"])
    return df.with_columns(pl.when(norm(c).is_in(common.implode())).then(None)
                           .otherwise(pl.col(c)).alias(c) for c in _TEXT)


def _places(flat: pl.DataFrame) -> pl.DataFrame:
    """The distinct activity × country × SDG target of the flat export."""
    return (flat.filter(pl.col("country").is_not_null() & pl.col("target").is_not_null())
            .select("iati_identifier", "country", "target").unique()
            .sort("iati_identifier", "country", "target"))


def _pairs(places: pl.DataFrame) -> pl.DataFrame:
    """Pairs a < b sharing a country and target whose date ranges overlap."""
    dated = places.filter(pl.col("start").is_not_null())
    joined = dated.join(dated, on=["country", "target"], suffix="_b").filter(
        pl.col("iati_identifier") < pl.col("iati_identifier_b"))
    return joined.select(
        a="iati_identifier", b="iati_identifier_b", country="country", target="target",
        overlap_start=pl.max_horizontal("start", "start_b"),
        overlap_end=pl.min_horizontal("end", "end_b"),  # nulls (ongoing) are ignored
        a_org="org", b_org="org_b",
    ).filter(pl.col("overlap_end").is_null() | (pl.col("overlap_start") <= pl.col("overlap_end")))


# ---------------------------------------------------------------- partner network

# Organisation identifiers (IATI OrganisationRegistrationAgency list): multilaterals are
# "XM-DAC-" + their OECD CRS channel code (CRSChannelCode.xml). Channel codes ending in 000
# (and 41100 … 41700) name kinds of organisation, not one (61000 "private sector in
# provider country"); 43000 IMF, 44000 World Bank and 45000 WTO are single organisations.
_IDENTIFIER = re.compile(r"[A-Z]{2}-[A-Z0-9_]+-\S+|\d{5}|41AAA", re.IGNORECASE)
_KIND = re.compile(r"(?:XM-DAC-)?(?!4[345]000)(?:\d{2}000|41[1-7]00)", re.IGNORECASE)
_UN = re.compile(r"XM-DAC-(?!41102|41317)41\d{3}|XM-DAC-(?:928|47066)|41AAA"
                 r"|XI-IATI-(?:UNPF|OCHASDC)|XM-OCHA-(?:CERF|CBPF)", re.IGNORECASE)
ROLES = {"1": "co-funding", "4": "co-implementing"}


def is_un(ref: str | None) -> bool:
    """True for the IATI identifier of a UN system entity.

    Rule: "XM-DAC-" + a CRS channel code in the 41xxx block, whose category in the OECD CRS
    channel list (IATI CRSChannelCode.xml, in ../shared/data/iati/codelists) is 41000
    "United Nations (UN) agency, fund or commission" (so UNDP is XM-DAC-41114, UNICEF
    XM-DAC-41122, WFP XM-DAC-41140, UNODC XM-DAC-41128), less 41102 and 41317 which the
    list files under 47000 (other multilaterals); plus the UN entities published under
    other identifiers: IOM XM-DAC-47066 (category 41100 in the same list), WHO XM-DAC-928,
    UNOPS 41AAA, the UN pooled funds XI-IATI-UNPF and OCHA's XI-IATI-OCHASDC (IATI's own
    XI-IATI list, IATIOrganisationIdentifier.xml), CERF and the country-based pooled funds
    XM-OCHA-CERF / XM-OCHA-CBPF. Bare legacy codes (41114) count once normalised (see
    :func:`org_key`). XM-OCHA-* in general is not UN: OCHA gives those to any partner.
    """
    return bool(ref and _UN.fullmatch(ref))


def org_key(ref: str | None, name: str | None, by_name: dict[str, str]) -> str | None:
    """An organisation's key: its IATI identifier (a bare 5-digit DAC code as XM-DAC-…);
    else the identifier met elsewhere under the same name (``by_name``: case-folded name →
    identifier); else its name. Refs that are no identifier ("1", "") or name a kind of
    organisation (XM-DAC-61000) fall back to the name."""
    ref, name = (ref or "").strip(), " ".join((name or "").split())
    if _IDENTIFIER.fullmatch(ref) and not _KIND.fullmatch(ref):
        return f"XM-DAC-{ref}" if ref.isdigit() else ref
    if name and name.casefold() in by_name:
        return by_name[name.casefold()]
    return name or None


def _name_index(named: pl.DataFrame) -> dict[str, str]:
    """Case-folded name → the identifier written most often beside it (ties: the lowest)."""
    counts: Counter[tuple[str, str]] = Counter()
    for ref, name in named.iter_rows():
        key = org_key(ref, None, {})
        if key and name:
            counts[(" ".join(name.split()).casefold(), key)] += 1
    best: dict[str, tuple[int, str]] = {}
    for (name, key), n in sorted(counts.items()):
        if name not in best or n > best[name][0]:
            best[name] = (n, key)
    return {name: key for name, (_, key) in best.items()}


def _keyed(df: pl.DataFrame, ref: str, name: str, out: str,
           by_name: dict[str, str]) -> pl.DataFrame:
    """``df`` with column ``out`` = :func:`org_key` of its ``ref`` and ``name`` columns."""
    return df.with_columns(pl.struct(ref, name).map_elements(
        lambda r: org_key(r[ref], r[name], by_name), return_dtype=pl.Utf8).alias(out))


def partner_network(engine: Engine, *, currency: str = "USD") -> pl.DataFrame:
    """Edges between organisations (:data:`NETWORK_COLUMNS`).

    * ``co-funding`` / ``co-implementing``: both are participating organisations with role
      1 (funding) / 4 (implementing) of the same activity; ``org_a`` < ``org_b``;
    * ``funds``: ``org_a`` is the provider and ``org_b`` the receiver of transactions of an
      activity (no provider written: the reporting organisation, as IATI reads it);
      ``value`` sums their disbursements (type 3) in ``currency``.

    ``activities`` counts the activities behind an edge; an organisation is never linked
    to itself. Organisations are keyed by :func:`org_key`; ``org_a_name`` and
    ``org_b_name`` are the names most written for them. ``un_joint``: both are UN system
    entities (:func:`is_un`, or ``un_entity`` set in the organisation table).
    """
    parts, trans, un_refs = _read_partners(engine)
    by_name = _name_index(pl.concat([
        parts.select("ref", "name"),
        trans.select(ref="provider_ref", name="provider_name"),
        trans.select(ref="receiver_ref", name="receiver_name"),
        trans.select(ref="reporting_org_ref", name="reporting_org_name")]))
    parts = _keyed(parts, "ref", "name", "org", by_name)
    unnamed = pl.col("provider_ref").is_null() & pl.col("provider_name").is_null()
    trans = trans.with_columns(
        provider_ref=pl.when(unnamed).then("reporting_org_ref").otherwise("provider_ref"),
        provider_name=pl.when(unnamed).then("reporting_org_name").otherwise("provider_name"))
    trans = _keyed(_keyed(trans, "provider_ref", "provider_name", "org_a", by_name),
                   "receiver_ref", "receiver_name", "org_b", by_name)
    edges = pl.concat([_co_edges(parts), _fund_edges(trans, currency)])
    names = _names(parts, trans)
    un = pl.col("org_a").map_elements(lambda k: is_un(k) or k in un_refs, pl.Boolean) \
        & pl.col("org_b").map_elements(lambda k: is_un(k) or k in un_refs, pl.Boolean)
    return (edges.with_columns(un_joint=un)
            .join(names.rename({"org": "org_a", "label": "org_a_name"}), on="org_a", how="left")
            .join(names.rename({"org": "org_b", "label": "org_b_name"}), on="org_b", how="left")
            .sort(["relation", "activities", "org_a", "org_b"],
                  descending=[False, True, False, False])
            .select(NETWORK_COLUMNS))


def _read_partners(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame, set[str]]:
    """Participants (roles 1 and 4), transactions with their reporting organisation, and
    the refs the organisation table marks as UN entities, of current activities."""
    a, p, tr, o = t.iati_activity.c, t.iati_participant.c, t.iati_transaction.c, \
        t.organisation.c
    live = shown()
    text = ("iati_identifier", "role", "ref", "name", "type", "currency", "provider_ref",
            "provider_name", "receiver_ref", "receiver_name", "reporting_org_ref",
            "reporting_org_name")
    schema = {c: pl.Utf8 for c in text} | {"value": pl.Float64}
    with engine.connect() as conn:
        parts = pl.read_database(
            select(p.iati_identifier, p.role, p.ref, p.name)
            .join(t.iati_activity, a.iati_identifier == p.iati_identifier)
            .where(live, p.role.in_(list(ROLES))), conn, schema_overrides=schema)
        trans = pl.read_database(
            select(tr.iati_identifier, tr.type, tr.value, tr.currency, tr.provider_ref,
                   tr.provider_name, tr.receiver_ref, tr.receiver_name, a.reporting_org_ref,
                   a.reporting_org_name)
            .join(t.iati_activity, a.iati_identifier == tr.iati_identifier).where(live),
            conn, schema_overrides=schema)
        un_refs = set(conn.execute(select(o.ref).where(o.un_entity.is_not(None),
                                                       o.ref.is_not(None))).scalars())
    return parts, trans, un_refs


def _co_edges(parts: pl.DataFrame) -> pl.DataFrame:
    """Pairs of distinct organisations with the same role (1 or 4) in one activity."""
    keyed = parts.filter(pl.col("org").is_not_null()).select(
        "iati_identifier", "role", "org").unique()
    pairs = keyed.join(keyed, on=["iati_identifier", "role"], suffix="_b").filter(
        pl.col("org") < pl.col("org_b"))
    return (pairs.group_by("role", "org", "org_b")
            .agg(activities=pl.col("iati_identifier").n_unique().cast(pl.Int64))
            .select(org_a="org", org_b="org_b",
                    relation=pl.col("role").replace_strict(ROLES, return_dtype=pl.Utf8),
                    activities="activities", value=pl.lit(None, pl.Float64)))


def _fund_edges(trans: pl.DataFrame, currency: str) -> pl.DataFrame:
    """Provider → receiver of transactions, with their disbursements in ``currency``."""
    paid = (pl.col("type") == "3") & (pl.col("currency") == currency)
    return (trans.filter(pl.col("org_a").is_not_null() & pl.col("org_b").is_not_null()
                         & (pl.col("org_a") != pl.col("org_b")))
            .group_by("org_a", "org_b")
            .agg(activities=pl.col("iati_identifier").n_unique().cast(pl.Int64),
                 value=pl.col("value").filter(paid).sum())
            .select("org_a", "org_b", relation=pl.lit("funds"), activities="activities",
                    value="value"))


def _names(parts: pl.DataFrame, trans: pl.DataFrame) -> pl.DataFrame:
    """org key → the name written most often for it (ties: the first in sort order)."""
    written = pl.concat([
        parts.select("org", "name"),
        trans.select(org="org_a", name="provider_name"),
        trans.select(org="org_b", name="receiver_name")])
    return (written.drop_nulls().group_by("org", "name").len()
            .sort(["org", "len", "name"], descending=[False, True, False])
            .unique("org", keep="first", maintain_order=True)
            .select("org", label="name"))
