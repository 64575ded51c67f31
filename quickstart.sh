#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Supersign's two-command quick start on Debian 12:
#   ./quickstart.sh run    install what is missing, build, and run the main job
#   ./quickstart.sh test   install what is missing, build with -Werror, run the whole test suite
#                          (also under AddressSanitizer and UndefinedBehaviorSanitizer)
# Only Debian's archive is used; nothing is downloaded at run time.
set -eu

cd "$(dirname "$0")"

PACKAGES="meson ninja-build gcc pkg-config libglib2.0-dev libjson-glib-dev zlib1g-dev libpng-dev
  libopenblas-dev dataset-fashion-mnist"
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

case "${1:-}" in
  run)
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
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
