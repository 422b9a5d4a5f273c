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
