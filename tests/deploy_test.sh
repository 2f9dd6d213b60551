#!/usr/bin/env bash
# deploy_test: weft as an outside user gets it.
#
#   1. deploy/install.sh --from-bazel-bin (the built files come as this test's data: bazel
#      cannot run inside bazel) into a temporary prefix, with the systemd units staged
#      under a temporary root; checks the layout, that libweft.so holds weft's objects and
#      links the system libraries dynamically.
#   2. systemd-analyze verify on the installed units (ExecStart points at the installed
#      binaries, so a clean unit verifies without a word); the checker must reject broken
#      copies of them, or it proves nothing.
#   3. builds deploy/example with make against the prefix (PKG_CONFIG_PATH only; the rpath
#      that lets it run without LD_LIBRARY_PATH comes from `pkg-config --libs weft`).
#   4. starts the installed weft-scheduler and a weft-worker preloading the example's
#      plugin, runs the example against them, then again on a local cluster that finds the
#      installed binaries beside libweft.so, with neither them on $PATH nor
#      LD_LIBRARY_PATH set; checks the printed results.
set -euo pipefail

runfiles="${TEST_SRCDIR:?run under bazel test}/${TEST_WORKSPACE:-weft}"
tmp="$(mktemp -d "${TEST_TMPDIR:-/tmp}/deploy.XXXXXX")"
prefix="$tmp/prefix"
root="$tmp/root"

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "== $*"; }

# ---------------------------------------------------------------------------------------
step "install into $prefix"
"$runfiles/deploy/install.sh" --prefix "$prefix" --from-bazel-bin "$runfiles" \
  --systemd-root "$root"

for f in bin/weft-scheduler bin/weft-worker bin/weft lib/libweft.so lib/libweft_plugin.a \
         lib/pkgconfig/weft.pc lib/pkgconfig/weft-plugin.pc share/doc/weft/weft.env; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
for h in value.h convert.h client.h future.h bag.h function.h; do
  [ -f "$prefix/include/weft/$h" ] || fail "header not installed: weft/$h"
