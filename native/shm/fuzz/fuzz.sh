#!/usr/bin/env bash
# Fuzzes the shm reader (cam_shm_fuzz.c over native/include/cam_shm.h) with libFuzzer, ASan and
# UBSan for a bounded time, starting from the committed corpus/ (`check fuzz-shm` in
# tools/test.sh). A crash, a sanitizer report, a broken bound (the harness aborts) or an input
# that runs over 30 s fails; its reproducer stays in test-results/fuzz-shm/.
#   bash native/shm/fuzz/fuzz.sh [SECONDS]       fuzz (default 20 s)
#   bash native/shm/fuzz/fuzz.sh --run FILE...   run inputs once (e.g. a kept reproducer)
#   bash native/shm/fuzz/fuzz.sh --seeds         rewrite corpus/ from segments of the real writer
# Needs clang and libclang-rt-14-dev (tools/setup.sh installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$root/test-results/fuzz-shm"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log() { printf 'fuzz-shm: %s\n' "$*"; }
sanitize=(-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all)

if [ "${1:-}" = --seeds ]; then
  clang -O1 -Wall -Wextra -Werror -DCAM_FUZZ_WRITE_SEEDS -o "$work/seeds" "$here/cam_shm_fuzz.c" \
    "$here/../cam_shm_writer.c"
  rm -rf "$here/corpus" && mkdir "$here/corpus" && "$work/seeds" "$here/corpus"
  log "corpus/ rewritten: $(ls "$here/corpus" | wc -l) seeds"
  exit 0
fi

clang "${sanitize[@]}" -Wall -Wextra -Werror -fsanitize=fuzzer -o "$work/fuzz" "$here/cam_shm_fuzz.c"
if [ "${1:-}" = --run ]; then
  shift
  exec "$work/fuzz" -timeout=30 "$@"
fi

seconds=${1:-20}
rm -rf "$out" && mkdir -p "$out" "$work/corpus"
# New inputs go to the first directory (a temporary one); the committed corpus is only read.
start=$(date +%s)
set +e
"$work/fuzz" -max_total_time="$seconds" -timeout=30 -max_len=8192 -print_final_stats=1 \
  -artifact_prefix="$out/" "$work/corpus" "$here/corpus" >"$out/fuzz.log" 2>&1 &
pid=$!
wait "$pid"
status=$?
set -e
rm -f "/dev/shm/cam-fuzz-$pid" # left behind when an input crashed
# (A crash on the first input leaves no stats and no coverage line: empty, not an error.)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log")
cov=$(grep -oE 'cov: [0-9]+' "$out/fuzz.log" | tail -1 || true)
summary="${runs:-?} executions in $(($(date +%s) - start)) s, ${cov:-cov: ?} edges, $(ls "$work/corpus" | wc -l) new inputs, seeds $(ls "$here/corpus" | wc -l)"
echo "$summary" >"$out/summary.txt"
if [ "$status" != 0 ]; then
  grep -E 'ERROR|SUMMARY|runtime error|deadly|broken bound|Test unit written' "$out/fuzz.log" || tail -20 "$out/fuzz.log"
  log "FAIL after $summary; full log test-results/fuzz-shm/fuzz.log;" \
    "reproduce: bash native/shm/fuzz/fuzz.sh --run test-results/fuzz-shm/<crash-file>"
  exit 1
fi
log "ok: $summary"
