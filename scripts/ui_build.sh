#!/usr/bin/env bash
# Installs the web UI's npm packages exactly as package-lock.json pins them
# (npm ci, from the npm registry) and bundles the UI into ui/dist/, which
# `storm serve --ui` serves. Run by scripts/deps.sh; nothing is fetched at
# run time.
set -euo pipefail
cd "$(dirname "$0")/../ui"
if ! command -v npm >/dev/null; then
  echo "ui_build: npm not found (scripts/deps.sh installs nodejs and npm)" >&2
  exit 1
fi
# npm ci again only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
