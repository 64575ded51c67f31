#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Checks that po/POTFILES.in lists exactly the source files with translatable strings (C files
# calling _(), N_(), C_() or ngettext (), .ui files with translatable="yes", the desktop and
# metainfo templates and the GSettings schema), sorted, as a one-test TAP stream. Run from the
# source root: po/check-potfiles.sh SOURCE_ROOT.
cd "$1" || exit 1
echo "1..1"
found=$(
  {
    grep -lE '(^|[^A-Za-z0-9_])(N?C?_|ngettext) ?\(' app/*.c ui/*.c ui/figure/*.c
    grep -l 'translatable="yes"' ui/*.ui resources/gtk/*.ui
    ls data/*.desktop.in.in data/*.metainfo.xml.in.in data/*.gschema.xml
  } | LC_ALL=C sort -u)
listed=$(grep -v '^#' po/POTFILES.in | grep -v '^$')
sorted=$(printf '%s\n' "$listed" | LC_ALL=C sort)
if [ "$listed" != "$sorted" ]; then
  echo "not ok 1 - po/POTFILES.in is not sorted"
  exit 1
fi
missing=$(printf '%s\n' "$found" | grep -vxF "$listed")
stale=$(printf '%s\n' "$listed" | grep -vxF "$found")
if [ -n "$missing$stale" ]; then
  echo "not ok 1 - po/POTFILES.in does not match the translatable files"
  [ -n "$missing" ] && printf '%s\n' "$missing" | sed 's/^/# missing: /'
  [ -n "$stale" ] && printf '%s\n' "$stale" | sed 's/^/# without translatable strings: /'
  exit 1
fi
echo "ok 1 - po/POTFILES.in lists the $(printf '%s\n' "$found" | wc -l) files with translatable strings"
