#!/usr/bin/env bash
# Installs exactly what scripts/realeval/make_corpus.py needs on Debian 12 (bookworm, main only),
# as root or through sudo. Idempotent: returns at once when everything is present.
#
#   speech engines   espeak-ng (GPL-3+), flite (BSD-like), festival + festvox-kallpc16k (free)
#   recorded voice   codec2-examples (LGPL-2.1: speech_orig_16k.wav, david4.wav, all.wav, hts*.raw, ...)
#   music            extremetuxracer-data (music/*.ogg, GPL-2+), frozen-bubble-data (snd/*zik*.ogg, GPL-2)
#   film and stills  opencv-doc (examples/data: Megamind.avi with its AC-3 soundtrack, vtest.avi,
#                    tree.avi, photos; html/box.mp4.gz, cup.mp4.gz; BSD/Apache-2.0 sample data)
#   hold-out group   festvox-us-slt-hts (festival's HMM/HTS voice cmu_us_slt_arctic_hts; CMU
#                    EST-2003, NITech BSD-3-clause), wesnoth-1.16-music (orchestral music,
#                    data/core/music/*.ogg, GPL-2+), lincity-ng-data (music/default/*.ogg, GPL-2+)
#   tools            ffmpeg (CLI), python3 (3.11 stdlib only)
# Download size about 175 MB, and 200 MB more for the hold-out group.
set -euo pipefail

PKGS=(ffmpeg python3 espeak-ng flite festival festvox-kallpc16k codec2-examples
      extremetuxracer-data frozen-bubble-data opencv-doc
      festvox-us-slt-hts wesnoth-1.16-music lincity-ng-data)

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "realeval/install.sh: all ${#PKGS[@]} packages present"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "realeval/install.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
