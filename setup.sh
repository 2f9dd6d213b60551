#!/usr/bin/env bash
# Installs what weft needs on a fresh Debian 12 machine (run as root; apt and npm reachable).
# Idempotent: installs only what is missing, so running it again is quick.
set -euo pipefail

APT_PACKAGES=(
  # build
  bazel-bootstrap g++ pkg-config protobuf-compiler protobuf-compiler-grpc
  # libraries
  libgrpc++-dev libprotobuf-dev libabsl-dev libsimdjson-dev libzstd-dev zlib1g-dev
  libisal-dev libcurl4-openssl-dev libssl-dev libspdlog-dev libfmt-dev catch2 libcli11-dev libboost-dev
  libedit-dev
  libhwy-dev librandom123-dev libpugixml-dev nlohmann-json3-dev
  libjemalloc-dev
  # tests and benchmarks: the dask peer we measure against
  python3 python3-distributed python3-pandas python3-numpy procps curl
  # arrays: graph pictures (Array::visualize)
  graphviz
  # the write tests check their gzip and zstd files with the standard tools
  gzip zstd
  # deploy test: the outside example's make, systemd-analyze verify on the units
  make systemd
  # the dashboard test's headless browser
  chromium
)
# The S3 server's runtime: Debian's nodejs and npm, unless a Node.js with npm is already
# here (NodeSource's nodejs bundles npm and conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# s3rver: the S3-compatible server the S3 tests start on loopback.
if ! command -v s3rver >/dev/null 2>&1; then
  echo "setup: installing s3rver from npm"
  npm install -g --no-audit --no-fund s3rver@3 >/dev/null
fi
