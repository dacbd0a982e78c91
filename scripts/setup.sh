#!/usr/bin/env bash
# Install the Debian packages plankit needs to build, test and run, and the npm
# packages of the JavaScript tests, if missing.
# Idempotent: installs nothing when everything is present. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libgdal-dev gdal-bin libproj-dev proj-bin libgeos-dev
  libsqlite3-dev sqlite3 libspatialite-dev libsqlite3-mod-spatialite spatialite-bin
  libjson-c-dev libcmocka-dev libcairo2-dev libpango1.0-dev fonts-noto-cjk
  libmicrohttpd-dev chromium curl
  poppler-utils
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present" >&2
else
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Node.js for the JavaScript tests and the web map (tests/js: tile decoders,
# the MapLibre style validator, maplibre-gl copied by `plankit tiles preview`
# and `plankit serve`, playwright-core driving Debian's chromium): Debian's nodejs and npm when
# node or npm is missing; then the packages pinned by tests/js/package-lock.json
# with `npm ci`, skipped when node_modules was installed from that same lock.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing nodejs npm" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >&2
fi
js_dir="$(cd "$(dirname "$0")/../tests/js" && pwd)"
if cmp -s "$js_dir/package-lock.json" "$js_dir/node_modules/.plankit-installed-lock.json"; then
  echo "setup: npm packages of tests/js present" >&2
else
  echo "setup: npm ci in tests/js" >&2
  (cd "$js_dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  cp "$js_dir/package-lock.json" "$js_dir/node_modules/.plankit-installed-lock.json"
fi
