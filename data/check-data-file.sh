#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs one validator over a data file as a one-test TAP stream: "ok" when it passes, "not ok"
# with its output when it fails, and a skip with a message when the tool is not installed
# (./quickstart.sh installs desktop-file-utils, appstream and libglib2.0-bin).
tool=$1
echo "1..1"
if ! command -v "$tool" >/dev/null 2>&1; then
  echo "ok 1 # SKIP $tool is not installed"
  exit 0
fi
if out=$("$@" 2>&1); then
  echo "ok 1 - $*"
  [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
  exit 0
fi
echo "not ok 1 - $*"
printf '%s\n' "$out" | sed 's/^/# /'
exit 1
