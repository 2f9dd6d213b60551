"""cc_grpc_library: C++ messages and gRPC stubs from a .proto, with Debian's protoc and
grpc_cpp_plugin (no protobuf or gRPC Bazel rules needed, so the build stays offline)."""

def cc_grpc_library(name, src, deps = [], **kwargs):
    base = src[:-len(".proto")]
    pkg = native.package_name()
    outs = [base + ext for ext in [".pb.h", ".pb.cc", ".grpc.pb.h", ".grpc.pb.cc"]]
    native.genrule(
        name = name + "_codegen",
        srcs = [src],
        outs = outs,
        cmd = ("protoc --proto_path=. --cpp_out=$(GENDIR) --grpc_out=$(GENDIR) " +
               "--plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin) " +
               "%s/%s") % (pkg, src),
    )
    native.cc_library(
        name = name,
        srcs = [base + ".pb.cc", base + ".grpc.pb.cc"],
        hdrs = [base + ".pb.h", base + ".grpc.pb.h"],
        deps = deps + ["@grpc//:lib"],
        **kwargs
    )
