#!/usr/bin/env bash
# Re-create tests/data/stores/first_schema.sqlite.gz (gzip: the specimens stay under 64 KB): a small store made by the first code that
# could set one up (commit b3b5f33, the first with `sdgbridge init` and `ingest`; its store
# tables and migration 0001 are those of the very first commit, be47835, which had neither),
# holding two series of the hand-made DDF specimen in tests/data/ddf.
# tests/db/test_first_schema.py opens it with the current code, which must upgrade it.
#
# Usage: scripts/make_first_schema_fixture.sh [PYTHON]   (run from the repository root;
# PYTHON defaults to the project's .venv; it needs the dependencies of that commit, which the
# current ones satisfy)
set -euo pipefail
COMMIT=b3b5f33860a7554be7efc2ae226e54b4ba10ea34
ROOT=$(git rev-parse --show-toplevel)
PYTHON=${1:-$ROOT/.venv/bin/python}
OUT=$ROOT/tests/data/stores/first_schema.sqlite.gz
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

git -C "$ROOT" archive "$COMMIT" src | tar -x -C "$WORK"
mkdir "$WORK/ddf"
cp "$ROOT"/tests/data/ddf/ddf--concepts--*.csv "$ROOT"/tests/data/ddf/ddf--entities--*.csv \
   "$ROOT"/tests/data/ddf/datapackage.json "$WORK/ddf/"
cp "$ROOT"/tests/data/ddf/ddf--datapoints--si_pov_day1--*.csv \
   "$ROOT"/tests/data/ddf/ddf--datapoints--sh_h2o_safe--*.csv "$WORK/ddf/"

# The old code from the archive alone: no other sdgbridge on the path (an editable install of
# the current one would win over the old namespace package, which has no __init__.py).
# Run in $WORK: the old code looks for the SDG framework in ../shared/data relative to the
# working folder, and the fixture must hold no shared data (geography only, as shipped then).
old() {
  (cd "$WORK" && env -u SDGBRIDGE_DATABASE_URL "$PYTHON" - "$WORK/src" "$@" <<'PY'
import sys
src = sys.argv.pop(1)
sys.path[:] = [src] + [p for p in sys.path if not p.endswith("/src") and p not in ("", ".")]
import sdgbridge.cli as cli
assert cli.__file__.startswith(src), cli.__file__
sys.argv[0] = "sdgbridge"
cli.main()
PY
  )
}
STORE="sqlite:///$WORK/first.sqlite"
old --db "$STORE" init
old --db "$STORE" ingest "$WORK/ddf" --source "first-schema specimen"

# One self-contained, compact file: rollback journal instead of WAL, vacuumed.
mkdir -p "$(dirname "$OUT")"
"$PYTHON" - "$WORK/first.sqlite" "$WORK/fixture.sqlite" <<'PY'
import sqlite3, sys
src = sqlite3.connect(sys.argv[1])
src.execute("VACUUM INTO ?", (sys.argv[2],))
src.close()
dst = sqlite3.connect(sys.argv[2])
dst.execute("PRAGMA journal_mode=DELETE")
dst.close()
PY
gzip -9 -n -c "$WORK/fixture.sqlite" > "$OUT"
ls -l "$OUT"
