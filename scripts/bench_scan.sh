#!/usr/bin/env bash
# Benchmark: a full scan of the seeded emulator account at SCALE=1 and
# SCALE=10 (or the scales given), next to the emulator's floor.
#
#   scripts/bench_scan.sh            # scales 1 and 10
#   scripts/bench_scan.sh 1 5 10
#   PROFILE=release scripts/bench_scan.sh
#
# For each scale it reports resources, wall time, peak memory (RSS, from
# /usr/bin/time or /proc), the AWS API calls the scan made, and the floor:
# those calls divided by the emulator's own maximum request rate on this
# machine (measured first, with 8 concurrent clients of a cheap call). The
# emulator (moto, one Python process) is the bottleneck, so the calls decide
# the time.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart/target}"
export RAMPART_VENV="${RAMPART_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart/venv}"
export RAMPART_MOTO_DIR="$repo/.rampart/bench-moto"
profile="${PROFILE:-dev}"
scales=("$@"); [ ${#scales[@]} -gt 0 ] || scales=(1 10)

if [ "$profile" = "dev" ]; then dir=debug; else dir="$profile"; fi
cargo build --quiet --profile "$profile" -p rampart
rampart="$CARGO_TARGET_DIR/$dir/rampart"
scripts/moto.sh install >/dev/null
py="$RAMPART_VENV/bin/python"
work="$(mktemp -d)"
trap 'scripts/moto.sh stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

port="$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
scripts/moto.sh start "$port" >/dev/null
endpoint="http://127.0.0.1:$port"
export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_DEFAULT_REGION=ap-northeast-2 AWS_REGION=ap-northeast-2
unset AWS_PROFILE

# The emulator's maximum request rate: 8 clients x 250 sts:GetCallerIdentity.
rate="$($py - "$endpoint" <<'PY'
import sys, time, boto3
from concurrent.futures import ThreadPoolExecutor
ep = sys.argv[1]
def worker(_):
    c = boto3.client("sts", endpoint_url=ep, region_name="us-east-1",
                     aws_access_key_id="testing", aws_secret_access_key="testing")
    for _ in range(250):
        c.get_caller_identity()
    return 250
with ThreadPoolExecutor(8) as ex:
    list(ex.map(lambda _: boto3.client("sts", endpoint_url=ep, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing"), range(8)))
    t = time.monotonic()
    n = sum(ex.map(worker, range(8)))
    print(f"{n / (time.monotonic() - t):.0f}")
PY
)"

peak_rss() { # command... ; prints "seconds maxrss_kb"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
    cat "$work/time"
  else
    local s; s=$(date +%s%N)
    "$@" >/dev/null
    echo "$(( ($(date +%s%N) - s) / 1000000 ))e-3 0"
  fi
}

printf 'machine: %s, %s cores; date: %s; profile: %s\n' \
  "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$(nproc)" "$(date -u +%Y-%m-%d)" "$profile"
printf 'emulator max rate: %s requests/s (8 concurrent clients)\n\n' "$rate"
printf '| scale | resources | wall s | peak RSS MB | API calls | floor s (calls / rate) | wall / floor |\n'
printf '|---|---|---|---|---|---|---|\n'
for scale in "${scales[@]}"; do
  $py scripts/seed_demo.py --endpoint "$endpoint" --scale "$scale" >/dev/null
  set +e
  read -r secs rss < <(peak_rss "$rampart" --db "$work/b.db" scan --regions ap-northeast-2,us-east-1 \
    --format json --output "$work/scan-$scale.json")
  set -e
  read -r resources calls < <($py -c 'import json,sys; d=json.load(open(sys.argv[1]))["scan"]; print(d["resources"], d.get("api_calls", 0))' "$work/scan-$scale.json")
  floor="$($py -c "print(f'{$calls/$rate:.1f}')")"
  ratio="$($py -c "print(f'{$secs/($calls/$rate):.2f}')")"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$scale" "$resources" "$secs" "$((rss / 1024))" "$calls" "$floor" "$ratio"
done