done
# Every "weft/..." a public header includes is installed too.
for h in "$prefix"/include/weft/*.h; do
  while read -r inc; do
    [ -f "$prefix/include/$inc" ] || fail "$(basename "$h") includes $inc, which is not installed"
  done < <(sed -n 's|^#include "\(weft/[^"]*\)".*|\1|p' "$h")
done
for f in etc/systemd/system/weft-scheduler.service "etc/systemd/system/weft-worker@.service" \
         etc/weft/weft.env; do
  [ -f "$root/$f" ] || fail "not staged: $f"
done
"$prefix/bin/weft-scheduler" --version >/dev/null || fail "installed weft-scheduler does not run"

# (Outputs are captured first: under pipefail, `nm | grep -q` fails when grep stops early.)
lib="$prefix/lib/libweft.so"
symbols="$(nm -DC --defined-only "$lib")"
dynamic="$(readelf -d "$lib")"
grep -q 'weft::Client::Connect(' <<<"$symbols" ||
  fail "libweft.so does not define weft::Client::Connect: //client's objects not linked in"
grep -q 'weft::Value::' <<<"$symbols" ||
  fail "libweft.so does not define weft::Value: //common:value not linked in"
grep -q 'NEEDED.*\[libgrpc++\.so' <<<"$dynamic" || fail "libweft.so: grpc++ is not a dynamic dep"
grep -q 'NEEDED.*\[libprotobuf\.so' <<<"$dynamic" || fail "libweft.so: protobuf is not a dynamic dep"
grep -q 'SONAME.*\[libweft\.so\]' <<<"$dynamic" || fail "libweft.so has no SONAME"
if grep -E 'NEEDED|RUNPATH|RPATH' <<<"$dynamic" | grep -q '_solib'; then
  fail "libweft.so depends on bazel's _solib libraries"
fi
grep -q 'T weft_function_registrations' <<<"$(nm --defined-only "$prefix/lib/libweft_plugin.a")" ||
  fail "libweft_plugin.a lacks weft_function_registrations"

# ---------------------------------------------------------------------------------------
step "systemd-analyze verify"
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (./setup.sh installs systemd)"
# A unit passes when verify exits 0 and says nothing about it: unknown keys and bad values
# are only warnings ("..., ignoring.") with exit status 0.
verify_unit() {
  local out
  if ! out="$(systemd-analyze verify --man=no "$1" 2>&1)"; then
    echo "$out"
    return 1
  fi
  if echo "$out" | grep -F "$(basename "$1" .service)" >&2; then return 1; fi
  return 0
}
units="$root/etc/systemd/system"
for unit in "$units/weft-scheduler.service" "$units/weft-worker@.service"; do
  grep -q "^ExecStart=$prefix/bin/weft-" "$unit" || fail "$unit: ExecStart not rewritten to $prefix"
  grep -q '^EnvironmentFile=/etc/weft/weft.env' "$unit" || fail "$unit: no EnvironmentFile"
  verify_unit "$unit" || fail "systemd-analyze verify rejects $(basename "$unit")"
done
mkdir -p "$tmp/broken"
sed 's/^\[Service\]$/[Service]\nNoNewPrivilege=yes/' "$units/weft-scheduler.service" \
  > "$tmp/broken/weft-typo.service"
sed "s|^ExecStart=$prefix/bin/|ExecStart=$tmp/missing/|" "$units/weft-worker@.service" \
  > "$tmp/broken/weft-missing@.service"
for unit in "$tmp/broken/weft-typo.service" "$tmp/broken/weft-missing@.service"; do
  if verify_unit "$unit" >/dev/null 2>&1; then
    fail "the unit check accepts the broken $(basename "$unit")"
  fi
done

# ---------------------------------------------------------------------------------------
step "each installed header compiles on its own (pkg-config weft)"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
read -r -a cflags <<<"$(pkg-config --cflags weft)"
for h in "$prefix"/include/weft/*.h; do
  echo "#include \"weft/$(basename "$h")\"" |
    g++ -std=c++17 -fsyntax-only "${cflags[@]}" -x c++ - ||
    fail "weft/$(basename "$h") does not compile on its own against the installed tree"
done

# ---------------------------------------------------------------------------------------
step "build deploy/example against $prefix"
cp -rL "$runfiles/deploy/example" "$tmp/example"
chmod -R u+w "$tmp/example"
make -C "$tmp/example" -j2 PKG_CONFIG_PATH="$prefix/lib/pkgconfig" ||
  fail "the example does not build against the installed weft"
example_dynamic="$(readelf -d "$tmp/example/weft_example")"
grep -q 'NEEDED.*\[libweft\.so\]' <<<"$example_dynamic" ||
  fail "weft_example does not link libweft.so"
grep -E 'RUNPATH|RPATH' <<<"$example_dynamic" | grep -qF "[$prefix/lib]" ||
  fail "weft_example has no rpath to $prefix/lib: weft.pc's Libs lack -Wl,-rpath"

expected="$tmp/expected.txt"
cat > "$expected" <<'EOF'
inc(41) = 42
add(inc(41), 100) = 142
map(inc, 0..9) = 1 2 3 4 5 6 7 8 9 10
map(cube, 1..4) = 1 8 27 64
sum(cubes) = 100
shout(weft) = WEFT!
factorial(99) failed: factorial(): n must be in [0, 20]
EOF
# The first line (cluster summary) has ports in it; error messages end with the key.
check_output() {
  local out="$1" workers="$2"
  head -n 1 "$out" | grep -q "workers=$workers " || fail "unexpected cluster line: $(head -n 1 "$out")"
  tail -n +2 "$out" | sed 's/ \[key [^]]*\]$//' | diff -u "$expected" - ||
    fail "the example printed something else"
}

# ---------------------------------------------------------------------------------------
step "installed scheduler and worker, the example against them"
"$prefix/bin/weft-scheduler" --host 127.0.0.1 --port 0 --scheduler-file "$tmp/scheduler.json" \
  > "$tmp/scheduler.log" 2>&1 &
pids+=($!)
"$prefix/bin/weft-worker" --scheduler-file "$tmp/scheduler.json" --host 127.0.0.1 \
  --nthreads 2 --memory-limit 1GiB --local-directory "$tmp/spill" \
  --preload "$tmp/example/libexample_funcs.so" > "$tmp/worker.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  [ -s "$tmp/scheduler.json" ] && grep -q 'registered' "$tmp/worker.log" && break
  sleep 0.1
done
address="$(sed -n 's/.*"address": *"\([^"]*\)".*/\1/p' "$tmp/scheduler.json")"
[ -n "$address" ] || { cat "$tmp/scheduler.log" "$tmp/worker.log" >&2; fail "no scheduler address"; }
grep -q 'registered' "$tmp/worker.log" || { cat "$tmp/worker.log" >&2; fail "worker did not register"; }

timeout 60 "$tmp/example/weft_example" "$address" > "$tmp/remote.txt" ||
  { cat "$tmp/remote.txt" "$tmp/worker.log" >&2; fail "weft_example $address failed"; }
cat "$tmp/remote.txt"
check_output "$tmp/remote.txt" 1

# ---------------------------------------------------------------------------------------
step "the example on a local cluster of the installed binaries (beside libweft.so, not on PATH)"
(
  cd "$tmp"
  unset WEFT_BIN_DIR LD_LIBRARY_PATH
  export PATH=/usr/bin:/bin
  if command -v weft-scheduler >/dev/null || command -v weft-worker >/dev/null; then
    fail "weft-scheduler or weft-worker on PATH=$PATH: this step would prove nothing"
  fi
  timeout 60 "$tmp/example/weft_example" > "$tmp/local.txt" 2> "$tmp/local.err"
) || { cat "$tmp/local.txt" "$tmp/local.err" >&2; fail "weft_example on a local cluster failed"; }
cat "$tmp/local.txt"
check_output "$tmp/local.txt" 2

echo "PASS"
