#!/usr/bin/env bash
# Tests of the ./rampart launcher and the command contract that scripts outside the tests depend on:
# output formats on stdout, one-line errors on stderr, exit codes 0 / 1 / 2.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

passed=0
failed=0
out=""
err=""
rc=0

run() { # run ARGS... [< stdin]: captures stdout, stderr and the exit code
  local o e
  o="$(mktemp)"; e="$(mktemp)"
  ./rampart "$@" >"$o" 2>"$e"
  rc=$?
  out="$(cat "$o")"; err="$(cat "$e")"
  rm -f "$o" "$e"
}

check() { # check NAME CONDITION-COMMAND...
  local name="$1"; shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name (exit $rc)"
    echo "  stdout: $out"
    echo "  stderr: $err"
  fi
}

matches() { [[ "$1" =~ $2 ]]; }
lines() { [ "$(printf '%s\n' "$1" | wc -l)" -eq "$2" ]; }

# the launcher builds when the jar is missing (CI starts from a clean clone) or stale
if [ ! -f cli/target/rampart.jar ] || [ -n "${FORCE_REBUILD_TEST:-}" ]; then
  rm -f cli/target/rampart.jar
fi
run --help
check "--help exits 0" test "$rc" -eq 0
check "--help lists privacy" matches "$out" "privacy"
check "--help lists bench" matches "$out" "bench"
check "jar exists after first run" test -f cli/target/rampart.jar

# the set-up step both README commands run (scripts/setup.sh), with Fashion-MNIST "missing": a fake directory
setup_run() { # setup_run ARGS...: like run, for scripts/setup.sh
  local o e
  o="$(mktemp)"; e="$(mktemp)"
  ./scripts/setup.sh "$@" >"$o" 2>"$e"
  rc=$?
  out="$(cat "$o")"; err="$(cat "$e")"
  rm -f "$o" "$e"
}
fake="$(mktemp -d)"
export RAMPART_FASHION_MNIST_DIR="$fake/fashion-mnist"
RAMPART_SETUP_INSTALL=never setup_run demo
check "setup without Fashion-MNIST exits 2" test "$rc" -eq 2
check "setup names what is missing and where" matches "$err" "setup: missing Fashion-MNIST in $fake/fashion-mnist"
check "setup prints the exact command" matches "$err" "install it with: sudo apt-get install -y dataset-fashion-mnist"
check "setup prints nothing on stdout" test -z "$out"
RAMPART_SETUP_INSTALL=never run demo --epochs 1
check "./rampart demo runs the set-up step first (exit 2, the command)" \
  bash -c '[ "$1" -eq 2 ] && [[ "$2" == *"apt-get install -y dataset-fashion-mnist"* ]]' _ "$rc" "$err"
# as root with apt-get: it installs, one line per package (a stand-in apt-get on PATH records the call)
mkdir -p "$fake/bin"
cat >"$fake/bin/apt-get" <<FAKE
#!/usr/bin/env bash
echo "\$*" >>"$fake/apt-get.log"
if [ -n "\${FAKE_APT_PROVIDES:-}" ] && [[ "\$*" == *dataset-fashion-mnist* ]]; then
  mkdir -p "$fake/fashion-mnist"
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    : >"$fake/fashion-mnist/\$f.gz"
  done
fi
FAKE
chmod +x "$fake/bin/apt-get"
PATH="$fake/bin:$PATH" RAMPART_SETUP_INSTALL=always setup_run demo
check "setup says the package it installs, once" \
  bash -c '[ "$(grep -c "setup: installing dataset-fashion-mnist" <<<"$1")" -eq 1 ]' _ "$err"
check "setup called apt-get install for it" grep -q "install -y .*dataset-fashion-mnist" "$fake/apt-get.log"
check "setup exits 2 when the install did not provide it" test "$rc" -eq 2
check "setup says so" matches "$err" "installed dataset-fashion-mnist, but Fashion-MNIST .* is still not there"
FAKE_APT_PROVIDES=1 PATH="$fake/bin:$PATH" RAMPART_SETUP_INSTALL=always setup_run demo
check "setup exits 0 once the install provided it" test "$rc" -eq 0
check "setup: one line, the package" bash -c '[ "$(printf "%s\n" "$1" | wc -l)" -eq 1 ] && [[ "$1" == *"installing dataset-fashion-mnist"* ]]' _ "$err"
setup_run demo
check "setup with everything present exits 0 silently" test "$rc" -eq 0 -a -z "$err" -a -z "$out"
unset RAMPART_FASHION_MNIST_DIR
rm -rf "$fake"
setup_run bogus
check "setup with an unknown target exits 2" test "$rc" -eq 2

