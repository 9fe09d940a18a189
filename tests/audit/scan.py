"""Which public functions of the library open a writing transaction (``engine.begin()``,
``bulk_transaction(…)``), themselves or through a private helper of their module: the
service functions that write, each of which must record an audit event."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "sdgbridge"
# The shells (they call the library), the store's own machinery, the trail itself and the
# mail outbox (operational state, not a record).
SKIPPED = ("cli", "web", "db", "audit.py", "testing.py", "mail.py")
# Writers of bookkeeping, not of records: a key's last use (at most once a minute) and the
# clearing of an expired session. Each named with its reason; nothing else is let off.
OPERATIONAL = {
    "sdgbridge.accounts.keys.authenticate": "a key's last_used_at, at most once a minute",
    "sdgbridge.accounts.sessions.find_session": "an expired session cleared away",
}


def _opens_write(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            f = sub.func
            if isinstance(f, ast.Attribute) and f.attr == "begin" and isinstance(
                    f.value, ast.Name) and f.value.id == "engine":
                return True
            if isinstance(f, ast.Name) and f.id == "bulk_transaction":
                return True
    return False


def _called(node: ast.AST) -> set[str]:
    return {sub.func.id for sub in ast.walk(node)
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)}


def writing_functions() -> set[str]:
    """``module.function`` of each public function that writes."""
    found = set()
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] in SKIPPED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        writes = {name for name, f in funcs.items() if _opens_write(f)}
        grew = True
        while grew:  # through the module's own helpers
            more = {name for name, f in funcs.items() if name not in writes
                    and _called(f) & writes}
            writes |= more
            grew = bool(more)
        module = ".".join(("sdgbridge", *rel.with_suffix("").parts))
        found |= {f"{module}.{name}" for name in writes if not name.startswith("_")}
    return found - set(OPERATIONAL)
