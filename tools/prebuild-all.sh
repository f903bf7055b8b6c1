#!/usr/bin/env bash
# Builds and checks the prebuilds of every native package (package.json "gypfile": true), what
# the release workflow runs before packing: for each, tools/prebuild.sh (linux-x64 glibc,
# linux-riscv64 musl + its untagged copy, linux-arm64 glibc 2.28) then tools/check-riscv64.sh
# (ELF, symbols, native core under qemu-riscv64-static). Prints the time of each step.
#   bash tools/prebuild-all.sh        (after pnpm install; needs llvm, qemu-user-static, binutils)
# Leaves PACKAGE/prebuilds in place for `pnpm pack` / `changeset publish`; the packages' loaders
# prefer a prebuild to build/Release, so delete prebuilds/ before changing native code locally.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
total=$SECONDS
for manifest in "$root"/packages/*/package.json; do
  dir=$(dirname "$manifest")
  [ "$(node -p "require('$manifest').gypfile === true")" = true ] || continue
  start=$SECONDS
  bash "$root/tools/prebuild.sh" "$dir"
  built=$SECONDS
  bash "$root/tools/check-riscv64.sh" "$dir"
  printf 'prebuild-all %s: built in %ss, checked in %ss\n' "$(basename "$dir")" \
    "$((built - start))" "$((SECONDS - built))"
done
printf 'prebuild-all: done in %ss\n' "$((SECONDS - total))"
