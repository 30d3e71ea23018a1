#!/usr/bin/env bash
# The test command (README, .ci/run): every module's tests, the launcher's contract, and a proof that the
# build is reproducible. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Java, Maven, git and Fashion-MNIST (the trainer's tests read the real data): checked, and as root installed
./scripts/setup.sh test
# fail fast, naming the package, if the set-up step could not install it
if [ ! -s /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && [ ! -s /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte ]; then
  echo "test.sh: dataset-fashion-mnist is not installed after scripts/setup.sh; install it with: apt-get install -y dataset-fashion-mnist" >&2
  exit 2
fi
if [ ! -d ../shared/testvectors/attestation ]; then
  echo "test.sh: the attestation tests need ../shared/testvectors beside the project root" >&2
  exit 2
fi

mvn -B -Dstyle.color=never verify
./scripts/test-launcher.sh
./scripts/check-reproducible.sh
