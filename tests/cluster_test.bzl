"""cluster_test: a cross-process test of NAME.cc against the real binaries on loopback."""

# What every cross-process test starts: the scheduler, workers, the weft CLI, a plugin.
BINARIES = [
    "//client:weft",
    "//scheduler:weft-scheduler",
    "//worker:weft-worker",
    "//worker:libexample_plugin.so",
]

def cluster_test(name, size = "medium", data = [], deps = []):
    """A cc_test of NAME.cc with the binaries in its runfiles and the TestCluster fixture.

    Args:
      name: the test; its source is NAME.cc.
      size: Bazel's test size.
      data: runfiles beyond BINARIES (answer scripts, generators).
      deps: libraries beyond the fixture, the client, Catch2's main and Abseil.
    """
    native.cc_test(
        name = name,
        size = size,
        srcs = [name + ".cc"],
        data = BINARIES + data,
        deps = [
            ":test_cluster",
            "//client",
            "//common:catch_main",
            "@absl//:lib",
        ] + deps,
    )
