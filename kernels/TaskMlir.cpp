// Tasks as MLIR functions (see TaskMlir.h).
#include "kernels/TaskMlir.h"

#include "kernels/Arrays.h"
#include "kernels/Plan.h"

#include <sstream>

namespace tessel {

namespace {

/// The MLIR element type of a signature's type name (s8 is signless i8:
/// linalg's integer ops are signed).
std::string mlirType(const std::string &t) {
  return t == "s8" ? "i8" : t;
}

std::string tensorType(const std::vector<int64_t> &shape, const std::string &elem) {
  std::string t = "tensor<";
  for (int64_t d : shape)
    t += std::to_string(d) + "x";
  return t + mlirType(elem) + ">";
}

std::string tensorType(const ArraySpec &a) { return tensorType(a.shape, a.type); }

/// `text` as the body of an MLIR string literal.
std::string escaped(const std::string &text) {
  std::string s;
  for (char c : text) {
    if (c == '"' || c == '\\')
      s += '\\';
    s += c;
  }
  return s;
}

std::string pair(const std::array<int64_t, 2> &v) {
  return "dense<[" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + "]> : tensor<2xi64>";
}

/// Writes the function body; `out` is the output's type, `arrays` the
/// task's arrays.
class Emitter {
public:
  Emitter(const TaskSignature &task, std::vector<ArraySpec> arrays, std::string attrs)
      : task_(task), arrays_(std::move(arrays)), attrs_(std::move(attrs)),
        out_(tensorType(arrays_.back())), inElem_(mlirType(arrays_[0].type)),
        outElem_(mlirType(arrays_.back().type)) {}

  std::string function(const std::string &name) {
    b_ << "func.func @" << name << "(";
    for (size_t i = 0; i + 1 < arrays_.size(); ++i)
      b_ << (i ? ", " : "") << "%" << arrays_[i].name << ": " << tensorType(arrays_[i]);
    b_ << ") -> " << out_ << " {\n";
    bool pool = task_.family == OpFamily::PoolMax, f32 = outElem_ == "f32";
    // The neutral element of the op: what padding and the init hold.
    b_ << "  %neutral = arith.constant "
       << (pool ? "-3.40282347E+38" : f32 ? "0.000000e+00" : "0") << " : " << outElem_ << "\n";
    if (!f32)
      b_ << "  %pad = arith.constant 0 : " << inElem_ << "\n";
    b_ << "  %empty = tensor.empty() : " << out_ << "\n"
       << "  %init = linalg.fill ins(%neutral : " << outElem_ << ") outs(%empty : " << out_
       << ") -> " << out_ << "\n";
    std::string result = op(input());
    result = epilogue(result);
    b_ << "  return " << result << " : " << out_ << "\n}\n";
    return b_.str();
  }

private:
  bool windowed() const {
    return task_.family != OpFamily::Matmul && task_.family != OpFamily::BatchMatmul;
  }

  /// The input, padded when the task says so.
  std::string input() {
    if (!windowed() || task_.pad == std::array<int64_t, 4>{0, 0, 0, 0})
      return "%input";
    std::vector<int64_t> shape = arrays_[0].shape;
    shape[1] += task_.pad[0] + task_.pad[2];
    shape[2] += task_.pad[1] + task_.pad[3];
    bool f32 = inElem_ == "f32";
    b_ << "  %padded = tensor.pad %input low[0, " << task_.pad[0] << ", " << task_.pad[1]
       << ", 0] high[0, " << task_.pad[2] << ", " << task_.pad[3] << ", 0] {\n"
       << "  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):\n"
       << "    tensor.yield " << (f32 ? "%neutral" : "%pad") << " : " << inElem_ << "\n"
       << "  } : " << tensorType(arrays_[0]) << " to " << tensorType(shape, arrays_[0].type)
       << "\n";
    paddedType_ = tensorType(shape, arrays_[0].type);
    return "%padded";
  }

