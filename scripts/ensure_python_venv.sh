#!/usr/bin/env bash
# Debian's python3 ships without venv/ensurepip: install it when we are root and it is missing.
set -euo pipefail
PYTHON=${1:-python3}
if "$PYTHON" -c "import ensurepip, venv" 2>/dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "python3 cannot create virtualenvs: install the python3-venv package (as root: apt-get install python3-venv)." >&2
  exit 1
fi
version=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${version}-venv" || \
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
