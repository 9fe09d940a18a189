#!/usr/bin/env bash
# Build-time assets of the web dashboard, from the npm registry (never committed):
#   world-atlas (Natural Earth country shapes, TopoJSON) -> src/sdgbridge/web/static/vendor/world-atlas/
# Run by `make assets` (and so by `make demo` and `make test`). Needs Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
  echo "npm not found: install Node.js and npm (Debian: apt-get install -y nodejs npm)." >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
dest=src/sdgbridge/web/static/vendor/world-atlas
mkdir -p "$dest"
for f in countries-50m.json LICENSE package.json; do
  cp node_modules/world-atlas/"$f" "$dest/$f"
done
echo "assets: world-atlas $(node -p "require('./node_modules/world-atlas/package.json').version") -> $dest"
