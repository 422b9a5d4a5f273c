#!/usr/bin/env bash
# Starts JupyterLab for the Galata tests on a fresh Ariel project (a requirements file and an
# empty .ariel.json) in ARIEL_UI_ROOT, with Ariel's kernelspecs installed under ARIEL_UI_ROOT's
# sibling folder. Run by Playwright's webServer (cwd: ui-tests/).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
root="${ARIEL_UI_ROOT:?set by scripts/test.sh}"
kernels="${ARIEL_UI_KERNELS:?set by scripts/test.sh}"

mkdir -p "$root" "$kernels"
[ -f "$root/.ariel.json" ] || echo '{}' >"$root/.ariel.json"
[ -f "$root/requirements.txt" ] || echo 'six' >"$root/requirements.txt"
node "$repo/bin/ariel.mjs" kernels install --prefix "$kernels" --python "$repo/.venv/bin/python" >/dev/null

export JUPYTER_PATH="$kernels/share/jupyter"
export JUPYTERLAB_GALATA_ROOT_DIR="$root"
# The container shell's terminal finds `ariel` where the venv's Jupyter is.
export PATH="$repo/.venv/bin:$PATH"
exec "$repo/.venv/bin/jupyter" lab --allow-root --config "$repo/ui-tests/jupyter_server_test_config.py"
