#!/usr/bin/env bash
# The repo's whole check: lint, then every package's typecheck and tests through turbo, then one
# summary line for the whole repo. Each package's vitest writes test-results/vitest.json;
# tools/test-summary.mjs adds them up. Extra arguments go to turbo (e.g. --filter=@cam/shm).
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf packages/*/test-results apps/*/test-results
status=0
pnpm exec biome check . || { echo "lint failed: run 'pnpm format' to fix formatting"; status=1; }
# Two tasks at a time: the machine has 2 cores and several suites start real processes.
pnpm exec turbo run typecheck test --concurrency=2 --continue "$@" || status=1
node tools/test-summary.mjs || status=1
exit "$status"
