#!/usr/bin/env bash
# `npm run test:pure`: the node tests of the pure tier, `server/**/NAME.test.ts` without a tier
# in the name (`.engine.`, `.cli.`, `.jupyter.`, `.ui.`). They need nothing but `npm ci`: no
# Docker engine, no Jupyter, no browser, no set-up. The server's TypeScript is compiled first;
# options (e.g. --test-name-pattern='^expand') are passed to node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p server/tsconfig.json

# From the sources, so that compiled files left in dist/ by a renamed test are not run.
mapfile -t files < <(find server -name '*.test.ts' | grep -Ev '\.(engine|cli|jupyter|ui)\.test\.ts$' |
  sort | sed -e 's#^#dist/#' -e 's#\.ts$#.js#')
# A test of this tier that reaches for an engine fails at once instead of using one it finds.
export DOCKER_HOST=unix:///nonexistent/ariel-test-pure.sock
ARIEL_DATA_DIR="$(mktemp -d)"
export ARIEL_DATA_DIR
trap 'rm -rf "$ARIEL_DATA_DIR"' EXIT
node --test --test-concurrency=1 --test-timeout=300000 "$@" "${files[@]}"
