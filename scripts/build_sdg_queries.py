"""Compile published SDG keyword queries into Python regular expressions for the SDG tagger.

Reads (from ``<data>/text/keyword_queries/``):

* ``aurora_v5_query_lines.csv``: Aurora Universities Network, "Search Queries for 'Mapping
  Research Output to the SDGs'" v5.0, doi:10.5281/zenodo.3817445, CC BY 4.0. One Scopus
  sub-query per SDG target (``W/n`` proximity, ``AND``, ``OR``, ``AND NOT``, ``*``).
* ``text2sdg/siris_queries.csv``: SIRIS Academic SDG keyword queries, doi:10.5281/zenodo.3567769,
  CC BY 4.0 (goal level; as converted to Lucene syntax by the text2sdg R package).

Writes ``src/sdgbridge/knowledge/data/sdg_queries.csv`` (system, goal, target, query_id,
anchors, regex). ``anchors`` lets the tagger skip a query cheaply: a text that matches it
contains at least one of these words (``word*``: a word starting so).
Only queries in the safe subset compile: quoted or bare terms with ``*``/``?`` wildcards,
``AND``/``OR``/``AND NOT`` anywhere, ``W/n`` only between terms or OR-groups of terms
(a proximity over an ``AND`` has no regular-expression equivalent and is skipped, counted).
``AND`` and ``NOT`` become look-aheads over the whole text, so one ``re.search`` evaluates a
query. Case is ignored; words are matched whole (``poverty`` does not match ``povertys``).

    python scripts/build_sdg_queries.py [--data ../shared/data] [--check]

``--check`` rebuilds in memory and exits 1 if the shipped file differs.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "sdgbridge" / "knowledge" / "data" / "sdg_queries.csv"
TOKEN = re.compile(r'\s*(?:(?P<q>"[^"]*")|(?P<w>W/\d+)|(?P<op>AND NOT|AND|OR|NOT)\b|'
                   r"(?P<p>[()])|(?P<t>[^\s()\"]+))")


class Unsupported(ValueError):
    """The query uses syntax outside the safe subset."""


def tokens(query: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    query = query.strip()
    while pos < len(query):
        m = TOKEN.match(query, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"cannot read {query[pos:pos + 20]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def term_regex(term: str) -> str:
    """A quoted or bare term as a regex: words joined by non-word runs, wildcards kept."""
    words = re.findall(r"[\w*?]+", term.strip('"').lower())
    if not words or any(w.strip("*?") == "" for w in words):
        raise Unsupported(f"empty or wildcard-only term {term!r}")
    parts = [re.escape(w).replace(r"\*", r"\w*").replace(r"\?", r"\w") for w in words]
    return r"\b" + r"\W+".join(parts) + r"(?!\w)"


class Parser:
    """Recursive descent: OR < AND/AND NOT < W/n < term/parentheses."""

    def __init__(self, query: str) -> None:
        self.toks = tokens(query)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise Unsupported("query ends too early")
        self.i += 1
        return tok

    def parse(self) -> tuple:
        node = self.or_()
        if self.peek() is not None:
            raise Unsupported(f"unexpected {self.peek()}")
        return node

    def or_(self) -> tuple:
        nodes = [self.and_()]
        while self.peek() == ("op", "OR"):
            self.take()
            nodes.append(self.and_())
        return nodes[0] if len(nodes) == 1 else ("or", nodes)

    def and_(self) -> tuple:
        node = self.near()
        while self.peek() in (("op", "AND"), ("op", "AND NOT"), ("op", "NOT")):
            op = self.take()[1]
            right = self.near()
            node = ("and", [node, ("not", right) if "NOT" in op else right])
        return node

    def near(self) -> tuple:
        node = self.atom()
        while (tok := self.peek()) and tok[0] == "w":
            self.take()
            node = ("near", int(tok[1][2:]), node, self.atom())
        return node

    def atom(self) -> tuple:
        kind, value = self.take()
        if kind == "p" and value == "(":
            node = self.or_()
            if self.take() != ("p", ")"):
                raise Unsupported("unbalanced parentheses")
            return node
        if kind in ("q", "t"):
            return ("term", term_regex(value), anchor(value))
        raise Unsupported(f"unexpected {value!r}")


def anchor(term: str) -> str:
    """The term's first word as it must appear in a text: ``pover`` + ``*`` for a wildcard."""
    first = re.findall(r"[\w*?]+", term.strip('"').lower())[0]
    stem = re.split(r"[*?]", first)[0]
    return stem if stem == first else stem + "*"


