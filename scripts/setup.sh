#!/usr/bin/env bash
# Install the Debian packages plankit needs to build, test and run, if missing.
# Idempotent: installs nothing when everything is present. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libgdal-dev gdal-bin libproj-dev proj-bin libgeos-dev
  libsqlite3-dev sqlite3 libspatialite-dev libsqlite3-mod-spatialite spatialite-bin
  libjson-c-dev libcmocka-dev libcairo2-dev libpango1.0-dev fonts-noto-cjk
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present" >&2
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
