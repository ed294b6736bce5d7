#!/bin/sh
# Builds stand-in base images on a machine that can reach a Debian mirror but
# no container registry (an air-gapped provincial network, or CI here).
#   deploy/standin/build.sh postgres   -> $STANDIN_POSTGRES_IMAGE (default yibao-standin/postgres:15)
#   deploy/standin/build.sh python     -> $STANDIN_PYTHON_IMAGE (default yibao-standin/python:3.11)
# Does nothing when the image already exists.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}

build_postgres() {
  image=${STANDIN_POSTGRES_IMAGE:-yibao-standin/postgres:15}
  if docker image inspect "$image" >/dev/null 2>&1; then echo "$image present"; return; fi
  root=$(mktemp -d)
  debootstrap --variant=minbase --include=postgresql-15 bookworm "$root" "$mirror" >/dev/null
  # The cluster Debian's package creates is replaced by the entrypoint's own.
  rm -rf "$root/var/lib/postgresql/15" "$root/var/cache/apt/archives"/*.deb
  install -m 0755 "$here/postgres-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
  tar -C "$root" -c . | docker import \
    -c 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV PGDATA=/var/lib/postgresql/data' \
    -c 'EXPOSE 5432' - "$image" >/dev/null
  rm -rf "$root"
  echo "$image built"
}

build_python() {
  image=${STANDIN_PYTHON_IMAGE:-yibao-standin/python:3.11}
  if docker image inspect "$image" >/dev/null 2>&1; then echo "$image present"; return; fi
  root=$(mktemp -d)
  # Debian bookworm's Python is 3.11, like the python:3.11 images.
  debootstrap --variant=minbase --include=python3,python3-venv bookworm "$root" "$mirror" >/dev/null
  ln -sf /usr/bin/python3 "$root/usr/local/bin/python"
  rm -rf "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/*
  tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["python3"]' - "$image" >/dev/null
  rm -rf "$root"
  echo "$image built"
}

for what in "$@"; do "build_$what"; done
