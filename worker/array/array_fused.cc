#include "worker/array/array_fused.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/array/array_kernels.h"
#include "worker/array/array_random.h"
#include "worker/array/array_reduce.h"

namespace weft::array {
namespace {

// How often (in blocks) the evaluator looks at the cancel flag.
constexpr int kBlocksPerCancelCheck = 64;

// A block-sized buffer, 64-byte aligned.
struct alignas(64) BlockBuffer {
  char bytes[kBlockElements * 8];
};

// Whether the chunk can be evaluated as one row of rows*cols elements.
bool CanFlatten(const Program& p) {
  if (p.rows <= 1) return false;
  if (p.reduce.has_value() && p.reduce->axis != Axis::kAll) return false;
  for (const Instr& instr : p.code) {
    if (!IsLeaf(instr.op) || instr.op == Op::kScalar) continue;
    if (instr.brow || instr.bcol) return false;
    if (instr.op != Op::kInput && instr.gen.gcols != p.cols) return false;
  }
  return true;
}

class Evaluator {
 public:
  Evaluator(const Program& program, const ValueList& inputs) : program_(program), inputs_(inputs) {}

  absl::StatusOr<Value> Run(const TaskContext& context);

 private:
  void AssignBuffers();
  // Evaluates every register for the block (row, col) .. (row, col + n); the last one
  // into `final_out` when it is not null.
  absl::Status EvalBlock(int64_t row, int64_t col, size_t n, char* final_out);
  const char* EvalLeaf(const Instr& instr, char* out, int64_t row, int64_t col, size_t n);
  void Generate(const Instr& instr, char* out, int64_t row, int64_t col, size_t n);

  // Constant after construction.
  const Program& program_;
  const ValueList& inputs_;
  int64_t rows_ = 0, cols_ = 0;  // as evaluated (flattened or not)

