#!/usr/bin/env bash
# `npm run test:files -- server/http/app.test.ts [more files] [node --test options]`:
# some of the node test files, with the same set-up as `npm test` (the engine, the
# base image, the pip index, the test tools). Names are the TypeScript sources;
# the compiled files under dist/ are run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
source scripts/lib/test-tools.sh
ariel_setup
ensure_test_tools
ensure_test_user

ARIEL_DATA_DIR="$(mktemp -d)"
export ARIEL_DATA_DIR
trap 'stop_local_pip_index; rm -rf "$ARIEL_DATA_DIR"' EXIT

args=()
for arg in "$@"; do
  case "$arg" in
    -*) args+=("$arg") ;;
    *.ts) source="${arg#./}" && args+=("dist/${source%.ts}.js") ;;
    *) args+=("$arg") ;;
  esac
done
node --test --test-concurrency=1 --test-timeout=900000 "${args[@]}"
