#!/usr/bin/env bash
# `npm run test:files -- server/http/app.engine.test.ts [more files] [--test-name-pattern=REGEX]`:
# some of the node test files, with the same set-up as `npm test` (the engine, the
# base image, the pip index, the test tools). Names are the TypeScript sources;
# the compiled files under dist/ are run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
source scripts/lib/test-tools.sh
ariel_test_setup

# Options first (node reads what follows the first file as that file's arguments); give
# an option's value in the same word: --test-name-pattern='^prune'.
options=()
files=()
for arg in "$@"; do
  case "$arg" in
    -*) options+=("$arg") ;;
    *.ts) source="${arg#./}" && files+=("dist/${source%.ts}.js") ;;
    *) files+=("$arg") ;;
  esac
done
node --test --test-concurrency=1 --test-timeout=900000 "${options[@]}" "${files[@]}"
