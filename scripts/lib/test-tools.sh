#!/usr/bin/env bash
# Sourceable: defines ensure_test_tools, the Debian packages that tests drive as
# a person would: Chromium for JupyterLab (through playwright-core; Playwright's
# own browser downloads need the internet) and tmux for the interactive shell.

source "$(dirname "${BASH_SOURCE[0]}")/registry.sh"

ensure_test_tools() {
  ensure_docker_registry || return 1
  local missing=()
  [ -x "${ARIEL_TEST_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
  command -v tmux >/dev/null 2>&1 || missing+=(tmux)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: the tests need ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
    return 1
  fi
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null 2>&1 || {
    echo "error: 'apt-get install ${missing[*]}' failed; install them by hand, then retry" >&2
    return 1
  }
}

# Runs the Galata tests (ui-tests/) against a JupyterLab with the extension from this repo, on a
# temporary project, a free port and a random token; removes what they built afterwards. Needs
# ariel_setup's environment (engine, base image, pip index) in the calling shell.
run_ui_tests() {
  local scratch status=0
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/ariel-ui-tests.XXXXXX")"
  mkdir -p "$scratch/tmp"
  export ARIEL_UI_ROOT="$scratch/ariel-ui-project" ARIEL_UI_KERNELS="$scratch/kernels"
  ARIEL_UI_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  ARIEL_UI_TOKEN="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  export ARIEL_UI_PORT ARIEL_UI_TOKEN
  # CI=1: never reuse a server someone else left on the port. TMPDIR: Galata leaves folders behind.
  CI=1 TMPDIR="$scratch/tmp" npx playwright test -c ui-tests/playwright.config.ts "$@" || status=$?
  local images=""
  # ARIEL_UI_KEEP_IMAGES=1 keeps them (and the build cache) for the next run, when working on the tests.
  # By the project label: runs beside this one (the same repository name) keep theirs.
  [ "${ARIEL_UI_KEEP_IMAGES:-}" = 1 ] || [ ! -d "$ARIEL_UI_ROOT" ] ||
    images="$(docker images --format '{{.Repository}}:{{.Tag}}' \
      --filter label="org.ariel.project=$(realpath "$ARIEL_UI_ROOT")")"
  [ -z "$images" ] || docker rmi --force $images >/dev/null 2>&1 || true
  rm -rf "$scratch"
  return $status
}

# A non-root user for the ownership tests: files written from containers must belong to
# whoever runs Ariel, which a suite running as root cannot tell apart from the default.
ARIEL_TEST_USER="${ARIEL_TEST_USER:-ariel-test}"
export ARIEL_TEST_USER

ensure_test_user() {
  id -u "$ARIEL_TEST_USER" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "note: no user $ARIEL_TEST_USER; the tests that run Ariel as a non-root user are skipped" >&2
    return 0
  fi
  # In the docker group, to reach the engine as a user would; no password, no login.
  local groups=()
  getent group docker >/dev/null 2>&1 && groups=(--groups docker)
  useradd --create-home --shell /usr/sbin/nologin "${groups[@]}" "$ARIEL_TEST_USER" || {
    echo "error: could not create the test user $ARIEL_TEST_USER" >&2
    return 1
  }
}

# Everything a test run needs (ariel_setup, the test tools and user), and a job history
# of its own in ARIEL_DATA_DIR, not the user's; both are cleaned up when the caller exits.
ariel_test_setup() {
  ariel_setup || return 1
  ensure_test_tools || return 1
  ensure_test_user || return 1
  ARIEL_DATA_DIR="$(mktemp -d)" || return 1
  export ARIEL_DATA_DIR
  trap 'stop_local_pip_index; rm -rf "$ARIEL_DATA_DIR"' EXIT
}
