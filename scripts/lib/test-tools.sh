#!/usr/bin/env bash
# Sourceable: defines ensure_test_tools, the Debian packages that tests drive as
# a person would: Chromium for JupyterLab (through playwright-core; Playwright's
# own browser downloads need the internet) and tmux for the interactive shell.

ensure_test_tools() {
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
