#!/usr/bin/env bash
# The repo's whole check, what `pnpm test` and CI run:
#   1. lint (biome) and no import cycles (tools/check-cycles.mjs), 2. every package's typecheck
#      and tests through turbo, then the bench helpers' own tests (node --test bench/),
#   3. the checks that are scripts, not vitest suites: the service files against the built
#      streamer (deploy/test.sh), publint + attw on what each package would publish
#      (tools/pack-lint.sh, which also checks the native tarballs carry the prebuilds), and the
#      prebuilds of every native addon incl. riscv64 musl and glibc, checked by readelf and run
#      under qemu (tools/prebuild-all.sh, restored from its cache when nothing native changed),
#      then with those prebuilds the user's npx and npm install from a local registry
#      (tools/registry/check.mjs) and the streamer in a riscv64 Node under qemu
#      (tools/riscv64/check-node.mjs),
#   4. one summary line for the whole repo (tools/test-summary.mjs adds up each package's
#      test-results/vitest.json and the script checks listed in test-results/checks.txt).
# Extra arguments go to turbo (e.g. --filter=@cam/shm); with them, the script checks are skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/turbo-cache.sh
rm -rf test-results packages/*/test-results apps/*/test-results
mkdir -p test-results
status=0
check() { # name command...: runs one script check and records its result for the summary
  local name=$1
  shift
  printf '\n== check %s: %s\n' "$name" "$*"
  if "$@"; then echo "$name passed" >>test-results/checks.txt; else
    echo "$name failed" >>test-results/checks.txt
    status=1
  fi
}
check lint pnpm exec biome check .
check import-cycles node tools/check-cycles.mjs
# Two tasks at a time: the machine has 2 cores and several suites start real processes.
pnpm exec turbo run typecheck test --concurrency=2 --continue "$@" || status=1
# The bench helpers import the built packages (turbo built them above).
check bench-helpers node --test bench/
if [ "$#" = 0 ]; then
  check deploy bash deploy/test.sh
  # Prebuilds before pack-lint, which checks every native tarball carries them. Built once and
  # kept: restored from ~/.cache/camstream/prebuilds while no native input changed.
  check prebuilds bash tools/prebuild-all.sh
  check pack-lint bash tools/pack-lint.sh
  # Every public package published to a local verdaccio as the release does, then npx
  # @cam/streamer and npm install @cam/shm from it (uses the prebuilds just built; ~80 s warm).
  check registry node tools/registry/check.mjs
  # The real cam-streamer in Debian 13's riscv64 Node under qemu, jitless and JIT, with the riscv64
  # glibc prebuilds (~55 s; the rootfs is cached in ~/.cache/camstream/riscv64-rootfs).
  check riscv64-node node tools/riscv64/check-node.mjs
  # libFuzzer over cam_shm.h's reader with hostile segments that change between calls, 20 s.
  check fuzz-shm bash native/shm/fuzz/fuzz.sh 20
  # The native self-tests and the sophgo backend (against its stand-ins) built with ASan + UBSan,
  # ~40 s (the C example runs sanitized in its own tests).
  check sanitizers bash tools/check-sanitizers.sh
fi
node tools/test-summary.mjs || status=1
exit "$status"
