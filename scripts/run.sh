#!/usr/bin/env bash
# The main job: build knet and analyze every manifest of the guide, group by group, as a user of the guide would.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --quiet -p knet
knet=target/release/knet
for group in service-types ingress network-policies dns monitoring misc; do
  echo "=== examples/$group"
  "$knet" analyze -f "examples/$group" || echo "(knet exited with status $?: the errors above name each refused object)"
done
echo "=== exercises 1+2+3 (applied in order, as the guide does)"
"$knet" analyze -f examples/exercise-1 -f examples/exercise-2 -f examples/exercise-3
