#!/usr/bin/env bash
# The whole test suite, with all set-up: npm dependencies, the compiled code, a
# Docker engine, base images and a pip index where none can be downloaded, and
# the Python environment whose Jupyter Server the kernel tests talk to, and
# Chromium and tmux for the tests that drive JupyterLab and the shell. Lint
# first, then the frontend's jest tests, then the node tests, then the Galata tests of
# the JupyterLab extension (ui-tests/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
source scripts/lib/test-tools.sh
ariel_test_setup

# Lint and the frontend's unit tests first: they need no Docker, and fail in seconds.
npm run --silent lint
npm run --silent test:unit
npm run --silent test:node
run_ui_tests
