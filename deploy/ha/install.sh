#!/usr/bin/env bash
# What the local Patroni cluster (bench/patroni.py) needs, installed if missing.
# Idempotent: safe to run on every CI run and by bench/patroni.py itself.
#
#   - etcd 3.4 from Debian (etcd-server), PostgreSQL 15 binaries (postgresql-15);
#   - an unprivileged system user, yibao-ha: Patroni refuses to run as root;
#   - a venv on Debian's /usr/bin/python3 at /opt/yibao-ha/venv with Patroni,
#     every version pinned.
#
# Overrides: YIBAO_HA_USER, YIBAO_HA_VENV.
set -euo pipefail

HA_USER=${YIBAO_HA_USER:-yibao-ha}
VENV=${YIBAO_HA_VENV:-/opt/yibao-ha/venv}
PG_BIN=/usr/lib/postgresql/15/bin

# Patroni 4.0.7 and what it resolved to, pinned.
REQUIREMENTS="
patroni[psycopg3,etcd3]==4.0.7
certifi==2026.10.19.post1
charset-normalizer==3.5.3
click==8.5.1
dnspython==2.9.2
idna==3.20
prettytable==3.19.0
psutil==7.2.2
psycopg==3.3.9
psycopg-binary==3.3.9
py-consul==1.8.0
python-dateutil==4.0.0
python-etcd==0.4.5
PyYAML==6.0.4
requests==2.34.2
typing_extensions==4.16.0
tzdata==2026.6
urllib3==2.8.0
wcwidth==0.9.4
ydiff==1.4.2
"

if [ "$(id -u)" -ne 0 ]; then
  echo "deploy/ha/install.sh: run as root (it installs packages and creates a user)" >&2
  exit 1
fi

packages=()
command -v etcd >/dev/null || packages+=(etcd-server)
[ -x "$PG_BIN/postgres" ] || packages+=(postgresql-15)
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
if [ ${#packages[@]} -gt 0 ]; then
  echo "--- apt-get install ${packages[*]}"
  apt-get update -qq
  # No systemd here: the package's attempt to start etcd is refused or fails, which is fine.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi
# If a package did start a system etcd after all, it is not ours: our cluster uses
# free ports of its own, so it does not matter, but say so.
if pgrep -x etcd >/dev/null && ! pgrep -u "$HA_USER" -x etcd >/dev/null 2>&1; then
  echo "note: an etcd not started by bench/patroni.py is running (the cluster uses its own ports)"
fi

if ! id "$HA_USER" >/dev/null 2>&1; then
  echo "--- useradd $HA_USER"
  useradd --system --user-group --home-dir /opt/yibao-ha --shell /usr/sbin/nologin "$HA_USER"
fi

stamp="$VENV/.requirements"
wanted=$(printf '%s' "$REQUIREMENTS")  # $(...) drops the trailing newline, as the check below does
if [ ! -x "$VENV/bin/patroni" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "--- Patroni venv at $VENV"
  mkdir -p "$(dirname "$VENV")"
  /usr/bin/python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $REQUIREMENTS
  printf '%s\n' "$wanted" >"$stamp"
fi
"$VENV/bin/patroni" --version
