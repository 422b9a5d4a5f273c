#!/usr/bin/env bash
# `npm run bench`: the same set-up as the tests, then the benchmark, which prints
# its figures as ratios against baselines measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ariel_setup

node dist/server/bench/run.js "$@"
