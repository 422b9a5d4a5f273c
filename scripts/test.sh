#!/usr/bin/env bash
# The whole test suite, with all set-up: npm dependencies, the compiled code, a
# Docker engine, base images and a pip index where none can be downloaded, and
# the Python environment whose Jupyter Server the kernel tests talk to.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ariel_setup

npm run --silent test:node
