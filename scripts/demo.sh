#!/usr/bin/env bash
# The demo: builds Rampart, installs and starts the AWS emulator (moto) on
# loopback, seeds a realistic company account in ap-northeast-2 and
# us-east-1 through the real AWS API, scans it with the real AWS SDK and
# writes the results to out/.
#
#   scripts/demo.sh                 # SCALE=1
#   SCALE=10 scripts/demo.sh        # ten times the users, buckets, instances, ...
#
# Nothing here touches a real AWS account: the endpoint is the local emulator
# and the credentials are fake.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart/target}"
export RAMPART_VENV="${RAMPART_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart/venv}"
export RAMPART_MOTO_DIR="${RAMPART_MOTO_DIR:-$repo/.rampart/demo-moto}"
scale="${SCALE:-1}"
out="${OUT:-$repo/out}"

step() { printf '\n==> %s\n' "$*" >&2; }

step "building rampart (first build compiles the AWS SDK: several minutes)"
cargo build --quiet -p rampart
rampart="$CARGO_TARGET_DIR/debug/rampart"

step "installing and starting the AWS emulator"
scripts/moto.sh install >&2
port="$("$RAMPART_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
scripts/moto.sh start "$port" >&2
trap 'scripts/moto.sh stop >/dev/null 2>&1 || true' EXIT
endpoint="http://127.0.0.1:$port"

# Fake credentials for the emulator only; never real ones.
export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_SESSION_TOKEN=testing AWS_DEFAULT_REGION=ap-northeast-2 AWS_REGION=ap-northeast-2
unset AWS_PROFILE

mkdir -p "$out"
step "seeding a company account (SCALE=$scale)"
"$RAMPART_VENV/bin/python" scripts/seed_demo.py --endpoint "$endpoint" --scale "$scale" >"$out/planted.json"

step "scanning"
rm -f "$out/rampart.db" "$out/rampart.db-wal" "$out/rampart.db-shm"
status=0
"$rampart" --db "$out/rampart.db" scan --regions ap-northeast-2,us-east-1 \
  --save-inventory "$out/inventory.json" --format json --output "$out/scan.json" --fail-on critical || status=$?
if [ "$status" -ge 2 ]; then
  echo "scan failed (exit $status)" >&2
  exit "$status"
fi
"$rampart" --db "$out/rampart.db" findings
"$rampart" --db "$out/rampart.db" --lang ko findings --severity critical --output "$out/findings-critical-ko.txt"

step "compliance"
"$rampart" --db "$out/rampart.db" compliance
"$rampart" --db "$out/rampart.db" compliance cis-aws-5.0 --format csv --output "$out/compliance-cis-aws-5.0.csv"
"$rampart" --db "$out/rampart.db" --lang ko compliance isms-p-2023 --output "$out/compliance-isms-p-2023-ko.txt"
"$rampart" --db "$out/rampart.db" compliance pci-dss-4.0 --format json --output "$out/compliance-pci-dss-4.0.json"

step "done"
cat >&2 <<TXT
Outputs in $out:
  scan.json                  every finding (pass, fail, error) as JSON
  inventory.json             the collected inventory (rampart scan --inventory it)
  findings-critical-ko.txt   critical findings
  compliance-*.{csv,txt,json} CIS AWS 5.0 (CSV), ISMS-P 2023 (Korean), PCI DSS 4.0 (JSON)
  planted.json               what the seeder planted (bad and good twins)
  rampart.db                 the scan history: rampart --db $out/rampart.db scans
The scan exits 1 because critical findings exist (--fail-on critical).
TXT
