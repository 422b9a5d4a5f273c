#!/usr/bin/env bash
# Sourceable: defines ensure_offline_environment.
#
# Prepares a machine without registry access for Ariel's builds and tests:
# a running Docker engine, a local stand-in for python:3.11-slim when that
# cannot be pulled, and the host's local pip index served over HTTP. Ariel's
# TypeScript code reads the exported ARIEL_* variables as machine defaults:
#   ARIEL_BASE_IMAGE_CPU       base image for CPU builds (only when the
#                              public python:3.11-slim is not present)
#   ARIEL_PIP_INDEX_URL        pip index for builds (only with a local index)
#   ARIEL_PIP_EXTRA_INDEX_URL  space-separated extra indexes (only if any)
#   ARIEL_BUILD_NETWORK        "host" when builds must reach the index
#   ARIEL_PIP_INDEX_PID        pid of the HTTP server (stop_local_pip_index)
#   PIP_RETRIES                0 when a local index is configured
#
# Does not change the caller's shell options; safe under `set -euo pipefail`.

_ARIEL_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/docker-engine.sh
source "$_ARIEL_LIB_DIR/docker-engine.sh"
# shellcheck source=scripts/lib/offline-images.sh
source "$_ARIEL_LIB_DIR/offline-images.sh"
# shellcheck source=scripts/lib/pip-index.sh
source "$_ARIEL_LIB_DIR/pip-index.sh"

ensure_offline_environment() {
  ensure_docker_engine || return 1
  # Real users get python:3.11-slim; only where it is absent (nothing can be
  # pulled here) do we substitute the locally built Debian image.
  if ! docker image inspect python:3.11-slim >/dev/null 2>&1; then
    ensure_local_base_image || return 1
    export ARIEL_BASE_IMAGE_CPU="$ARIEL_LOCAL_BASE_IMAGE_NAME"
  fi
  start_local_pip_index || return 1
}
