#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test of the workspace (unit, property, snapshot, battery).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --quiet
