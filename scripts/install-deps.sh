#!/usr/bin/env bash
# Installs the system packages avqc needs to build with its default `ffmpeg` feature,
# to make its test fixtures and to run the evaluation: FFmpeg 5.x dev libraries,
# the ffmpeg/ffprobe CLI, clang (bindgen for ffmpeg-sys-next) and pkg-config; and the real
# programs some tests start: prometheus (tests/prometheus.rs scrapes the metrics example)
# chromium (tests/html_report.rs opens the HTML report in it, headless) and nats-server
# (tests/fleet_nats.rs runs service instances on JetStream); and from PyPI
# threefive, the independent SCTE-35 parser tests/scte35.rs checks the cues against.
# Debian/Ubuntu only; runs apt-get as root (or through sudo). Does nothing when all is there.
set -euo pipefail

pkgs=(pkg-config clang libclang-dev ffmpeg
      libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
      libavfilter-dev libavdevice-dev python3 python3-pip prometheus chromium nats-server)

# threefive (PyPI): the independent SCTE-35 parser tests/scte35.rs checks avqc's cues against.
pip_deps() {
  python3 -c "import threefive" 2>/dev/null && return 0
  python3 -m pip install --quiet threefive 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages threefive
}

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  pip_deps
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
pip_deps
