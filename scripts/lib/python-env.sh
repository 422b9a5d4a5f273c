#!/usr/bin/env bash
# Sourceable: defines ensure_python_env.
#
# Creates the repo's .venv with JupyterLab, ipykernel and this repo's Python
# package as a development install: editable (the kernel provisioner, the server
# extension, which it enables, and the `ariel` command), and the JupyterLab
# extension linked to jupyterlab_ariel/labextension once `npm run build` has
# built it, so a rebuild shows on reload.
#
# Does not change the caller's shell options; safe under `set -euo pipefail`.

_ARIEL_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

ensure_python_env() {
  local venv="$_ARIEL_REPO_ROOT/.venv"
  local log="${TMPDIR:-/tmp}/ariel-pip-install.log"
  # Where `jupyter labextension develop` links the built extension.
  local link="$venv/share/jupyter/labextensions/jupyterlab-ariel"

  if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
      echo "error: 'python3 -m venv $venv' failed; install Python 3 with venv support (Debian: apt-get install python3-venv), then retry" >&2
      return 1
    fi
  fi

  # find_spec instead of a real import: importing ipykernel takes ~3 s; -I keeps
  # the working directory (this repo, with jupyterlab_ariel in it) off the path.
  # The server extension's config file tells an install from before it existed.
  if ! "$venv/bin/python" -I -c 'import importlib.util as u, sys; sys.exit(not (u.find_spec("jupyterlab") and u.find_spec("ipykernel") and u.find_spec("jupyterlab_ariel")))' >/dev/null 2>&1 ||
    [ ! -f "$venv/etc/jupyter/jupyter_server_config.d/jupyterlab_ariel.json" ]; then
    # pip cannot install over the develop link (it writes through it); it is made again below.
    if [ -L "$link" ]; then rm -f "$link"; fi
    # PIP_RETRIES=0: where the public index is unreachable pip would otherwise
    # retry it for every package (minutes instead of seconds). pip's output goes
    # to a log: with several file:// indexes it warns for every project an
    # index lacks, which is noise on success.
    if ! PIP_RETRIES=0 "$venv/bin/python" -m pip install --disable-pip-version-check \
      jupyterlab ipykernel -e "$_ARIEL_REPO_ROOT" >"$log" 2>&1; then
      echo "error: installing jupyterlab, ipykernel and jupyterlab-ariel into $venv failed; last lines of $log:" >&2
      tail -n 15 "$log" >&2
      echo "error: check pip's index configuration ('pip config list') and the errors above, then retry" >&2
      return 1
    fi
  fi

  # The frontend exists once it is built; until then JupyterLab runs without it.
  if [ -f "$_ARIEL_REPO_ROOT/jupyterlab_ariel/labextension/package.json" ] && [ ! -L "$link" ]; then
    # jupyter finds its `jupyter-builder` helper on PATH.
    if ! PATH="$venv/bin:$PATH" "$venv/bin/jupyter" labextension develop "$_ARIEL_REPO_ROOT" --overwrite >"$log" 2>&1; then
      echo "error: linking the JupyterLab extension into $venv failed; last lines of $log:" >&2
      tail -n 15 "$log" >&2
      return 1
    fi
  fi
}
