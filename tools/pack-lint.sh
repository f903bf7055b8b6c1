#!/usr/bin/env bash
# Lints what every public @cam package would publish, after a build:
#   publint --strict     package.json fields against the packed files (exports, types, files, bin)
#   attw --pack          types resolve in every mode TypeScript has: node10, node16 from CJS,
#                        node16 from ESM, bundler (no "Masquerading as ESM/CJS", no missing types)
#   bash tools/pack-lint.sh
# Both pack the package (running its prepack/postpack) exactly as a publish would.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/node_modules/.bin"
status=0
for manifest in "$root"/packages/*/package.json "$root"/apps/*/package.json; do
  dir=$(dirname "$manifest")
  [ "$(node -p "require('$manifest').private === true")" = false ] || continue
  name=$(node -p "require('$manifest').name")
  printf 'pack-lint %s\n' "$name"
  (cd "$dir" && "$bin/publint" run --strict) || status=1
  (cd "$dir" && "$bin/attw" --pack . --format ascii --quiet) || status=1
done
[ "$status" = 0 ] && printf 'pack-lint: every public package clean\n'
exit "$status"
