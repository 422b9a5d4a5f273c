#!/usr/bin/env bash
# `npm run bench`: the same set-up as the tests, then the benchmark, which prints
# its figures as ratios against baselines measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/node-env.sh
source scripts/lib/offline-env.sh
source scripts/lib/python-env.sh

ensure_node_env
ensure_python_env
ensure_offline_environment
trap stop_local_pip_index EXIT

node dist/server/bench/run.js "$@"
