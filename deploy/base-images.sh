# Sourced by make and .ci/run: sets PYTHON_IMAGE and POSTGRES_IMAGE to the
# public images (python:3.11-slim-bookworm, postgres:15) when they are here
# or can be pulled, else builds stand-ins from Debian packages
# (deploy/standin/build.sh), as on a machine that reaches no registry.
# A value already set by the caller is kept.

_yibao_base_image() {  # $1 public image, $2 stand-in kind
  if docker image inspect "$1" >/dev/null 2>&1 || timeout 30 docker pull -q "$1" >/dev/null 2>&1; then
    echo "$1"
  else
    "$(dirname "${YIBAO_BASE_IMAGES_SCRIPT:-deploy/base-images.sh}")/standin/build.sh" "$2" >&2
    case "$2" in
      python) echo "${STANDIN_PYTHON_IMAGE:-yibao-standin/python:3.11}" ;;
      postgres) echo "${STANDIN_POSTGRES_IMAGE:-yibao-standin/postgres:15}" ;;
    esac
  fi
}

PYTHON_IMAGE=${PYTHON_IMAGE:-$(_yibao_base_image python:3.11-slim-bookworm python)}
POSTGRES_IMAGE=${POSTGRES_IMAGE:-$(_yibao_base_image postgres:15 postgres)}
export PYTHON_IMAGE POSTGRES_IMAGE