touch dp-accountant/src/main/java/dev/rampart/accountant/Orders.java
run --version
check "stale jar is rebuilt" test cli/target/rampart.jar -nt dp-accountant/src/main/java/dev/rampart/accountant/Orders.java
check "stale rebuild keeps stdout clean" matches "$out" "^rampart [0-9A-Za-z.()-]+$"

run privacy epsilon --sample-rate 0.04 --noise-multiplier 1.5 --steps 2250 --delta 1e-5
check "epsilon exit 0" test "$rc" -eq 0
check "epsilon format" matches "$out" "^epsilon=7\.329111171[0-9]* order=3\.9$"

run privacy epsilon --sample-rate 0.0042666666666666667 --noise-multiplier 1.1 --steps 14063 --delta 1e-5 --conversion classic
check "classic TF MNIST 60 epochs ~3.01" matches "$out" "^epsilon=3\.00[0-9]+ order=[0-9.]+$"

run privacy epsilon --sample-rate 0.001 --noise-multiplier 4 --steps 10 --delta 1e-5
check "edge of grid warns on stderr" matches "$err" "warning: the optimal order 63.0 is at the edge"
check "edge of grid still prints one line" lines "$out" 1

for bad in "--sample-rate 1.5" "--sample-rate -0.1" "--sample-rate abc" "--noise-multiplier -1" \
           "--steps -3" "--steps 2.5" "--delta 0" "--delta 1" "--delta 1.5" "--delta x"; do
  name="${bad%% *}"
  args=(--sample-rate 0.01 --noise-multiplier 1 --steps 10 --delta 1e-5)
  # replace the option under test
  for i in "${!args[@]}"; do [ "${args[$i]}" = "$name" ] && args[$((i + 1))]="${bad#* }"; done
  run privacy epsilon "${args[@]}"
  check "bad $bad exits 2" test "$rc" -eq 2
  check "bad $bad: one line naming $name" bash -c '[ "$(printf "%s\n" "$1" | wc -l)" -eq 1 ] && [[ "$1" == *"$2"* ]]' _ "$err" "$name"
  check "bad $bad: nothing on stdout" test -z "$out"
done

run privacy epsilon --sample-rate 0.01 --noise-multiplier 1 --delta 1e-5
check "missing --steps exits 2" test "$rc" -eq 2
check "missing --steps named" matches "$err" "--steps"

tsv_out="$(printf '0.04\t1.5\t2250\t1e-5\n0\t1\t10\t1e-5\n0.1\t0\t1\t1e-5\n0.01\t1.1\t0\t1e-6\n' | ./rampart privacy epsilon --tsv)"
rc=$?; out="$tsv_out"; err=""
check "tsv exit 0" test "$rc" -eq 0
check "tsv one line per input" lines "$tsv_out" 4
check "tsv values" matches "$tsv_out" $'^7\\.329111171[0-9]*\n0\\.0\nInfinity\n0\\.0$'

tsv_err="$(mktemp)"
printf '0.04\t1.5\t2250\n' | ./rampart privacy epsilon --tsv >/dev/null 2>"$tsv_err"; rc=$?
out=""; err="$(cat "$tsv_err")"; rm -f "$tsv_err"
check "tsv short line exits 2" test "$rc" -eq 2
check "tsv short line named" matches "$err" "line 1"

run privacy noise --target-epsilon 3 --delta 1e-5 --sample-rate 0.0042666666666666667 --epochs 60
check "noise exit 0" test "$rc" -eq 0
check "noise format" matches "$out" "^noise_multiplier=[0-9.E-]+ epsilon=2\.99[0-9]+$"

run privacy noise --target-epsilon 0.01 --delta 1e-5 --sample-rate 0.01 --steps 100
check "unreachable target exits 1" test "$rc" -eq 1
check "unreachable target explained" matches "$err" "unreachable"

