#!/bin/sh
# Checks the alert rules and runs their unit tests (`make alerts`, .ci/run):
#   promtool check config prometheus.yml   (and the rules it loads)
#   promtool check rules alerts.yml
#   promtool test rules alerts_test.yml
# and that every alert's runbook names a section of docs/operations.md.
#
# promtool: $PROMTOOL, else the one on PATH, else Debian's `prometheus`
# package, downloaded (not installed: nothing is started) and unpacked once
# into $YIBAO_PROMTOOL_DIR (default ~/.cache/yibao/promtool).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

find_promtool() {
  if [ -n "${PROMTOOL:-}" ]; then echo "$PROMTOOL"; return; fi
  if command -v promtool >/dev/null 2>&1; then command -v promtool; return; fi
  dir=${YIBAO_PROMTOOL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/yibao/promtool}
  if [ ! -x "$dir/usr/bin/promtool" ]; then
    echo "--- promtool: unpacking Debian's prometheus package into $dir" >&2
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    if ! (cd "$work" && apt-get download prometheus >/dev/null 2>&1); then
      apt-get update -qq >&2  # a fresh machine: no package lists yet
      (cd "$work" && apt-get download prometheus >/dev/null)
    fi
    dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
    mkdir -p "$dir/usr/bin"
    cp "$work/x/usr/bin/promtool" "$dir/usr/bin/promtool.part"
    mv "$dir/usr/bin/promtool.part" "$dir/usr/bin/promtool"  # whole or absent
  fi
  echo "$dir/usr/bin/promtool"
}

promtool=$(find_promtool)
"$promtool" --version 2>&1 | head -1
cd "$here"
"$promtool" check config prometheus.yml
"$promtool" check rules alerts.yml
"$promtool" test rules alerts_test.yml

# Every runbook is docs/operations.md#<anchor> of a heading there (GitHub's
# anchors: the heading's text lowercased, spaces as hyphens).
anchors=$(sed -n 's/^#\{1,6\} \(.*\)$/\1/p' "$root/docs/operations.md" | tr 'A-Z ' 'a-z-' | tr -cd 'a-z0-9_\n-')
missing=0
alerts=$(grep -c '^ *- alert: ' alerts.yml)
runbooks=$(grep -c '^ *runbook: docs/operations.md#' alerts.yml)
if [ "$alerts" != "$runbooks" ]; then
  echo "alerts.yml: $alerts alerts but $runbooks runbooks in docs/operations.md" >&2
  missing=1
fi
for anchor in $(sed -n 's/^ *runbook: docs\/operations.md#\(.*\)$/\1/p' alerts.yml); do
  if ! printf '%s\n' "$anchors" | grep -qx "$anchor"; then
    echo "alerts.yml: runbook docs/operations.md#$anchor has no heading there" >&2
    missing=1
  fi
done
[ "$missing" = 0 ] || exit 1
echo "alerts: rules, tests and runbooks OK"
