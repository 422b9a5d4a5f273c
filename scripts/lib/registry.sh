#!/usr/bin/env bash
# Sourceable: defines ensure_docker_registry, which installs Debian's docker-registry
# (the CNCF distribution registry) when it is missing. The cloud tests start their own
# registry with it on a free loopback port (the engine pushes to 127.0.0.1 without TLS),
# unless ARIEL_TEST_REGISTRY names one (HOST:PORT) already running.

ensure_docker_registry() {
  command -v docker-registry >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: the cloud tests need a registry; install Debian's docker-registry (apt-get install docker-registry)" >&2
    return 1
  fi
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry; } >/dev/null 2>&1 || {
    echo "error: 'apt-get install docker-registry' failed; install it by hand, then retry" >&2
    return 1
  }
  # The package starts a registry on :5000 where an init system runs; the tests use their own.
  if [ -x /etc/init.d/docker-registry ]; then
    /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
  fi
}