run privacy noise --target-epsilon 3 --delta 1e-5 --sample-rate 0.01 --steps 10 --epochs 3
check "--steps and --epochs together exit 2" test "$rc" -eq 2

run privacy steps --epsilon 3 --delta 1e-5 --sample-rate 0.01 --noise-multiplier 1.1
check "steps exit 0" test "$rc" -eq 0
check "steps format" matches "$out" "^steps=[0-9]+ epsilon=[0-9.]+$"

run privacy steps --epsilon 0.05 --delta 1e-5 --sample-rate 0.5 --noise-multiplier 0.5
check "no step fits exits 1" test "$rc" -eq 1

# attestation: ../shared/testvectors beside the project root
snp="../shared/testvectors/attestation/snp"
tmp="$(mktemp -d)"
echo '{"platforms": ["sev-snp"], "measurements": []}' > "$tmp/any-snp.json"
run attest verify --policy "$tmp/any-snp.json" --evidence "$snp/virteesev__tests_certs_data_report_milan.hex" \
    --vcek "$snp/virteesev__tests_certs_data_vcek_milan.der" --at 2026-11-22T00:00:00Z
check "attest valid exits 0" test "$rc" -eq 0
check "attest valid JSON" matches "$out" '^\{"valid":true,"platform":"sev-snp","insecure":false,"measurement":"7a1e5c26[0-9a-f]+","reportData":"[0-9a-f]{128}","tcbStatus":null,"failures":\[\]'

run attest verify --policy "$tmp/any-snp.json" --evidence "$snp/gosevguest__verify_testdata_attestation.bin" \
    --vcek "$snp/gosevguest__verify_testdata_vcek.testcer" --at 2026-11-22T00:00:00Z
check "attest debug guest exits 1" test "$rc" -eq 1
check "attest debug guest names the check" matches "$out" '"valid":false.*"check":"debug"'

echo '{"platforms": ["sev-snp"], "measurements": [], "maxVmpl": 1}' > "$tmp/vmpl1.json"
run attest verify --policy "$tmp/vmpl1.json" --evidence "$snp/trustee__test_data_snp_test-vlek-report.bin" \
    --vcek "$snp/trustee__test_data_snp_test-vlek.der" --chain "$snp/derived/milan_asvk_ark.pem"
check "attest expired VLEK now exits 1" test "$rc" -eq 1
check "attest expired VLEK names validity" matches "$out" '"check":"validity"'

run attest verify --policy "$tmp/any-snp.json" --evidence README.md
check "attest garbage evidence exits 2" test "$rc" -eq 2
run attest verify --policy "$tmp/nope.json" --evidence "$snp/trustee__test_data_snp_test-report.bin"
check "attest missing policy exits 2" test "$rc" -eq 2
echo '{"platforms": ["sev-snp"], "measurements": [], "alowDebug": true}' > "$tmp/typo.json"
run attest verify --policy "$tmp/typo.json" --evidence "$snp/trustee__test_data_snp_test-report.bin"
check "attest unknown policy key exits 2" test "$rc" -eq 2
check "attest unknown policy key named" matches "$err" "alowDebug"

run attest simulate --out "$tmp/sim" --report-data "$(printf '%0128d' 7)"
check "simulate exits 0" test "$rc" -eq 0
check "simulate prints the root" matches "$out" "simulatedRootSha256=[0-9a-f]{64}"
run attest verify --policy "$tmp/sim/policy.json" --evidence "$tmp/sim/evidence.bin" --vcek "$tmp/sim/vcek.pem" \
    --chain "$tmp/sim/chain.pem"
check "simulated evidence verifies with its policy" test "$rc" -eq 0
check "simulated evidence is insecure" matches "$out" '"platform":"simulated","insecure":true'
run attest verify --policy "$tmp/any-snp.json" --evidence "$tmp/sim/evidence.bin" --vcek "$tmp/sim/vcek.pem" \
    --chain "$tmp/sim/chain.pem"
check "production policy rejects simulated evidence" test "$rc" -eq 1
echo '{"platforms": ["nitro"], "measurements": []}' > "$tmp/any-nitro.json"
run attest verify --policy "$tmp/any-nitro.json" \
    --evidence ../shared/testvectors/attestation/nitro/blocky-nitrite__internal_testdata_nitro_attestation.b64 \
    --at 2024-09-07T14:37:39.545Z
