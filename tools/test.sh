#!/usr/bin/env bash
# Runs every package's tests through turbo, then prints one summary line for the whole repo.
# Each package's vitest writes test-results/vitest.json; tools/test-summary.mjs adds them up.
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf packages/*/test-results apps/*/test-results
# Two at a time: the machine has 2 cores and several suites start real processes.
pnpm exec turbo run test --concurrency=2 "$@"
status=$?
node tools/test-summary.mjs || status=1
exit "$status"
