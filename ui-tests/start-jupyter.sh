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
# Google Cloud's stand-ins (cloud.spec.ts): the companion server sends Vertex AI calls to the emulator;
# the tests read the registry's address from the file; the job history lives beside the project.
services="$kernels/cloud-services.json"
rm -f "$services"
node "$repo/ui-tests/cloud-services.mjs" "$services" &
for _ in $(seq 1 300); do [ -s "$services" ] && break; sleep 0.2; done
[ -s "$services" ] || { echo "the registry and the Vertex AI emulator did not start" >&2; exit 1; }
ARIEL_VERTEX_ENDPOINT="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["vertex"])' "$services")"
export ARIEL_VERTEX_ENDPOINT ARIEL_DATA_DIR="$kernels/ariel-data"
export JUPYTERLAB_GALATA_ROOT_DIR="$root"
# The container shell's terminal finds `ariel` where the venv's Jupyter is.
export PATH="$repo/.venv/bin:$PATH"
exec "$repo/.venv/bin/jupyter" lab --allow-root --config "$repo/ui-tests/jupyter_server_test_config.py"