check "nitro base64 document verifies" test "$rc" -eq 0
check "nitro platform detected" matches "$out" '"valid":true,"platform":"nitro"'
echo '{"platforms": ["tdx"], "measurements": []}' > "$tmp/any-tdx.json"
tdx="../shared/testvectors/attestation/tdx"
run attest verify --policy "$tmp/any-tdx.json" --evidence "$tdx/dcap-qvl__sample_tdx_quote" \
    --collateral "$tdx/dcap-qvl__sample_tdx_quote_collateral.json" --at 2025-07-01T00:00:00Z
check "tdx quote verifies" test "$rc" -eq 0
check "tdx status reported" matches "$out" '"platform":"tdx".*"tcbStatus":"UpToDate"'
run attest verify --policy "$tmp/any-tdx.json" --evidence "$tdx/dcap-qvl__sample_tdx_quote_outdated" \
    --collateral "$tdx/dcap-qvl__sample_tdx_quote_outdated_collateral.json" --at 2026-03-01T00:00:00Z
check "outdated tdx quote exits 1" test "$rc" -eq 1
check "outdated tdx quote names the tcb" matches "$out" '"check":"tcb"'
rm -rf "$tmp"

# DP-SGD (Debian's dataset-fashion-mnist, which .ci/run installs)
run train-local --data /usr/share/datasets/fashion-mnist --target-epsilon 2 --epochs 1
check "train-local exits 0" test "$rc" -eq 0
check "train-local prints an epoch line" matches "$out" "epoch=1 dp_loss=[0-9.-]+ dp_accuracy=[0-9.-]+ epsilon=[0-9.]+"
final_line="$(printf '%s\n' "$out" | tail -1)"
check "train-local final line" matches "$final_line" "^final test_accuracy=0\.[0-9]+ epsilon=[0-9.]+ delta=1\.0E-5 steps=[0-9]+$"
eps="$(printf '%s' "$final_line" | sed -E 's/.*epsilon=([0-9.]+).*/\1/')"
check "train-local stays within the target epsilon" awk -v e="$eps" 'BEGIN { exit !(e <= 2.0) }'
acc="$(printf '%s' "$final_line" | sed -E 's/.*test_accuracy=([0-9.]+).*/\1/')"
check "one private epoch learns (accuracy > 0.6)" awk -v a="$acc" 'BEGIN { exit !(a > 0.6) }'
ckpt="$(mktemp -u)"
run train-local --data /usr/share/datasets/fashion-mnist --target-epsilon 4 --epochs 1 --checkpoint "$ckpt"
check "train-local writes a checkpoint" test -s "$ckpt"
first_final="$(printf '%s\n' "$out" | tail -1)"
run train-local --data /usr/share/datasets/fashion-mnist --target-epsilon 4 --epochs 1 --checkpoint "$ckpt"
check "train-local resumes from its checkpoint" matches "$out" "resuming from .* at step 235 "
final_line="$(printf '%s\n' "$out" | tail -1)"
check "a finished run resumed takes no step and keeps its accuracy and epsilon" test "$final_line" = "$first_final"
rm -f "$ckpt"
run train-local --data /usr/share/datasets/fashion-mnist --target-epsilon 2 --model resnet
check "train-local unknown model exits 2" test "$rc" -eq 2
run train-local --data /nonexistent --target-epsilon 2
check "train-local missing data exits 2" test "$rc" -eq 2
run bench dp-step --steps 20
check "bench dp-step format" matches "$out" "nonprivate_ex_per_s=[0-9.]+ dp_ex_per_s=[0-9.]+ ratio=[0-9.]+$"

