#!/usr/bin/env bash
# Set up everything audio-pipeline needs, idempotently: Debian packages and a virtualenv.
# Usage: bash scripts/setup.sh            (run from anywhere; installs into <repo>/.venv)
# Env:   VENV=path   PYTHON=python3   SKIP_APT=1 (when ffmpeg is already there)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-$repo/.venv}"
python="${PYTHON:-python3}"

need_apt=()
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)   # test fixtures only
command -v sox >/dev/null 2>&1 || need_apt+=(sox)               # test fixtures only
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)     # browser tests (Playwright drives it)
if [ "${#need_apt[@]}" -gt 0 ] && [ -z "${SKIP_APT:-}" ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing ${need_apt[*]} (apt)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating $venv" >&2
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
# torch first and pinned: an unpinned torch (pulled in by openai-whisper) is a multi-GB CUDA build.
if ! "$venv/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
  echo "setup: installing torch==2.13.0" >&2
  "${pip[@]}" install "torch==2.13.0"
fi
echo "setup: installing audio-pipeline[all]" >&2
"${pip[@]}" install -e "$repo[all]"
echo "setup: done ($venv)" >&2
