#!/usr/bin/env bash
# Install, start, stop and query the moto AWS emulator used by the collector
# tests and the demo.
#
#   scripts/moto.sh install            create the virtualenv and install moto[server] + boto3
#   scripts/moto.sh start [PORT]       start moto_server on 127.0.0.1:PORT (default 5000); idempotent
#   scripts/moto.sh stop               stop the server this script started
#   scripts/moto.sh status             print "running PORT PID" or "stopped" (exit 1 when stopped)
#   scripts/moto.sh endpoint           print http://127.0.0.1:PORT of the running server
#
# A seeded demo account, then a scan of it:
#   scripts/moto.sh start 5000
#   .venv/bin/python scripts/seed_demo.py --endpoint "$(scripts/moto.sh endpoint)" --scale 3 > manifest.json
#   AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
#     AWS_ENDPOINT_URL="$(scripts/moto.sh endpoint)" rampart scan --regions ap-northeast-2,us-east-1
#
# Environment:
#   RAMPART_VENV     virtualenv to use (default: <repo>/.venv)
#   RAMPART_MOTO_DIR where the pid, port and log files go (default: <repo>/.rampart/moto);
#                    use a distinct one per concurrent server (the tests do)
#   MOTO_VERSION     moto version to install (default 5.1.22: from 5.2 on, moto answers
#                    GetBucketVersioning with a <GetBucketVersioningResponse> root element,
#                    which the AWS SDK for Rust rightly rejects; real S3 sends
#                    <VersioningConfiguration>)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${RAMPART_VENV:-$repo/.venv}"
state="${RAMPART_MOTO_DIR:-$repo/.rampart/moto}"
moto_version="${MOTO_VERSION:-5.1.22}"
moto_req="moto[server]==$moto_version"

die() { echo "moto.sh: $*" >&2; exit 1; }

installed() {
  [ -x "$venv/bin/moto_server" ] &&
    [ "$("$venv/bin/python" -c 'import moto, boto3; print(moto.__version__)' 2>/dev/null)" = "$moto_version" ]
}

install() {
  if installed; then
    echo "moto already installed in $venv ($("$venv/bin/python" -c 'import moto; print(moto.__version__)'))"
    return 0
  fi
  command -v python3 >/dev/null || die "python3 not found"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$moto_req" boto3 \
    || die "pip install $moto_req failed"
  installed || die "moto_server missing after install"
  echo "moto installed in $venv ($("$venv/bin/python" -c 'import moto; print(moto.__version__)'))"
}

pid_alive() { [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; }

answers() {
  # moto serves a dashboard at /moto-api/; any HTTP answer means it is up.
  "$venv/bin/python" - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
try:
    urllib.request.urlopen("http://127.0.0.1:%s/moto-api/data.json" % sys.argv[1], timeout=1).read()
except Exception as e:
    if not hasattr(e, "code"):
        sys.exit(1)
PY
}

start() {
  local port="${1:-${MOTO_PORT:-5000}}"
  if pid_alive; then
    local running; running="$(cat "$state/port")"
    if [ "$running" = "$port" ] || [ -z "${1:-}" ]; then
      echo "moto already running on port $running (pid $(cat "$state/pid"))"
      return 0
    fi
    die "moto already running on port $running; stop it first"
  fi
  installed || install
  mkdir -p "$state"
  # AWS-managed policies (AdministratorAccess, ...) exist only with
  # MOTO_IAM_LOAD_MANAGED_POLICIES. Without MOTO_EC2_LOAD_DEFAULT_AMIS=false
  # moto makes ~1,200 snapshots per region (of its stock AMIs) look owned by
  # the account, which no real account resembles.
  MOTO_IAM_LOAD_MANAGED_POLICIES=true MOTO_EC2_LOAD_DEFAULT_AMIS=false nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" \
    >"$state/log" 2>&1 &
  echo $! >"$state/pid"
  echo "$port" >"$state/port"
  for _ in $(seq 1 150); do
    if answers "$port"; then
      echo "moto running on port $port (pid $(cat "$state/pid"))"
      return 0
    fi
    pid_alive || { tail -20 "$state/log" >&2; rm -f "$state/pid"; die "moto_server exited"; }
    sleep 0.2
  done
  stop >/dev/null
  die "moto did not answer on port $port within 30 s (log: $state/log)"
}

stop() {
  if pid_alive; then
    local pid; pid="$(cat "$state/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    echo "moto stopped (pid $pid)"
  else
    echo "moto not running"
  fi
  rm -f "$state/pid" "$state/port"
}

status() {
  if pid_alive; then
    echo "running $(cat "$state/port") $(cat "$state/pid")"
  else
    echo "stopped"
    return 1
  fi
}

case "${1:-}" in
  install) install ;;
  start) start "${2:-}" ;;
  stop) stop ;;
  status) status ;;
  endpoint) pid_alive || die "not running"; echo "http://127.0.0.1:$(cat "$state/port")" ;;
  *) echo "usage: $0 install|start [PORT]|stop|status|endpoint" >&2; exit 2 ;;
esac