def anchors(node: tuple) -> frozenset[str] | None:
    """Words of which a matching text holds at least one (None: no such set is known).
    Both sides of a proximity and every positive side of an AND are necessary: the smallest
    known set is kept."""
    if node[0] == "term":  # a word of under three letters is too common to skip on
        return frozenset([node[2]]) if len(node[2].rstrip("*")) >= 3 else None
    if node[0] == "not":
        return None
    parts = [anchors(n) for n in node[2:]] if node[0] == "near" else [anchors(n) for n in node[1]]
    if node[0] == "or":
        return None if None in parts else frozenset().union(*parts)  # type: ignore[arg-type]
    known = [p for p in parts if p is not None]
    return min(known, key=len) if known else None


def inline(node: tuple) -> str:
    """A regex matching a span of text (terms, OR-groups and proximity only)."""
    if node[0] == "term":
        return node[1]
    if node[0] == "or":
        return "(?:" + "|".join(inline(n) for n in node[1]) + ")"
    if node[0] == "near":
        gap = rf"(?:\W+\w+){{0,{node[1] - 1}}}\W+"
        a, b = inline(node[2]), inline(node[3])
        return f"(?:{a}{gap}{b}|{b}{gap}{a})"
    raise Unsupported("AND/NOT inside a proximity or a phrase")


def plain(node: tuple) -> bool:
    """True when the node is a span (no AND/NOT inside)."""
    return node[0] in ("term", "near") or (node[0] == "or" and all(plain(n) for n in node[1]))


def cond(node: tuple) -> str:
    """A zero-width regex, tried at the start of the text, true when the node matches it."""
    if plain(node):
        return rf"(?=[\s\S]*?{inline(node)})"
    if node[0] == "and":
        return "".join(cond(n) for n in node[1])
    if node[0] == "not":
        return f"(?!{cond(node[1])})"
    return "(?:" + "|".join(cond(n) for n in node[1]) + ")"


def compile_query(query: str) -> tuple[str, str]:
    """The regex that ``re.search`` finds in a text exactly when the query matches it, and
    its anchors (space-separated; a matching text contains one of these words or prefixes*)."""
    node = Parser(query).parse()
    regex = inline(node) if plain(node) else r"\A" + cond(node)
    re.compile(regex)
    words = anchors(node)
    if not words:
        raise Unsupported("no anchor word of three letters or more")
    return regex, " ".join(sorted(words))


def aurora_rows(folder: Path) -> list[dict[str, str]]:
    rows = []
    with open(folder / "aurora_v5_query_lines.csv", encoding="utf-8", newline="") as f:
        for i, r in enumerate(csv.DictReader(f), start=2):
            goal, target = r["sdg"], r["target"]
            target = None if target.endswith(".0") else _target_code(target)
            rows.append({"system": "aurora_v5", "goal": goal, "target": target or "",
                         "query_id": f"line{i}", "query": r["query_line"]})
    return rows


def _target_code(raw: str) -> str:
    """``3c`` (the source's spelling) -> ``3.c``."""
    m = re.fullmatch(r"(\d+)\.?([0-9a-z]+)", raw)
    if not m:
        raise SystemExit(f"aurora_v5_query_lines.csv: unreadable target {raw!r}")
    return f"{m.group(1)}.{m.group(2)}"


def siris_rows(folder: Path) -> list[dict[str, str]]:
    with open(folder / "text2sdg" / "siris_queries.csv", encoding="utf-8", newline="") as f:
        return [{"system": "siris", "goal": str(int(r["sdg"][4:])), "target": "",
                 "query_id": r["query_id"], "query": r["query"]} for r in csv.DictReader(f)]


def build(data: Path) -> tuple[str, dict[str, tuple[int, int]]]:
    folder = data / "text" / "keyword_queries"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["system", "goal", "target", "query_id", "anchors", "regex"])
    counts: dict[str, tuple[int, int]] = {}
    for row in aurora_rows(folder) + siris_rows(folder):
        ok, skipped = counts.get(row["system"], (0, 0))
        try:
            regex, words = compile_query(row["query"])
        except Unsupported:
            counts[row["system"]] = (ok, skipped + 1)
            continue
        counts[row["system"]] = (ok + 1, skipped)
        writer.writerow([row["system"], row["goal"], row["target"], row["query_id"], words, regex])
    return out.getvalue(), counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    text, counts = build(args.data)
    for system, (ok, skipped) in counts.items():
        print(f"{system}: {ok} queries compiled, {skipped} skipped (outside the safe subset)")
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT} is stale: rerun without --check")
        return 0 if same else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
