#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Supersign's two-command quick start on Debian 12:
#   ./quickstart.sh run    install what is missing, build, and start the app on the shipped model
#   ./quickstart.sh cli    install what is missing, build, and run the command-line demo
#   ./quickstart.sh test   install what is missing, build with -Werror, run the whole test suite
#                          (also under AddressSanitizer and UndefinedBehaviorSanitizer), then
#                          fuzz the file readers with libFuzzer for a minute each
# Only Debian's archive is used; nothing is downloaded at run time.
set -eu

cd "$(dirname "$0")"

PACKAGES="meson ninja-build gcc pkg-config libglib2.0-dev libjson-glib-dev zlib1g-dev libpng-dev
  libcairo2-dev libpango1.0-dev libopenblas-dev libsqlite3-dev dataset-fashion-mnist
  libgtk-4-dev libadwaita-1-dev librsvg2-common shared-mime-info libglib2.0-bin gettext
  desktop-file-utils appstream xvfb xauth clang libclang-rt-14-dev libomp-dev"
# PyTorch is used by the benchmark comparison only; the committed fixtures need no PyTorch.
BENCH_PACKAGES="python3-torch python3-numpy"

install_missing () {
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  echo "quickstart: installing$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
}

configure () {
  dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
  ninja -C "$dir"
}

# The readers of untrusted files under libFuzzer (tests/fuzz, clang), each for FUZZ_SECONDS
# (default 60) on a copy of its seed corpus tests/fuzz/corpus-NAME. A crash, a sanitizer report,
# a leak, a timeout or running out of memory fails the step; the input is left in
# build-fuzz/fuzz-run/NAME.
fuzz () {
  # --reconfigure: tests/fuzz/meson.build lists the targets whose sources exist.
  [ -f build-fuzz/build.ninja ] && reconfigure=--reconfigure || reconfigure=
  CC=clang meson setup $reconfigure build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized
  for source in tests/fuzz/fuzz-*.c; do
    target=$(basename "$source" .c)
    name=${target#fuzz-}
    work=build-fuzz/fuzz-run/$name
    ninja -C build-fuzz "tests/fuzz/$target"
    rm -rf "$work"
    mkdir -p "$work/corpus"
    [ -d "tests/fuzz/corpus-$name" ] && cp "tests/fuzz/corpus-$name"/* "$work/corpus/"
    echo "quickstart: $target for ${FUZZ_SECONDS:-60} s"
    if ! (cd "$work" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
          "../../tests/fuzz/$target" -max_total_time="${FUZZ_SECONDS:-60}" \
          -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 corpus); then
      echo "quickstart: $target failed; the input is in $work" >&2
      exit 1
    fi
  done
}

case "${1:-}" in
  run)
    install_missing $PACKAGES
    configure build
    # The GTK app on the shipped model, from the build tree (its GSettings schema is compiled in
    # build/data). Without a display it runs under Xvfb and saves a screenshot instead.
    if [ -n "${WAYLAND_DISPLAY:-}${DISPLAY:-}" ]; then
      GSETTINGS_SCHEMA_DIR=build/data build/app/supersign
    else
      echo "quickstart: no display; running the app under Xvfb -> build/quickstart-app.png"
      GSETTINGS_SCHEMA_DIR=build/data GSETTINGS_BACKEND=memory xvfb-run -a \
        -s "-screen 0 1400x900x24" build/app/supersign --page=layers --layer=conv2 \
        --screenshot=build/quickstart-app.png
    fi
    ;;
  cli)
    install_missing $PACKAGES
    configure build
    echo
    build/app/supersign-cli info -m data/fmnist-vgg.safetensors
    echo
    echo "quickstart: the shipped model on the Fashion-MNIST test set"
    build/app/supersign-cli eval -m data/fmnist-vgg.safetensors
    echo
    echo "quickstart: a short training run (1 epoch on 10000 images; Ctrl-C stops cleanly)"
    build/app/supersign-cli train -m fmnist-vgg --subset 10000 --epochs 1 \
      --out build/quickstart-fmnist-vgg.safetensors
    ;;
  test)
    install_missing $PACKAGES
    configure build -Dwerror=true
    meson test -C build --print-errorlogs
    configure build-sanitize -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
      -Dbuildtype=debugoptimized
    meson test -C build-sanitize --print-errorlogs --timeout-multiplier 4
    fuzz
    ;;
  *)
    echo "usage: $0 run|cli|test" >&2
    exit 2
    ;;
esac
