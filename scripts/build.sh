#!/usr/bin/env bash
# Configure and build plankit into build/ (or $BUILD_DIR).
#   scripts/build.sh            release build with debug info
#   scripts/build.sh --sanitize AddressSanitizer + UndefinedBehaviorSanitizer, warnings as errors
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  build=${BUILD_DIR:-build-asan}
  args=(-DCMAKE_BUILD_TYPE=Debug -DPLANKIT_SANITIZE=ON -DPLANKIT_WERROR=ON)
fi
cmake -S . -B "$build" "${args[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
echo "$build"
