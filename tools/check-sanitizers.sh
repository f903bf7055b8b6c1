#!/usr/bin/env bash
# Builds the native self-tests with AddressSanitizer + UndefinedBehaviorSanitizer and runs them
# (`check sanitizers` in tools/test.sh): the programs each native package lists in package.json
# "crossBuild": { "selftest": [sources] } (the same list tools/check-riscv64.sh builds for
# riscv64), built here with clang for this machine. Any sanitizer report fails (no recovery).
#   tools/check-sanitizers.sh [PACKAGE_DIR...]      (default: every package with a selftest list,
#                                                     then the sophgo backend below)
# Then the sophgo backend's self-test (native/camera/cam_sophgo_selftest.cpp) against the stand-in
# vendor libraries, built by its own test recipe (packages/sdk-native/test/standin.ts) with the
# sanitizers (CAM_SANITIZE=1): streaming two sizes, a failed start, an encoder that keeps failing
# and a failing teardown step (the whole sophgo suite passes sanitized too, but costs ~2x more).
# The C example consumer (apps/consumer-example/c) runs under the same sanitizers in its own
# tests (apps/consumer-example/test/c-example.test.ts), against rings of the streamer's writer;
# the shm reader is fuzzed under them by native/shm/fuzz/fuzz.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
log() { printf 'sanitizers: %s\n' "$*"; }
flags=(-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

packages=("$@")
[ "${#packages[@]}" -gt 0 ] || mapfile -t packages < <(cd "$root" && grep -l '"selftest"' packages/*/package.json | xargs -n1 dirname)
status=0
for pkg in "${packages[@]}"; do
  dir=$(cd "$root/$pkg" && pwd)
  name=$(basename "$dir")
  mapfile -t sources < <(cd "$dir" && node -p "(require('./package.json').crossBuild?.selftest ?? []).join('\n')")
  [ -n "${sources[*]}" ] || { log "$name: no crossBuild.selftest sources"; status=1; continue; }
  objects=()
  start=$(date +%s)
  for src in "${sources[@]}"; do
    obj="$work/$name-$(basename "$src").o"
    case "$src" in
      *.c) (cd "$dir" && clang "${flags[@]}" -std=gnu11 -c "$src" -o "$obj") ;;
      *) (cd "$dir" && clang++ "${flags[@]}" -std=c++17 -c "$src" -o "$obj") ;;
    esac
    objects+=("$obj")
  done
  clang++ "${flags[@]}" -o "$work/$name-selftest" "${objects[@]}" -ldl -lpthread
  built=$(($(date +%s) - start))
  if "$work/$name-selftest" >"$work/$name.out" 2>&1; then
    log "$name: selftest clean under ASan + UBSan ($(grep -c '^check ' "$work/$name.out" || true) checks; built in ${built} s, ran in $(($(date +%s) - start - built)) s)"
  else
    cat "$work/$name.out"
    log "$name: FAIL: the selftest failed or a sanitizer reported (output above)"
    status=1
  fi
done

if [ "$#" = 0 ]; then
  start=$(date +%s)
  sophgo_tests='streams two sizes|undoes every stage reached when CVI_VENC_CreateChn fails|ends the stream with an error|reports a step of the teardown that fails'
  # --reporter=default: the sdk-native suite's own report (test-results/vitest.json) stays as is.
  sophgo_status=0
  (cd "$root/packages/sdk-native" && CAM_SANITIZE=1 pnpm exec vitest run test/sophgo.test.ts \
    --reporter=default -t "on glibc, stand-in libraries ($sophgo_tests)") >"$work/sophgo.out" 2>&1 ||
    sophgo_status=$?
  passed=$(sed 's/\x1b\[[0-9;]*m//g' "$work/sophgo.out" | grep -oE 'Tests +[0-9]+ passed' | grep -oE '[0-9]+' || true)
  if [ "$sophgo_status" = 0 ] && [ "$passed" = 4 ]; then
    log "sdk-native: sophgo backend clean under ASan + UBSan against the stand-ins (4 tests in $(($(date +%s) - start)) s)"
  else
    cat "$work/sophgo.out"
    log "sdk-native: FAIL: the sophgo backend under ASan + UBSan (output above; $passed of the 4 tests" \
      "named here passed: renamed ones must be renamed in tools/check-sanitizers.sh too)"
    status=1
  fi
fi
exit "$status"