  std::string op(const std::string &in) {
    std::string inType = paddedType_.empty() ? tensorType(arrays_[0]) : paddedType_;
    std::string window = "strides = " + pair(task_.stride) + ", dilations = " +
                         pair(task_.dilation);
    std::string name, second = "%weights", secondType;
    switch (task_.family) {
    case OpFamily::Matmul:
      name = "linalg.matmul";
      window.clear();
      break;
    case OpFamily::BatchMatmul:
      name = "linalg.batch_matmul";
      window.clear();
      break;
    case OpFamily::Conv2d:
      name = "linalg.conv_2d_nhwc_hwcf";
      break;
    case OpFamily::DepthwiseConv2d:
      name = "linalg.depthwise_conv_2d_nhwc_hwc";
      break;
    default: // max pooling: the second operand is the window's shape
      name = "linalg.pooling_nhwc_max";
      b_ << "  %window = tensor.empty() : tensor<" << task_.dim("kh") << "x"
         << task_.dim("kw") << "xf32>\n";
      second = "%window";
      secondType = "tensor<" + std::to_string(task_.dim("kh")) + "x" +
                   std::to_string(task_.dim("kw")) + "xf32>";
      break;
    }
    if (secondType.empty())
      secondType = tensorType(arrays_[1]);
    std::string attrs = window;
    if (!attrs_.empty())
      attrs += (attrs.empty() ? "" : ", ") + attrs_;
    b_ << "  %op = " << name << (attrs.empty() ? "" : " {" + attrs + "}") << " ins(" << in
       << ", " << second << " : " << inType << ", " << secondType << ") outs(%init : "
       << out_ << ") -> " << out_ << "\n";
    return "%op";
  }

  /// The epilogue as one elementwise generic (what the front end's fusion
  /// makes of a chain), or `value` when there is none.
  std::string epilogue(const std::string &value) {
    if (task_.epilogue.empty())
      return value;
    size_t rank = arrays_.back().shape.size();
    std::string dims, last = "d" + std::to_string(rank - 1), iters;
    for (size_t i = 0; i < rank; ++i) {
      dims += (i ? ", " : "") + std::string("d") + std::to_string(i);
      iters += std::string(i ? ", " : "") + "\"parallel\"";
    }
    std::string id = "affine_map<(" + dims + ") -> (" + dims + ")>";
    std::string channel = "affine_map<(" + dims + ") -> (" + last + ")>";
    std::vector<std::string> ins = {value}, types = {out_}, maps = {id}, args = {"%x"};
    for (const ArraySpec &a : arrays_) {
      if (a.name == "bias" || a.name == "residual") {
        ins.push_back("%" + a.name);
        types.push_back(tensorType(a));
        maps.push_back(a.name == "bias" ? channel : id);
        args.push_back("%" + a.name + "_v");
      }
    }
    maps.push_back(id);
    auto join = [](const std::vector<std::string> &v) {
      std::string s;
      for (size_t i = 0; i < v.size(); ++i)
        s += (i ? ", " : "") + v[i];
      return s;
    };
    b_ << "  %zero = arith.constant 0.000000e+00 : f32\n"
       << "  %six = arith.constant 6.000000e+00 : f32\n"
       << "  %epilogue = linalg.generic {indexing_maps = [" << join(maps)
       << "], iterator_types = [" << iters << "]} ins(" << join(ins) << " : "
       << join(types) << ") outs(%empty : " << out_ << ") {\n  ^bb0(";
    for (const std::string &a : args)
      b_ << a << ": f32, ";
    b_ << "%o: f32):\n";
    std::string cur = "%x";
    int n = 0;
    auto next = [&](const std::string &expr) {
      std::string v = "%e" + std::to_string(n++);
      b_ << "    " << v << " = " << expr << " : f32\n";
      cur = v;
    };
    for (const std::string &step : task_.epilogue) {
      if (step == "bias")
        next("arith.addf " + cur + ", %bias_v");
      else if (step == "add")
        next("arith.addf " + cur + ", %residual_v");
      else if (step == "relu")
        next("arith.maximumf " + cur + ", %zero");
      else { // relu6
        next("arith.maximumf " + cur + ", %zero");
        next("arith.minimumf " + cur + ", %six");
      }
    }
    b_ << "    linalg.yield " << cur << " : f32\n  } -> " << out_ << "\n";
    return "%epilogue";
  }

  const TaskSignature &task_;
  std::vector<ArraySpec> arrays_;
  std::string attrs_, out_, inElem_, outElem_, paddedType_;
  std::ostringstream b_;
};

} // namespace

Result<std::string> taskFunctionMlir(const TaskSignature &task, const std::string &name,
                                     const std::optional<Schedule> &schedule) {
  if (!realizes(Realizer::Mlir, task))
    return makeError("the MLIR realizer has no kernel for `" + task.canonical() + "`");
  std::string attrs;
  if (schedule)
    attrs = "tessel.schedule = \"" + escaped(schedule->canonicalJson()) + "\"";
  return Emitter(task, kernelArrays(task), attrs).function(name);
}

std::string mlirModule(const std::vector<std::string> &functions) {
  std::string m = "module {\n";
  for (const std::string &f : functions)
    m += f;
  return m + "}\n";
}

} // namespace tessel
