#!/usr/bin/env bash
# Installs Storm's build and test dependencies from Debian 12 packages.
# Usage: scripts/deps.sh [--test|--image]   (--test adds what only the tests need,
#        --image what scripts/image_build.sh needs)
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc
      libpcre2-dev libutf8proc-dev libsqlite3-dev libssl-dev libcjson-dev libyaml-dev
      libzstd-dev
      libmicrohttpd-dev libcurl4-openssl-dev sqlite3
      librdkafka-dev libhiredis-dev)
# --db postgresql://...: the store on PostgreSQL (libpq); the tests start a real server
pkgs+=(libpq-dev)
if [ "${1:-}" = --test ]; then pkgs+=(postgresql); fi
if [ "$(uname -m)" = x86_64 ]; then pkgs+=(libhyperscan-dev); fi
# The web UI's bundler and test driver run on node (npm ci, scripts/ui_build.sh).
if ! command -v npm >/dev/null; then pkgs+=(nodejs npm); fi
if [ "${1:-}" = --test ]; then pkgs+=(chromium); fi # the UI's browser tests (tests/ui/)
# kubectl kustomize renders the overlay in tests/e2e/test_instrument.py; Debian's
# kubernetes-client only where no kubectl is installed already
if [ "${1:-}" = --test ] && ! command -v kubectl >/dev/null; then pkgs+=(kubernetes-client); fi
# the container image (scripts/image_build.sh): only with --image
if [ "${1:-}" = --image ]; then pkgs+=(mmdebstrap buildah); fi
if [ "${1:-}" = --test ]; then pkgs+=(clang clang-format libclang-rt-14-dev curl python3 python3-yaml python3-jsonschema openssl redis-server); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The web UI: npm packages pinned by ui/package-lock.json, bundled into ui/dist.
"$(dirname "$0")/ui_build.sh"