  std::vector<BlockBuffer> buffers_;
  std::vector<int> buffer_of_;           // register → buffer index, or -1 (read in place)
  std::vector<const char*> current_;     // register → this block's elements
  std::vector<const char*> input_data_;  // input k → its bytes
};

void Evaluator::AssignBuffers() {
  const std::vector<Instr>& code = program_.code;
  const int count = static_cast<int>(code.size());
  std::vector<int> last_use(count, -1);
  for (int i = 0; i < count; ++i) {
    for (int operand : {code[i].a, code[i].b, code[i].c}) {
      if (operand >= 0) last_use[operand] = i;
    }
  }
  buffer_of_.assign(count, -1);
  std::vector<int> free_list;
  int num_buffers = 0;
  for (int i = 0; i < count; ++i) {
    const Instr& instr = code[i];
    const bool in_place = instr.op == Op::kInput && !instr.bcol;
    if (!in_place) {
      // A scalar is filled once, before the first block: its buffer is never shared.
      if (free_list.empty() || instr.op == Op::kScalar) {
        buffer_of_[i] = num_buffers++;
      } else {
        buffer_of_[i] = free_list.back();
        free_list.pop_back();
      }
    }
    // Operands read for the last time free their buffers after this result has one, so
    // no kernel writes over its own operand. Scalars keep theirs: they are filled once.
    for (int operand : {instr.a, instr.b, instr.c}) {
      if (operand < 0 || last_use[operand] != i || buffer_of_[operand] < 0) continue;
      if (code[operand].op == Op::kScalar) continue;
      if (std::find(free_list.begin(), free_list.end(), buffer_of_[operand]) == free_list.end()) {
        free_list.push_back(buffer_of_[operand]);
      }
    }
  }
  buffers_.resize(num_buffers);
  current_.assign(count, nullptr);
  for (int i = 0; i < count; ++i) {
    if (code[i].op == Op::kScalar) {
      char* out = buffers_[buffer_of_[i]].bytes;
      const void* value = code[i].dtype == DType::kF64 ? static_cast<const void*>(&code[i].f)
                                                       : static_cast<const void*>(&code[i].i);
      if (code[i].dtype == DType::kBool) {
        std::memset(out, code[i].i != 0 ? 1 : 0, kBlockElements);
      } else {
        kernels::Fill(code[i].dtype, value, out, kBlockElements);
      }
      current_[i] = out;
    }
  }
}

void Evaluator::Generate(const Instr& instr, char* out, int64_t row, int64_t col, size_t n) {
  const GeneratorParams& gen = instr.gen;
  const int64_t grow = gen.r0 + (instr.brow ? 0 : row);
  const int64_t g0 = grow * gen.gcols + gen.c0 + (instr.bcol ? 0 : col);
  const size_t count = instr.bcol ? 1 : n;  // one value, then filled
  switch (instr.op) {
    case Op::kArange:
      if (instr.dtype == DType::kI64) {
        for (size_t j = 0; j < count; ++j) {
          const uint64_t g = static_cast<uint64_t>(g0) + j;
          const int64_t v = static_cast<int64_t>(static_cast<uint64_t>(gen.istart) +
                                                 g * static_cast<uint64_t>(gen.istep));
          std::memcpy(out + 8 * j, &v, 8);
        }
      } else {
        double* d = reinterpret_cast<double*>(out);
        for (size_t j = 0; j < count; ++j)
          d[j] = gen.start + static_cast<double>(g0 + j) * gen.step;
      }
      break;
    case Op::kLinspace: {
      double* d = reinterpret_cast<double*>(out);
      for (size_t j = 0; j < count; ++j) {
        const int64_t g = g0 + static_cast<int64_t>(j);
        d[j] = g == gen.num - 1 ? gen.stop : static_cast<double>(g) * gen.step + gen.start;
      }
      break;
    }
    case Op::kUniform:
      UniformBlock(gen.seed, static_cast<uint64_t>(g0), gen.p0, gen.p1,
                   reinterpret_cast<double*>(out), count);
      break;
    default:  // normal
      NormalBlock(gen.seed, static_cast<uint64_t>(g0), gen.p0, gen.p1,
                  reinterpret_cast<double*>(out), count);
      break;
  }
  if (instr.bcol && n > 1) kernels::Fill(instr.dtype, out, out, n);
}

const char* Evaluator::EvalLeaf(const Instr& instr, char* out, int64_t row, int64_t col, size_t n) {
  if (instr.op == Op::kScalar) return out;  // filled once
  if (instr.op != Op::kInput) {
    Generate(instr, out, row, col, n);
    return out;
  }
  const size_t size = ElementSize(instr.dtype);
  // Flattened evaluation has no broadcast leaves: row is 0 and col the flat position.
  const int64_t leaf_cols = instr.bcol ? 1 : cols_;
  const int64_t offset = (instr.brow ? 0 : row) * leaf_cols + (instr.bcol ? 0 : col);
  const char* at = input_data_[instr.input] + offset * size;
  if (!instr.bcol) return at;
  kernels::Fill(instr.dtype, at, out, n);
  return out;
}

absl::Status Evaluator::EvalBlock(int64_t row, int64_t col, size_t n, char* final_out) {
  const std::vector<Instr>& code = program_.code;
  const size_t last = code.size() - 1;
  for (size_t i = 0; i < code.size(); ++i) {
    const Instr& instr = code[i];
    char* out = buffer_of_[i] >= 0 ? buffers_[buffer_of_[i]].bytes : nullptr;
    if (i == last && final_out != nullptr && !IsLeaf(instr.op)) out = final_out;
    const char* a = instr.a >= 0 ? current_[instr.a] : nullptr;
    const char* b = instr.b >= 0 ? current_[instr.b] : nullptr;
    switch (instr.op) {
      case Op::kInput:
      case Op::kScalar:
      case Op::kArange:
      case Op::kLinspace:
      case Op::kUniform:
      case Op::kNormal:
        current_[i] = EvalLeaf(instr, out, row, col, n);
        continue;
      case Op::kCast:
        kernels::Cast(instr.operand_dtype, instr.dtype, a, out, n);
        break;
      case Op::kWhere:
        kernels::Where(instr.dtype, reinterpret_cast<const uint8_t*>(current_[instr.c]), a, b, out,
                       n);
        break;
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe:
      case Op::kEq:
      case Op::kNe:
        kernels::Compare(instr.op, instr.operand_dtype, a, b, reinterpret_cast<uint8_t*>(out), n);
        break;
      case Op::kNeg:
      case Op::kAbs:
      case Op::kSqrt:
      case Op::kExp:
      case Op::kLog:
      case Op::kSin:
      case Op::kCos:
      case Op::kInvert:
        kernels::Unary(instr.op, instr.dtype, a, out, n);
        break;
      default:  // binary
        if (instr.op == Op::kPow && instr.dtype == DType::kI64 &&
            kernels::AnyNegative(reinterpret_cast<const int64_t*>(b), n)) {
          return absl::InvalidArgumentError("Integers to negative integer powers are not allowed.");
        }
        kernels::Binary(instr.op, instr.dtype, a, b, out, n);
        break;
    }
    current_[i] = out;
  }
  if (final_out != nullptr && current_[last] != final_out) {
    std::memcpy(final_out, current_[last], n * ElementSize(code[last].dtype));
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> Evaluator::Run(const TaskContext& context) {
  WEFT_RETURN_IF_ERROR(CheckInputs(program_, inputs_));
  input_data_.resize(inputs_.size());
  for (size_t k = 0; k < inputs_.size(); ++k) input_data_[k] = ChunkData(inputs_[k]);
  const bool flat = CanFlatten(program_);
  rows_ = flat ? 1 : program_.rows;
  cols_ = flat ? program_.rows * program_.cols : program_.cols;
  AssignBuffers();

  const DType out_dtype = program_.out_dtype();
  const size_t total = static_cast<size_t>(program_.rows * program_.cols);
  std::optional<Reducer> reducer;
  std::shared_ptr<char[]> out;
  if (program_.reduce.has_value()) {
    reducer.emplace(*program_.reduce, out_dtype, program_.rows, program_.cols);
  } else {
    out = std::shared_ptr<char[]>(new char[std::max<size_t>(total * ElementSize(out_dtype), 1)]);
  }
  int blocks = 0;
  for (int64_t row = 0; row < rows_; ++row) {
    for (int64_t col = 0; col < cols_; col += kBlockElements) {
      if (++blocks % kBlocksPerCancelCheck == 0 && context.cancelled()) {
        return absl::CancelledError(
            absl::StrCat("array.fused: task ", context.key(), " was cancelled"));
      }
      const size_t n = static_cast<size_t>(std::min<int64_t>(kBlockElements, cols_ - col));
      char* final_out = out ? out.get() + (row * cols_ + col) * ElementSize(out_dtype) : nullptr;
      WEFT_RETURN_IF_ERROR(EvalBlock(row, col, n, final_out));
      if (reducer) reducer->Add(current_.back(), row, col, n);
    }
  }
  if (reducer) return std::move(*reducer).Finish();
  return MakeChunk(out_dtype, std::move(out), total);
}

}  // namespace

absl::StatusOr<Value> RunFused(const Program& program, const ValueList& inputs,
                               const TaskContext& context) {
  return Evaluator(program, inputs).Run(context);
}

Value MakeChunk(DType dtype, std::shared_ptr<char[]> bytes, size_t num_elements) {
  const std::string_view view(bytes.get(), num_elements * ElementSize(dtype));
  Buffer buffer(std::shared_ptr<const void>(std::move(bytes)), view);
  switch (dtype) {
    case DType::kF64:
      return Value(DoubleArray{std::move(buffer)});
    case DType::kI64:
      return Value(Int64Array{std::move(buffer)});
    case DType::kBool:
      return Value(BoolArray{std::move(buffer)});
  }
  return Value();
}

const char* ChunkData(const Value& chunk) {
  switch (chunk.kind()) {
    case ValueKind::kDoubleArray:
      return chunk.as_double_array().data.data();
    case ValueKind::kInt64Array:
      return chunk.as_int64_array().data.data();
    case ValueKind::kBoolArray:
      return chunk.as_bool_array().data.data();
    default:
      return nullptr;
  }
}

}  // namespace weft::array