# ---- the data plane through the real commands: coordinator process, admin, party agent, audit ----
dp="$(mktemp -d)"
run measure
check "measure format" matches "$out" "^measurement=[0-9a-f]{96}$"
m1="$out"; run measure
check "measure is stable" test "$out" = "$m1"
run keys new --out "$dp/keys/admin" --name admin
check "keys new format" matches "$out" "^name=admin fingerprint=[0-9a-f]{64} cert="
check "keys new key is private" test "$(stat -c %a "$dp/keys/admin/key.pem")" = "600"
run keys new --out "$dp/keys/admin" --name admin
check "keys new refuses to overwrite a key (exit 2)" test "$rc" -eq 2
run keys new --out "$dp/keys/h" --name "Hospital A"
check "keys new bad name exits 2" test "$rc" -eq 2
./rampart keys new --out "$dp/keys/hospital-a" --name hospital-a >/dev/null
run coordinator start --state-dir "$dp/bad" --tee bogus
check "coordinator start bad --tee exits 2" test "$rc" -eq 2
./rampart coordinator start --state-dir "$dp/state" --listen 127.0.0.1:0 --admin-key "$dp/keys/admin/cert.pem" \
  --write-policy "$dp/policy.json" >"$dp/coordinator.log" 2>&1 &
cpid=$!
addr=""
for _ in $(seq 1 600); do # up to 5 minutes: a loaded 2-core machine starts a JVM slowly
  addr="$(sed -n 's/^listening=//p' "$dp/coordinator.log")"
  [ -n "$addr" ] && break
  kill -0 "$cpid" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$addr" ]; then
  echo "the coordinator did not start; its output:" >&2
  cat "$dp/coordinator.log" >&2
  kill "$cpid" 2>/dev/null
  exit 1
fi
check "coordinator start prints listening=HOST:PORT" matches "$addr" "^127\.0\.0\.1:[0-9]+$"
export RAMPART_COORDINATOR="$addr" RAMPART_POLICY="$dp/policy.json"
run admin enroll --key "$dp/keys/admin" --role owner --name hospital-a --cert "$dp/keys/hospital-a/cert.pem"
check "admin enroll format" matches "$out" "^name=hospital-a role=owner fingerprint=[0-9a-f]{64}$"
run admin enroll --key "$dp/keys/hospital-a" --role owner --name x --cert "$dp/keys/hospital-a/cert.pem"
check "admin enroll by a non-admin is refused (exit 1)" test "$rc" -eq 1
# a license grants only to enrolled scientists: the admin enrols them first
./rampart keys new --out "$dp/keys/alice" --name alice >/dev/null
./rampart keys new --out "$dp/keys/eve" --name eve >/dev/null
./rampart admin enroll --key "$dp/keys/admin" --role scientist --name alice --cert "$dp/keys/alice/cert.pem" >/dev/null
./rampart admin enroll --key "$dp/keys/admin" --role scientist --name eve --cert "$dp/keys/eve/cert.pem" >/dev/null
cat >"$dp/agent.yaml" <<YAML
coordinator: $addr
policy: policy.json
identity: keys/hospital-a
datasets:
  - name: fashion-test-a
    idx:
      images: /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
      labels: /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
      to: 3000
    license:
      listers: [alice, eve]
      trainers: [alice]
      evaluators: [alice]
      epsilon: 3
      delta: 1e-5
      weightRelease: after-owner-approval
      releaseTo: [alice]
YAML
run agent run --config "$dp/agent.yaml"
check "agent run uploads" matches "$out" "dataset=fashion-test-a id=[0-9a-f]{64} rows=3000 state=uploaded"
run agent run --config "$dp/agent.yaml"
check "agent run again uploads nothing" matches "$out" "state=unchanged"
run agent status --config "$dp/agent.yaml"
check "agent status" matches "$out" "attested=yes identity=hospital-a datasets=1"
run agent audit export --config "$dp/agent.yaml" --out "$dp/audit.jsonl"
check "agent audit export" matches "$out" "^entries=[0-9]+ file="
run agent audit verify --file "$dp/audit.jsonl" --policy "$dp/policy.json"
check "agent audit verify ok (exit 0)" test "$rc" -eq 0
awk 'NR==3 {held=$0; next} {print} NR==4 {print held}' "$dp/audit.jsonl" >"$dp/reordered.jsonl"
run agent audit verify --file "$dp/reordered.jsonl" --policy "$dp/policy.json"
check "agent audit verify detects reordered entries (exit 1)" test "$rc" -eq 1
sed 's/epsilon: 3/epsilonn: 3/' "$dp/agent.yaml" >"$dp/typo.yaml"
run agent run --config "$dp/typo.yaml"
check "agent run: an unknown key is an error naming it (exit 2)" test "$rc" -eq 2 -a -n "$(echo "$err" | grep epsilonn)"
sed -E 's/"measurements": \["[0-9a-f]{96}"\]/"measurements": ["'"$(printf '0%.0s' $(seq 96))"'"]/' "$dp/policy.json" >"$dp/wrong.json"
sed "s#policy: policy.json#policy: wrong.json#" "$dp/agent.yaml" >"$dp/wrong.yaml"
run agent run --config "$dp/wrong.yaml"
check "agent run against a wrong policy is refused (exit 1) naming the check" test "$rc" -eq 1 -a -n "$(echo "$err" | grep -i measurement)"

