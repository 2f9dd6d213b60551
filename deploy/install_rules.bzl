"""Rules for what deploy/install.sh installs.

cc_whole_shared_library: one shared library holding every object of its deps.

    cc_whole_shared_library(name = "weft", deps = ["//client"])   # -> libweft.so

A `cc_binary(linkshared = True)` links its deps' archives lazily (gold's --start-lib, or
plain archives without --whole-archive), so members that nothing in the binary refers to,
which is all of them when the binary has no sources, are dropped. This rule re-declares
every static library of the deps' transitive closure as alwayslink, which the link wraps in
--whole-archive, and keeps the user link flags (the system libraries' -l options, from
pkg-config) so those stay dynamic dependencies of the result.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")

def _public_headers_impl(ctx):
    # direct_public_headers holds each header twice with strip_include_prefix /
    # include_prefix: the source and its _virtual_includes symlink. Keep the source.
    sources = {}
    for dep in ctx.attr.deps:
        for header in dep[CcInfo].compilation_context.direct_public_headers:
            if not header.is_source:
                continue
            seen = sources.get(header.basename)
            if seen and seen.path != header.path:
                fail("%s and %s would both install as %s/%s" %
                     (seen.path, header.path, ctx.attr.include_dir, header.basename))
            sources[header.basename] = header
    headers = []
    for basename, source in sorted(sources.items()):
        out = ctx.actions.declare_file("%s/%s" % (ctx.attr.include_dir, basename))
        ctx.actions.symlink(output = out, target_file = source)
        headers.append(out)
    return [DefaultInfo(files = depset(headers), runfiles = ctx.runfiles(files = headers))]

# public_headers(name, deps, include_dir): the public headers (hdrs) of `deps`, gathered
# flat under <package>/<include_dir>/ in bazel-bin, as they are installed. So a header added
# to a public library's hdrs is installed with no list to update.
public_headers = rule(
    implementation = _public_headers_impl,
    attrs = {
        "deps": attr.label_list(providers = [CcInfo]),
        "include_dir": attr.string(default = "include/weft"),
    },
)

def _whole(ctx, feature_configuration, cc_toolchain, linker_input):
    libraries = []
    for library in linker_input.libraries:
        archive = library.pic_static_library or library.static_library
        if archive == None:
            libraries.append(library)  # a prebuilt shared library: as it is
            continue
        libraries.append(cc_common.create_library_to_link(
            actions = ctx.actions,
            feature_configuration = feature_configuration,
            cc_toolchain = cc_toolchain,
            pic_static_library = archive,
            alwayslink = True,
        ))
    return cc_common.create_linker_input(
        owner = linker_input.owner,
        libraries = depset(libraries),
        user_link_flags = depset(linker_input.user_link_flags),
        additional_inputs = depset(linker_input.additional_inputs),
    )

def _cc_whole_shared_library_impl(ctx):
    cc_toolchain = find_cpp_toolchain(ctx)
    feature_configuration = cc_common.configure_features(
        ctx = ctx,
        cc_toolchain = cc_toolchain,
        requested_features = ctx.features,
        unsupported_features = ctx.disabled_features,
    )
    linker_inputs = []
    for dep in ctx.attr.deps:
        for linker_input in dep[CcInfo].linking_context.linker_inputs.to_list():
            linker_inputs.append(_whole(ctx, feature_configuration, cc_toolchain, linker_input))
    linking_context = cc_common.create_linking_context(
        linker_inputs = depset(linker_inputs, order = "topological"),
    )
    outputs = cc_common.link(
        actions = ctx.actions,
        feature_configuration = feature_configuration,
        cc_toolchain = cc_toolchain,
        linking_contexts = [linking_context],
        name = ctx.label.name,
        output_type = "dynamic_library",
        link_deps_statically = True,
        user_link_flags = ["-Wl,-soname,lib%s.so" % ctx.label.name],
    )
    library = outputs.library_to_link.resolved_symlink_dynamic_library or \
              outputs.library_to_link.dynamic_library
    return [DefaultInfo(files = depset([library]), runfiles = ctx.runfiles(files = [library]))]

cc_whole_shared_library = rule(
    implementation = _cc_whole_shared_library_impl,
    attrs = {
        "deps": attr.label_list(providers = [CcInfo]),
        "_cc_toolchain": attr.label(default = "@bazel_tools//tools/cpp:current_cc_toolchain"),
    },
    fragments = ["cpp"],
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
)
