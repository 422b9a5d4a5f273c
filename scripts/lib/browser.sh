#!/usr/bin/env bash
# Sourceable: defines ensure_chromium. The UI tests drive Debian's Chromium
# through playwright-core (Playwright's own browser downloads need the internet).

ensure_chromium() {
  [ -x "${ARIEL_TEST_CHROMIUM:-/usr/bin/chromium}" ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: Chromium is needed for the UI tests; install Debian's chromium package (or set ARIEL_TEST_CHROMIUM to a Chromium binary)" >&2
    return 1
  fi
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 || {
    echo "error: 'apt-get install chromium' failed; install it by hand, then retry" >&2
    return 1
  }
}
