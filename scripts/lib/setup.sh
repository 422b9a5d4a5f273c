#!/usr/bin/env bash
# Sourceable: defines ariel_setup, the set-up shared by `npm start`, `npm test`
# and `npm run bench`: npm dependencies and the compiled code, the repo's .venv
# with JupyterLab, and what an offline machine lacks (engine, base image, pip
# index). The local pip index is stopped when the calling script exits.

_ARIEL_SETUP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$_ARIEL_SETUP_DIR/node-env.sh"
source "$_ARIEL_SETUP_DIR/offline-env.sh"
source "$_ARIEL_SETUP_DIR/python-env.sh"

ariel_setup() {
  # Each step's failure is returned: a caller's `ariel_setup || …` turns off `set -e` in here.
  ensure_node_env || return 1
  ensure_python_env || return 1
  ensure_offline_environment || return 1
  trap stop_local_pip_index EXIT
}
