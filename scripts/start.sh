#!/usr/bin/env bash
# The main job: JupyterLab with Ariel's container kernels on the bundled example
# project, with all set-up (npm dependencies, the compiled code, the project's
# .venv with JupyterLab, the kernelspecs, and on offline machines a Docker
# engine, a local base image and the local pip index). Extra arguments go to
# `jupyter lab`, e.g. `npm start -- --port 9999`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ariel_setup

VIRTUAL_ENV="$PWD/.venv" node bin/ariel.mjs kernels install --sys-prefix
root_flag=()
[ "$(id -u)" = 0 ] && root_flag=(--allow-root)
.venv/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$PWD/examples/digits" "${root_flag[@]}" "$@"
