#!/usr/bin/env bash
# Sourceable: defines ensure_local_base_image.
#
# No container registry is reachable on the offline CI/dev machines, so the
# public python images cannot be pulled. We build a stand-in base image from
# Debian's own packages (debootstrap + docker import). It has `python3` but no
# `python`, and its system Python is PEP 668 "externally managed"; generated
# Dockerfiles cope with both (they use a venv).
#
# Does not change the caller's shell options; safe under `set -euo pipefail`.

ARIEL_LOCAL_BASE_IMAGE_NAME="ariel-local/python:3.11-bookworm"

# Print "URI SUITE" for every enabled `deb` source apt is configured with, in
# the order apt reads them (one-line sources.list and deb822 *.sources).
_ariel_apt_deb_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    # deb [opt=val ...] URI SUITE COMPONENTS...
    awk '$1 == "deb" {
           i = 2
           if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
           if (i + 1 <= NF) print $i, $(i + 1)
         }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk 'function flush() {
           if (types ~ /(^| )deb( |$)/ && enabled !~ /^[Nn][Oo]/)
             for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++) print uris[u], suites[s]
           types = ""; enabled = ""; nu = 0; ns = 0
         }
         /^[ \t]*$/ { flush(); next }
         /^#/ { next }
         {
           key = tolower($1); sub(/:$/, "", key)
           val = $0; sub(/^[^:]*:[ \t]*/, "", val)
           if (key == "types") types = val
           else if (key == "enabled") enabled = val
           else if (key == "uris") nu = split(val, uris, /[ \t]+/)
           else if (key == "suites") ns = split(val, suites, /[ \t]+/)
         }
         END { flush() }' "$f"
  done
}

# The Debian mirror apt uses on this machine for bookworm (or, failing that,
# any non-security http/https/file mirror); empty means "debootstrap's default".
_ariel_debian_mirror() {
  local sources uri
  sources="$(_ariel_apt_deb_sources 2>/dev/null | grep -E '^(https?|file|ftp)://' || true)"
  uri="$(printf '%s\n' "$sources" | awk '$2 == "bookworm" { print $1; exit }')"
  if [ -z "$uri" ]; then
    uri="$(printf '%s\n' "$sources" | awk '$1 !~ /security/ && $2 !~ /-(security|updates|backports)$/ { print $1; exit }')"
  fi
  printf '%s' "$uri"
}

# Unmount anything debootstrap may have left mounted under $1 (it mounts
# /proc and /sys in the target and can leave them on failure), then delete $1.
_ariel_remove_rootfs() {
  local dir="$1" m
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  # Deepest mount points first.
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
  rm -rf --one-file-system "$dir"
}

ensure_local_base_image() {
  local image="$ARIEL_LOCAL_BASE_IMAGE_NAME"
  if docker image inspect "$image" >/dev/null 2>&1; then
    return 0
  fi

  if [ "$(id -u)" -ne 0 ]; then
    echo "error: image $image is missing and building it (debootstrap) needs root; run this as root or provide python:3.11-slim" >&2
    return 1
  fi

  if ! command -v debootstrap >/dev/null 2>&1; then
    if ! command -v apt-get >/dev/null 2>&1; then
      echo "error: debootstrap is missing and this is not Debian; install debootstrap, then retry" >&2
      return 1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
      || ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; then
      echo "error: 'apt-get install debootstrap' failed; check apt's sources and network, then retry" >&2
      return 1
    fi
    hash -r
  fi

  # Serialise concurrent callers (parallel CI jobs) so the image is built once.
  local lock="${TMPDIR:-/tmp}/ariel-local-base-image.lock" lockfd
  exec {lockfd}>"$lock"
  flock "$lockfd" 2>/dev/null || true
  if docker image inspect "$image" >/dev/null 2>&1; then
    exec {lockfd}>&-
    return 0
  fi

  local mirror rootfs log rc=0
  mirror="$(_ariel_debian_mirror)"
  rootfs="$(mktemp -d "${TMPDIR:-/tmp}/ariel-rootfs.XXXXXX")" || { exec {lockfd}>&-; return 1; }
  log="${TMPDIR:-/tmp}/ariel-debootstrap.log"

  # About 40 s with a nearby mirror. ${mirror:+...} lets debootstrap use its
  # default mirror when apt's configuration did not name one.
  if ! debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$rootfs" ${mirror:+"$mirror"} >"$log" 2>&1; then
    echo "error: debootstrap of Debian bookworm failed (mirror: ${mirror:-debootstrap default}); see $log" >&2
    rc=1
  fi

  if [ "$rc" -eq 0 ]; then
    rm -f "$log"
    # Downloaded .debs are not needed in the image.
    rm -f "$rootfs"/var/cache/apt/archives/*.deb
    # A plain import has no config; give it what the official python images
    # have (PATH, UTF-8 locale, python3 as default command).
    if ! tar -C "$rootfs" -c . | docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'CMD ["python3"]' \
      - "$image" >/dev/null; then
      echo "error: 'docker import' of the bootstrapped rootfs failed; check 'docker info' and free disk space, then retry" >&2
      rc=1
    fi
  fi
  _ariel_remove_rootfs "$rootfs"

  if [ "$rc" -eq 0 ] && ! docker run --rm "$image" python3 -m venv /tmp/v >/dev/null 2>&1; then
    echo "error: image $image was built but 'python3 -m venv' fails in it; remove it (docker rmi $image) and retry" >&2
    rc=1
  fi
  exec {lockfd}>&-
  return "$rc"
}
