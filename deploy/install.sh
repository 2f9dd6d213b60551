#!/usr/bin/env bash
# Builds weft (bazel build -c opt) and installs it under a prefix:
#
#   PREFIX/bin/weft-scheduler, weft-worker, weft
#   PREFIX/include/weft/*.h              the public headers ("weft/client.h", ...)
#   PREFIX/lib/libweft.so                the client library
#   PREFIX/lib/libweft_plugin.a          what plugins link for WEFT_FUNCTION (static, PIC)
#   PREFIX/lib/pkgconfig/weft.pc         pkg-config --cflags --libs weft
#   PREFIX/lib/pkgconfig/weft-plugin.pc  pkg-config --cflags --libs weft-plugin
#   PREFIX/share/doc/weft/               README.md, weft.env (an example configuration)
#
# With --systemd, also the units (weft-scheduler.service, weft-worker@.service) into
# /etc/systemd/system with ExecStart pointing into PREFIX, /etc/weft/weft.env (kept if it
# exists), the system user `weft`, and a `systemctl daemon-reload`. --systemd-root DIR
# stages the units and env file under DIR instead, touching nothing else (no user, no
# reload): for packaging and tests.
#
# --from-bazel-bin DIR installs what an earlier build left in DIR (bazel-bin, or a test's
# runfiles tree, which holds the built files at their package paths) without running bazel.
#
# Usage: deploy/install.sh [--prefix PREFIX] [--systemd | --systemd-root DIR]
#                          [--from-bazel-bin DIR]
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

prefix=/usr/local
systemd=false
systemd_root=/
bazel_bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --systemd) systemd=true; shift ;;
    --systemd-root) systemd=true; systemd_root="${2:?--systemd-root needs a directory}"; shift 2 ;;
    --systemd-root=*) systemd=true; systemd_root="${1#*=}"; shift ;;
    --from-bazel-bin) bazel_bin="${2:?--from-bazel-bin needs a directory}"; shift 2 ;;
    --from-bazel-bin=*) bazel_bin="${1#*=}"; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
done
case "$prefix" in
  /*) ;;
  *) prefix="$(pwd)/$prefix" ;;
esac
prefix="${prefix%/}"

# The source tree: units and docs are read from here.
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Built files, relative to bazel-bin, and their Bazel targets. //deploy:public_headers
# gathers the public libraries' headers in deploy/include/weft/.
BINARIES=(scheduler/weft-scheduler worker/weft-worker client/weft)
LIBRARIES=(deploy/libweft.so deploy/libweft_plugin.a)
TARGETS=(//scheduler:weft-scheduler //worker:weft-worker //client:weft
         //deploy:weft //deploy:libweft_plugin //deploy:public_headers)

if [ -z "$bazel_bin" ]; then
  echo "install.sh: building ${TARGETS[*]}"
  (cd "$src" && bazel build -c opt "${TARGETS[@]}")
  bazel_bin="$(cd "$src" && bazel info -c opt bazel-bin)"
fi

for f in "${BINARIES[@]}" "${LIBRARIES[@]}"; do
  [ -f "$bazel_bin/$f" ] || { echo "install.sh: missing $bazel_bin/$f" >&2; exit 1; }
done
headers=("$bazel_bin"/deploy/include/weft/*.h)
[ -f "${headers[0]}" ] || { echo "install.sh: no headers in $bazel_bin/deploy/include/weft" >&2; exit 1; }

echo "install.sh: installing into $prefix"
install -d "$prefix/bin" "$prefix/include/weft" "$prefix/lib/pkgconfig" "$prefix/share/doc/weft"
for f in "${BINARIES[@]}"; do install -m 0755 "$bazel_bin/$f" "$prefix/bin/"; done
install -m 0755 "$bazel_bin/deploy/libweft.so" "$prefix/lib/"
install -m 0644 "$bazel_bin/deploy/libweft_plugin.a" "$prefix/lib/"
install -m 0644 "${headers[@]}" "$prefix/include/weft/"
install -m 0644 "$src/deploy/weft.env" "$prefix/share/doc/weft/"
# Not in a test's runfiles (the root package does not export it).
if [ -f "$src/README.md" ]; then install -m 0644 "$src/README.md" "$prefix/share/doc/weft/"; fi

version="$("$prefix/bin/weft" --version | grep -o '[0-9][0-9.]*' | head -n 1)"
version="${version:-0}"

# Requires: what the public headers include (absl status, time, strings). grpc++ and
# protobuf only in Requires.private: libweft.so links them itself (NEEDED entries) and no
# header mentions them; their cflags still apply (`pkg-config --cflags` includes private
# requirements), and `--static` users get their libraries. Libs carries an rpath to libdir,
# so that a program linked with `pkg-config --libs weft` runs from any prefix without
# LD_LIBRARY_PATH; libweft.so in turn finds the daemons in ../bin beside itself.
cat > "$prefix/lib/pkgconfig/weft.pc" <<EOF
prefix=$prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include
bindir=\${exec_prefix}/bin

Name: weft
Description: Weft client library: submit tasks to a weft cluster, futures, Bag
Version: $version
Requires: absl_status absl_statusor absl_time absl_strings
Requires.private: grpc++ protobuf
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lweft
Cflags: -I\${includedir}
EOF

cat > "$prefix/lib/pkgconfig/weft-plugin.pc" <<EOF
prefix=$prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: weft-plugin
Description: Weft task functions (weft/function.h, WEFT_FUNCTION) for plugins that weft-worker --preload loads
Version: $version
Requires: absl_status absl_statusor absl_strings
Libs: -L\${libdir} -lweft_plugin
Cflags: -I\${includedir}
EOF

if $systemd; then
  root="${systemd_root%/}"
  unit_dir="$root/etc/systemd/system"
  etc_dir="$root/etc/weft"
  echo "install.sh: installing systemd units into $unit_dir, configuration into $etc_dir"
  install -d "$unit_dir" "$etc_dir"
  for unit in weft-scheduler.service weft-worker@.service; do
    sed -e "s|/usr/local/|$prefix/|g" "$src/deploy/$unit" > "$unit_dir/$unit"
    chmod 0644 "$unit_dir/$unit"
  done
  if [ -e "$etc_dir/weft.env" ]; then
    echo "install.sh: keeping the existing $etc_dir/weft.env"
  else
    install -m 0600 "$src/deploy/weft.env" "$etc_dir/weft.env"  # may hold secrets
  fi
  if [ -z "$root" ]; then
    if ! id -u weft >/dev/null 2>&1; then
      useradd --system --user-group --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin weft
    fi
    if [ -d /run/systemd/system ]; then
      systemctl daemon-reload
    fi
    echo "install.sh: start with: systemctl enable --now weft-scheduler weft-worker@1"
  fi
fi
echo "install.sh: done"
