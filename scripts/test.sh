#!/usr/bin/env bash
# The test command (README, .ci/run): every module's tests, the launcher's contract, and a proof that the
# build is reproducible. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mvn -B -Dstyle.color=never verify
./scripts/test-launcher.sh
./scripts/check-reproducible.sh
