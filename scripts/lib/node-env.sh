#!/usr/bin/env bash
# Sourceable: defines ensure_node_env, which installs the npm dependencies when
# they are missing or older than the lock file, and compiles the TypeScript.

ensure_node_env() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error || return 1
  fi
  npm run --silent build || return 1
}
