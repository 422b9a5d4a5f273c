#!/usr/bin/env bash
# The whole test suite, with all set-up: npm dependencies, the compiled code, a
# Docker engine, base images and a pip index where none can be downloaded, and
# the Python environment whose Jupyter Server the kernel tests talk to.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/node-env.sh
source scripts/lib/offline-env.sh
source scripts/lib/python-env.sh

ensure_node_env
ensure_python_env
ensure_offline_environment
trap stop_local_pip_index EXIT

npm run --silent test:node
