#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `ninja -C BUILD screenshots`: runs the ui-screenshots test under Xvfb (in the ui tests'
# environment, which meson's run_target sets; with SS_SCREENSHOTS_FOR_DOCS, its longer training
# runs) and copies the PNGs it saved into docs/images.
# Usage: update-screenshots.sh XVFB_RUN TEST_EXE SHOT_DIR DOCS_IMAGES_DIR
set -eu
xvfb_run=$1 exe=$2 shots=$3 docs=$4
rm -rf "$shots"
SS_SCREENSHOTS_FOR_DOCS=1 "$xvfb_run" -a -s "-screen 0 1400x900x24" "$exe" --tap
for png in "$shots"/*.png; do
  cp "$png" "$docs/"
  echo "screenshots: $docs/$(basename "$png") ($(du -k "$png" | cut -f1) KiB)"
done
