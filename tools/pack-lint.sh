#!/usr/bin/env bash
# Lints what every public @cam package would publish, after a build:
#   publint --strict     package.json fields against the packed files (exports, types, files, bin)
#   attw --pack          types resolve in every mode TypeScript has: node10, node16 from CJS,
#                        node16 from ESM, bundler (no "Masquerading as ESM/CJS", no missing types)
#   prebuilds            a native package's tarball (`pnpm pack`, what `changeset publish`
#                        packs) carries its linux-x64 glibc, linux-arm64 glibc, linux-riscv64 musl
#                        and linux-riscv64 glibc prebuilds (run tools/prebuild-all.sh first)
#   bash tools/pack-lint.sh
# All pack the package (running its prepack/postpack) exactly as a publish would.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/node_modules/.bin"
status=0
packed=$(mktemp -d)
trap 'rm -rf "$packed"' EXIT
for manifest in "$root"/packages/*/package.json "$root"/apps/*/package.json; do
  dir=$(dirname "$manifest")
  [ "$(node -p "require('$manifest').private === true")" = false ] || continue
  name=$(node -p "require('$manifest').name")
  printf 'pack-lint %s\n' "$name"
  (cd "$dir" && "$bin/publint" run --strict) || status=1
  (cd "$dir" && "$bin/attw" --pack . --format ascii --quiet) || status=1
  [ "$(node -p "require('$manifest').gypfile === true")" = true ] || continue
  tarball=$(cd "$dir" && pnpm pack --json --pack-destination "$packed" | node -e \
    "const s = require('fs').readFileSync(0, 'utf8'); console.log(JSON.parse(s.slice(s.indexOf('{'))).filename)")
  files=$(tar -tzf "$tarball")
  for want in 'linux-x64 glibc' 'linux-arm64 glibc' 'linux-riscv64 musl' 'linux-riscv64 glibc'; do
    read -r tuple libc <<<"$want"
    grep -qE "^package/prebuilds/$tuple/[^/]+\.$libc\.node$" <<<"$files" || {
      printf 'pack-lint %s: %s lacks prebuilds/%s/*.%s.node: run tools/prebuild-all.sh before packing\n' \
        "$name" "$(basename "$tarball")" "$tuple" "$libc"
      status=1
    }
  done
  printf 'pack-lint %s: %s (%s KiB) carries %s\n' "$name" "$(basename "$tarball")" \
    "$(($(stat -c %s "$tarball") / 1024))" "$(grep -oE 'prebuilds/.+\.node$' <<<"$files" | tr '\n' ' ')"
done
[ "$status" = 0 ] && printf 'pack-lint: every public package clean\n'
exit "$status"
