#!/usr/bin/env bash
# Sourceable: defines start_local_pip_index and stop_local_pip_index.
#
# On the offline CI/dev machines pip is configured with local file:// indexes
# (see `pip config list`). Builds inside containers cannot see the host's
# files, so we serve those indexes over HTTP on 127.0.0.1; image builds use
# host networking to reach them. Machines with internet (no file:// index
# configured) are left alone and keep using PyPI.
#
# Does not change the caller's shell options; safe under `set -euo pipefail`.

# Print the file:// ".../simple" index URLs pip is configured with, index-url
# values first, then extra-index-url values (values may be space-separated).
_ariel_pip_file_indexes() {
  local cfg
  if python3 -m pip --version >/dev/null 2>&1; then
    cfg="$(python3 -m pip config list 2>/dev/null)" || cfg=""
  elif command -v pip >/dev/null 2>&1; then
    cfg="$(pip config list 2>/dev/null)" || cfg=""
  else
    return 0
  fi
  # Lines look like: global.extra-index-url='file:///a/simple file:///b/simple'
  # (also ":env:.index-url=..." for PIP_INDEX_URL in the environment).
  {
    printf '%s\n' "$cfg" | sed -n "s/^[^=]*\.index-url='\(.*\)'\$/\1/p"
    printf '%s\n' "$cfg" | sed -n "s/^[^=]*\.extra-index-url='\(.*\)'\$/\1/p"
  } | tr -s ' \t' '\n' | grep -E '^file://.*/simple/?$' | awk '!seen[$0]++' || true
}

# Python one-liner: a free TCP port on loopback.
_ariel_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Succeeds when URL answers 200 (proxies bypassed: it is on loopback).
_ariel_url_answers() {
  python3 - "$1" <<'PY' >/dev/null 2>&1
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
}

start_local_pip_index() {
  # Already serving (called twice in one shell): keep the running server.
  if [ -n "${ARIEL_PIP_INDEX_PID:-}" ] && [ -n "${ARIEL_PIP_INDEX_URL:-}" ] \
    && kill -0 "$ARIEL_PIP_INDEX_PID" 2>/dev/null \
    && _ariel_url_answers "$ARIEL_PIP_INDEX_URL/"; then
    return 0
  fi

  local -a indexes=()
  local url
  while IFS= read -r url; do
    [ -n "$url" ] && indexes+=("$url")
  done < <(_ariel_pip_file_indexes)
  [ "${#indexes[@]}" -gt 0 ] || return 0

  # Serve the parent of each simple/ folder: the index pages link to their
  # files relatively (../../files/x.whl). Symlink them as 0, 1, ... under one
  # root so a single server serves them all.
  local tmp root n=0 path
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/ariel-pip-index.XXXXXX")" || return 1
  root="$tmp/root"
  mkdir -p "$root"
  for url in "${indexes[@]}"; do
    path="${url#file://}"
    path="${path%/}"
    if [ ! -d "$path" ]; then
      echo "warning: pip index $url is configured but $path does not exist; skipping it" >&2
      continue
    fi
    ln -s "$(dirname "$path")" "$root/$n"
    n=$((n + 1))
  done
  if [ "$n" -eq 0 ]; then
    rm -rf "$tmp"
    return 0
  fi

  # The port is picked then bound by another process, so it can be taken in
  # between: try a few times.
  local port pid i ok=0
  for _ in 1 2 3; do
    port="$(_ariel_free_port)" || break
    # nohup (not setsid) so $! is the server's own pid; callers kill it.
    nohup python3 -m http.server --bind 127.0.0.1 "$port" --directory "$root" \
      >"$tmp/http.log" 2>&1 </dev/null &
    pid=$!
    for ((i = 0; i < 50; i++)); do
      if _ariel_url_answers "http://127.0.0.1:$port/0/simple/"; then
        ok=1
        break
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    [ "$ok" -eq 1 ] && break
    kill "$pid" 2>/dev/null || true
  done
  if [ "$ok" -ne 1 ]; then
    echo "error: could not serve the local pip index over HTTP on 127.0.0.1; see $tmp/http.log" >&2
    return 1
  fi

  local extra="" k
  for ((k = 1; k < n; k++)); do
    extra="${extra:+$extra }http://127.0.0.1:$port/$k/simple"
  done

  export ARIEL_PIP_INDEX_URL="http://127.0.0.1:$port/0/simple"
  if [ -n "$extra" ]; then
    export ARIEL_PIP_EXTRA_INDEX_URL="$extra"
  else
    unset ARIEL_PIP_EXTRA_INDEX_URL
  fi
  # Containers reach 127.0.0.1 of the host only with host networking.
  export ARIEL_BUILD_NETWORK=host
  export ARIEL_PIP_INDEX_PID="$pid"
  # pip otherwise retries the unreachable public index ~8 s per package.
  export PIP_RETRIES=0
  # Internal: lets stop_local_pip_index remove the symlink folder.
  _ARIEL_PIP_INDEX_TMP="$tmp"
}

# Stop the server started above (if any) and forget its variables.
stop_local_pip_index() {
  if [ -n "${ARIEL_PIP_INDEX_PID:-}" ]; then
    kill "$ARIEL_PIP_INDEX_PID" 2>/dev/null || true
  fi
  if [ -n "${_ARIEL_PIP_INDEX_TMP:-}" ]; then
    rm -rf "$_ARIEL_PIP_INDEX_TMP"
  fi
  unset ARIEL_PIP_INDEX_PID ARIEL_PIP_INDEX_URL ARIEL_PIP_EXTRA_INDEX_URL _ARIEL_PIP_INDEX_TMP
}
