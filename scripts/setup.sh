#!/usr/bin/env bash
# The one set-up step: checks (and, as root with apt-get, installs) what a README command needs.
#
#   scripts/setup.sh build   Java >= 17 and Maven (what ./rampart needs to build the CLI)
#   scripts/setup.sh demo    build + Fashion-MNIST (./rampart demo)
#   scripts/setup.sh test    build + Fashion-MNIST + git (./scripts/test.sh and .ci/run)
#
# Each requirement is a Debian package and a path or command that shows it is present. When something is
# missing and this runs as root with apt-get available, it installs it, one line per package on stderr;
# otherwise it prints the exact command to run and exits 2. Nothing is printed on stdout.
#
# This file is the only list of packages: ./rampart, scripts/test.sh and .ci/run all call it.
# For tests: RAMPART_FASHION_MNIST_DIR overrides where Fashion-MNIST is looked for; RAMPART_SETUP_INSTALL=never
# forbids installing (as if not root), =always installs even when not root (with a stand-in apt-get on PATH).
set -euo pipefail

what="${1:-}"
case "$what" in
  build|demo|test) ;;
  *) echo "setup.sh: say what to set up: build, demo or test (got '${what}')" >&2; exit 2 ;;
esac

fashion_dir="${RAMPART_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"

java_major() { # the major version of `java` on PATH, or 0
  command -v java >/dev/null 2>&1 || { echo 0; return; }
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -1)"
  v="${v#1.}" # 1.8 -> 8
  v="${v%%[.+-]*}"
  [[ "$v" =~ ^[0-9]+$ ]] && echo "$v" || echo 0
}

# has PACKAGE: is the requirement behind PACKAGE met?
has() {
  case "$1" in
    openjdk-17-jdk-headless) [ "$(java_major)" -ge 17 ] && command -v javac >/dev/null 2>&1 ;;
    maven) command -v mvn >/dev/null 2>&1 ;;
    git) command -v git >/dev/null 2>&1 ;;
    dataset-fashion-mnist)
      local f
      for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        [ -f "$fashion_dir/$f.gz" ] || [ -f "$fashion_dir/$f" ] || return 1
      done ;;
    *) return 1 ;;
  esac
}

# why PACKAGE: what is needed it for, in the words of the one-line message
why() {
  case "$1" in
    openjdk-17-jdk-headless) echo "Java 17 or newer (found: $(java_major | sed 's/^0$/none/'))" ;;
    maven) echo "Maven, to build the CLI" ;;
    git) echo "git, for the reproducible-build check" ;;
    dataset-fashion-mnist) echo "Fashion-MNIST in $fashion_dir" ;;
  esac
}

packages=(openjdk-17-jdk-headless maven)
case "$what" in
  demo) packages+=(dataset-fashion-mnist) ;;
  test) packages+=(dataset-fashion-mnist git) ;;
esac

missing=()
for p in "${packages[@]}"; do
  has "$p" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

can_install=0
case "${RAMPART_SETUP_INSTALL:-auto}" in
  never) ;;
  always) can_install=1 ;; # tests, with a stand-in apt-get on PATH
  *) if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then can_install=1; fi ;;
esac

if [ "$can_install" -eq 0 ]; then
  for p in "${missing[@]}"; do
    echo "setup: missing $(why "$p")" >&2
  done
  echo "setup: install it with: sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
updated=0
for p in "${missing[@]}"; do
  echo "setup: installing $p ($(why "$p") is missing) ..." >&2
  if ! apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1; then
    if [ "$updated" -eq 0 ]; then
      apt-get update -qq >/dev/null 2>&1 || true
      updated=1
    fi
    if ! apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1; then
      echo "setup: apt-get install -y $p failed; run it yourself to see why" >&2
      exit 2
    fi
  fi
  hash -r
  if ! has "$p"; then
    echo "setup: installed $p, but $(why "$p" | sed 's/ (found.*//') is still not there; install it yourself: apt-get install -y $p" >&2
    exit 2
  fi
done
exit 0
