#!/usr/bin/env bash
# Sourceable: defines ensure_docker_engine.
#
# Makes sure a Docker engine answers `docker info`. On the CI/dev machines of
# this project (Debian 12, root, no systemd) the `docker` on PATH is only a
# client, so we install Debian's docker.io when needed and start dockerd
# ourselves, detached, so it outlives the calling script.
#
# This file does not change the caller's shell options (a sourced
# `set -euo pipefail` would leak into an interactive shell); the functions
# check every step themselves and are safe under `set -euo pipefail`.

ensure_docker_engine() {
  # Already running (or provided by the host / Docker Desktop): nothing to do.
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    return 0
  fi

  if [ "$(id -u)" -ne 0 ]; then
    echo "error: no Docker engine answers 'docker info'; a running Docker engine is a prerequisite (start it, or make sure your user may use /var/run/docker.sock)" >&2
    return 1
  fi

  # Install Debian's engine (it brings dockerd, containerd, runc, docker-init
  # and a client) when either half is missing.
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    if [ ! -r /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
      echo "error: no Docker engine and this is not Debian; install and start Docker Engine, then retry" >&2
      return 1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
      || ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null; then
      echo "error: 'apt-get install docker.io' failed; check apt's sources and network, then retry" >&2
      return 1
    fi
    hash -r
  fi

  local log="${TMPDIR:-/tmp}/ariel-dockerd.log"
  local pidfile=/var/run/docker.pid
  # Start dockerd unless one is already starting (a live pid in its pid file);
  # a second dockerd would fail on the pid file / socket anyway.
  if ! { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; }; then
    # No systemd here: setsid+nohup detach it from our session so it survives
    # the script and terminal hang-ups; output goes to a log for diagnosis.
    setsid nohup dockerd >"$log" 2>&1 </dev/null &
  fi

  # Usually answers within a few seconds.
  local i
  for ((i = 0; i < 60; i++)); do
    if docker info >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done

  echo "error: dockerd did not answer 'docker info' within 60 s; last lines of $log:" >&2
  tail -n 20 "$log" >&2 2>/dev/null || true
  echo "error: fix the cause above (or start Docker yourself), then retry" >&2
  return 1
}
