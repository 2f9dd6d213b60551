"""Turns system libraries found by pkg-config into cc_library targets.

    pkg_config_repository(name = "grpc", modules = ["grpc++"])
    deps = ["@grpc//:lib"]

Header-only libraries with no .pc file (Catch2, CLI11, Boost) need no rule: their
headers are in /usr/include, which the host toolchain already searches.
"""

_DEFAULT_INCLUDE_DIRS = ["/usr/include", "/usr/include/x86_64-linux-gnu"]

def _pkg_config(ctx, flag, modules):
    result = ctx.execute(["pkg-config", flag] + modules)
    if result.return_code != 0:
        fail("pkg-config %s %s failed: %s\nRun ./setup.sh to install the system packages." %
             (flag, " ".join(modules), result.stderr))
    return result.stdout.strip().split(" ")

def _pkg_config_repository_impl(ctx):
    defines = []
    for flag in _pkg_config(ctx, "--cflags", ctx.attr.modules):
        if flag.startswith("-D"):
            defines.append(flag[2:])
        elif flag.startswith("-I") and flag[2:] not in _DEFAULT_INCLUDE_DIRS:
            fail("pkg-config asks for a non-default include dir %s" % flag)
    linkopts = [f for f in _pkg_config(ctx, "--libs", ctx.attr.modules) if f]
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", """\
package(default_visibility = ["//visibility:public"])

cc_library(
    name = "lib",
    defines = {defines},
    linkopts = {linkopts},
)
""".format(defines = repr(defines), linkopts = repr(linkopts)))

pkg_config_repository = repository_rule(
    implementation = _pkg_config_repository_impl,
    attrs = {"modules": attr.string_list(mandatory = True)},
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)
