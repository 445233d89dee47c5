#!/bin/sh
# Builds a liveness evaluation folder (live/ + spoof/, symlinks only) from ../shared/media and ../shared/spoof,
# for `facegate eval-liveness --dir DIR`. Usage: tools/liveness-eval-dir.sh [DIR] (default /tmp/liveness-eval).
# Clip labels follow ../shared/media/SOURCES.md; the minivision GIF (live woman, then her replay and a print) is an
# attack. Stills are attacks whichever folder they sit in: the evaluator presents every still as a photo.
set -eu
SHARED=$(cd "$(dirname "$0")/../../shared" && pwd)
DIR=${1:-/tmp/liveness-eval}
rm -rf "$DIR"
mkdir -p "$DIR/live" "$DIR/spoof"
for label in live spoof; do
  for src in "$SHARED/media/$label" "$SHARED/spoof/$label"; do
    for f in "$src"/*; do ln -s "$f" "$DIR/$label/$(basename "$f")"; done
  done
done
for f in "$SHARED"/media/video/*; do
  case $(basename "$f") in
    *_spoof_* | minivision_demo_live_replay_print.gif) ln -s "$f" "$DIR/spoof/" ;;
    *) ln -s "$f" "$DIR/live/" ;;
  esac
done
echo "$DIR: $(ls "$DIR/live" | wc -l) live, $(ls "$DIR/spoof" | wc -l) spoof"
