#!/usr/bin/env bash
# The test command: install what is missing, build with AddressSanitizer and
# UndefinedBehaviorSanitizer (warnings as errors), run every test with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build=$(scripts/build.sh --sanitize | tail -n 1)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
