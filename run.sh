#!/usr/bin/env bash
# The main job, on a local cluster: sets the machine up if needed, builds weft, writes
# sample GitHub Archive shards, serves them from an S3-compatible server (s3rver) on
# loopback, and runs the GitHub Archive session through s3:// — printing results and
# timings. Usage: ./run.sh [HOURS] [EVENTS_PER_HOUR]
set -euo pipefail
cd "$(dirname "$0")"
hours="${1:-24}"
events="${2:-5000}"

./setup.sh
bazel build //client:weft //scheduler:weft-scheduler //worker:weft-worker

work="$(mktemp -d /tmp/weft-run-XXXXXX)"
cleanup() { [ -n "${s3_pid:-}" ] && kill "$s3_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "== sample data: $hours hourly shards x $events events"
python3 bench/gen_gharchive.py "$work/shards" --hours "$hours" --events-per-hour "$events"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NODE_OPTIONS=--openssl-legacy-provider s3rver --directory "$work/s3" --address 127.0.0.1 --port "$port" --silent \
  --configure-bucket githubarchive-data >"$work/s3rver.log" 2>&1 &
s3_pid=$!
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=S3RVER \
  AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
for _ in $(seq 100); do curl -s -o /dev/null "$AWS_ENDPOINT_URL" && break; sleep 0.1; done
for f in "$work"/shards/*.json.gz; do
  curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "$f" \
    "$AWS_ENDPOINT_URL/githubarchive-data/$(basename "$f")" >/dev/null
done
echo "== served by s3rver at $AWS_ENDPOINT_URL (bucket githubarchive-data)"

bazel-bin/client/weft gharchive "s3://githubarchive-data/2015-01-*.json.gz"
