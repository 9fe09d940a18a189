#!/usr/bin/env bash
# Build-time assets of the web dashboard, from the npm registry (never committed):
#   world-atlas (Natural Earth country shapes, TopoJSON) -> src/sdgbridge/web/static/vendor/world-atlas/
#   swagger-ui-dist (the interactive API docs at /api/docs) -> src/sdgbridge/web/static/vendor/swagger-ui/
# Run by `make assets` (and so by `make demo` and `make test`). Needs Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
  echo "npm not found: install Node.js and npm (Debian: apt-get install -y nodejs npm)." >&2
  exit 1
fi
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error  # files only: no install scripts
dest=src/sdgbridge/web/static/vendor/world-atlas
mkdir -p "$dest"
for f in countries-50m.json LICENSE package.json; do
  cp node_modules/world-atlas/"$f" "$dest/$f"
done
echo "assets: world-atlas $(node -p "require('./node_modules/world-atlas/package.json').version") -> $dest"
dest=src/sdgbridge/web/static/vendor/swagger-ui
mkdir -p "$dest"
for f in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE package.json; do
  cp node_modules/swagger-ui-dist/"$f" "$dest/$f"
done
echo "assets: swagger-ui-dist $(node -p "require('./node_modules/swagger-ui-dist/package.json').version") -> $dest"
