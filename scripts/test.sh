#!/usr/bin/env bash
# Runs every test: formatting, lints, unit and integration tests (the AWS
# emulator tests included). This is what CI runs (.ci/run calls it).
#
# Builds go to a directory outside the checkout so a fresh clone reuses an
# earlier build (the AWS SDK is slow to compile): $CARGO_TARGET_DIR if set,
# else ~/.cache/rampart/target.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart/target}"
export RAMPART_VENV="${RAMPART_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart/venv}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }

if [ -x scripts/moto.sh ]; then
  step "installing the AWS emulator (moto) into $RAMPART_VENV"
  scripts/moto.sh install
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test"
cargo test --workspace
