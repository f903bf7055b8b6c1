# Sourced by tools/setup.sh and tools/test.sh: turbo keeps its task cache (builds, and each
# package's typecheck and test results) outside the checkout, so a fresh clone on the same
# machine (what CI runs) skips every task whose inputs did not change. A task's inputs are its
# package's files, its dependencies' builds and what turbo.json adds (shared configs, native/,
# the test helpers other packages import); a failed task is never cached.
# TURBO_FORCE=true runs everything anyway.
export TURBO_CACHE_DIR="${TURBO_CACHE_DIR:-$HOME/.cache/camstream/turbo}"
