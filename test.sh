#!/usr/bin/env bash
# Sets up the machine if needed, then builds and runs every test: `bazel test //...`.
# Extra arguments go to bazel (e.g. ./test.sh --test_output=all //tests:...).
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
# Real GitHub Archive files beside the project, when present (tests skip without them).
data="$(cd .. && pwd)/shared/data/gharchive"
env_flags=()
[ -d "$data" ] && env_flags+=(--test_env=WEFT_GHARCHIVE_DIR="$data")
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(//...)
exec bazel test "${env_flags[@]}" "${targets[@]}"
