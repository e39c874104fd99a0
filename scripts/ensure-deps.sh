#!/usr/bin/env bash
# Installs what the project needs from Debian if it is missing (idempotent; sourced by test.sh and demo.sh).
#   libmujoco-dev: native MuJoCo 2.2.2 (libmujoco.so.2.2.2 and headers for the layout test)
#   socat:         pseudo-terminal pairs for serial tests
#   gcc:           compiles the MuJoCo struct-layout probe
#   python3-pandas: reads the controller's CSV log export back in a test, as a user's notebook would
#   chromium:      headless, opens the controller's dashboard page in a test, as a user's browser would
set -euo pipefail

need=()
dpkg -s libmujoco-dev >/dev/null 2>&1 || need+=(libmujoco-dev)
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v cc >/dev/null 2>&1 || need+=(gcc)
/usr/bin/python3 -c "import pandas" >/dev/null 2>&1 || need+=(python3-pandas) # Debian's python3, the one its pandas serves
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install ${need[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET 10 SDK is required (https://learn.microsoft.com/dotnet/core/install/linux-debian)" >&2
  exit 1
fi