# the data scientist's commands against the same coordinator
export RAMPART_KEY="$dp/keys/alice"
run model example mlp --hidden 32
check "model example prints a DL4J configuration" matches "$out" "org.deeplearning4j.nn.conf.layers.DenseLayer"
printf '%s\n' "$out" >"$dp/mlp.json"
run datasets --full-ids
check "datasets lists the licensed dataset" matches "$out" "fashion-test-a"
dsid="$(printf '%s\n' "$out" | grep -oE '[0-9a-f]{64}' | head -1)"
run train --model "$dp/mlp.json" --datasets "$dsid" --steps 40 --batch 64 --noise-multiplier 1.0 --epochs 1
check "train with both --steps and --epochs exits 2" test "$rc" -eq 2
run train --model "$dp/mlp.json" --datasets "$dsid" --steps 40 --batch 64 --noise-multiplier 1.0 --key "$dp/keys/eve"
check "train by a scientist the license does not name is refused (exit 1)" test "$rc" -eq 1 -a -n "$(echo "$err" | grep "does not let 'eve' train")"
run train --model "$dp/mlp.json" --datasets "${dsid:0:12}" --steps 40 --batch 64 --noise-multiplier 1.0 --watch
check "train --watch exits 0" test "$rc" -eq 0
check "train prints the job" matches "$out" "job [0-9a-f-]{36} submitted: 40 steps"
job="$(printf '%s\n' "$out" | grep -oE 'job [0-9a-f-]{36}' | head -1 | cut -c5-)"
run jobs
check "jobs lists the job as completed" matches "$out" "${job:0:8}.*completed"
run model fetch "$job" --out "$dp/model.rmodel"
check "model fetch before approval exits 1" test "$rc" -eq 1
check "model fetch says whose approval is pending" matches "$out" "pending from hospital-a"
check "model fetch before approval writes no file" test ! -e "$dp/model.rmodel"
approval="$(./rampart agent approvals --config "$dp/agent.yaml" | grep -oE '^id=[0-9a-f-]+' | head -1 | cut -c4-)"
run agent approve "$approval" --config "$dp/agent.yaml"
check "agent approve" matches "$out" "state=approved"
run model fetch "$job" --out "$dp/model.rmodel"
check "model fetch after approval exits 0" test "$rc" -eq 0 -a -s "$dp/model.rmodel"
run evaluate "$job" --dataset "$dsid" --epsilon 0.2
check "evaluate prints a DP accuracy" matches "$out" "DP accuracy of job .*: [0-9.-]+ ± [0-9.]+"
unset RAMPART_KEY

kill "$cpid"; wait "$cpid" 2>/dev/null
unset RAMPART_COORDINATOR RAMPART_POLICY
rm -rf "$dp"

# the demo, on a small part of Fashion-MNIST (the full one is the README's first command)
run demo --workdir "$dp.demo" --rows-per-hospital 2000 --epochs 2
check "demo exits 0" test "$rc" -eq 0
check "demo ends with the final line" matches "$(printf '%s\n' "$out" | tail -1)" \
  "^final test_accuracy=0\.[0-9]+ epsilon\[hospital-a\]=[0-9.]+ epsilon\[hospital-b\]=[0-9.]+$"
check "demo logs the owners' approvals" matches "$out" "hospital-b APPROVES the release"
check "demo verifies the audit trail" matches "$out" "VERIFIED"
run demo --data /nonexistent
check "demo without Fashion-MNIST says how to install it (exit 2)" test "$rc" -eq 2 -a -n "$(echo "$err" | grep "apt-get install -y dataset-fashion-mnist")"
rm -rf "$dp.demo"

run no-such-command
check "unknown command exits 2" test "$rc" -eq 2

echo "launcher: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
