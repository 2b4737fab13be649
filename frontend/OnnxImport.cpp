// ONNX to linalg-on-tensors MLIR (see OnnxImport.h). Shapes are static:
// each node's output shape is computed here from its inputs' shapes, and
// nodes whose inputs are all constants and whose result is a small integer
// tensor (shape arithmetic: Shape, Gather, Concat, Unsqueeze, ...) are
// evaluated here, so a Reshape's shape is known when it is emitted.
#include "frontend/OnnxImport.h"

#include "frontend/MlirText.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>

namespace tessel {

namespace {

using Shape = std::vector<int64_t>;

int64_t product(const Shape &s, size_t from = 0, size_t to = SIZE_MAX) {
  to = std::min(to, s.size());
  from = std::min(from, to);
  return std::accumulate(s.begin() + static_cast<long>(from),
                         s.begin() + static_cast<long>(to), int64_t(1),
                         std::multiplies<>());
}

std::string shapeText(const Shape &s) {
  std::string t;
  for (size_t i = 0; i < s.size(); ++i)
    t += (i ? "x" : "") + std::to_string(s[i]);
  return s.empty() ? "scalar" : t;
}

/// Elements a tensor may have: 2^32 (16 GiB of f32).
constexpr long double kMaxElements = 4294967296.0L;

/// Ok when every dimension is at least 1 and the tensor is not absurdly
/// large; `what` names it in the error.
Status checkShape(const Shape &s, const std::string &what,
                  bool allowEmpty = false) {
  long double n = 1;
  for (int64_t d : s) {
    if (d < (allowEmpty ? 0 : 1))
      return makeError(what + " has a dimension of " + std::to_string(d) +
                       ": zero-size and negative dimensions are not supported");
    n *= static_cast<long double>(d);
  }
  if (n > kMaxElements)
    return makeError(what + " (" + shapeText(s) +
                     ") has more than 2^32 elements");
  return Status::ok();
}

/// A value of the graph: an SSA value of the function, or a constant kept
/// here (initializers, Constant nodes, folded shape arithmetic) until an op
/// needs it as a tensor.
struct Value {
  std::string ssa; ///< empty for a constant not yet materialized
  Shape shape;
  std::string type = "f32"; ///< element type: f32, i64 (constants only)
  bool isConst = false;
  std::vector<double> data; ///< constants: row-major elements
};

/// The element type name of an ONNX TensorProto data type, or "".
std::string elementType(int dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return "f32";
  case onnx::TensorProto::INT64:
    return "i64";
  case onnx::TensorProto::INT32:
    return "i32";
  case onnx::TensorProto::BOOL:
    return "i1";
  case onnx::TensorProto::DOUBLE:
    return "f64";
  default:
    return "";
  }
}

template <typename T>
void readRaw(const std::string &raw, std::vector<double> &out) {
  size_t n = raw.size() / sizeof(T);
  out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(v);
  }
}

/// A TensorProto as a constant Value; f64 and integer data become f32 and
/// i64.
Result<Value> constantOf(const onnx::TensorProto &t, const std::string &what) {
  Value v;
  v.isConst = true;
  for (int64_t d : t.dims())
    v.shape.push_back(d);
  std::string type = elementType(t.data_type());
  // Integer constants (shapes, axes) may be empty lists.
  if (Status s = checkShape(v.shape, what, type != "f32" && type != "f64"); !s)
    return makeError(s.message());
  if (type.empty())
    return makeError(what + ": tensor element type " +
                     std::to_string(t.data_type()) +
                     " is not supported (f32, f64, i64, i32, bool)");
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return makeError(what +
                     ": external tensor data is not supported; save the model "
                     "with its weights inside");
  bool raw = t.has_raw_data();
  if (type == "f32" || type == "f64") {
    v.type = "f32";
    if (raw && type == "f32")
      readRaw<float>(t.raw_data(), v.data);
    else if (raw)
      readRaw<double>(t.raw_data(), v.data);
    else if (type == "f32")
      v.data.assign(t.float_data().begin(), t.float_data().end());
    else
      v.data.assign(t.double_data().begin(), t.double_data().end());
  } else {
    v.type = "i64";
    if (raw && type == "i64")
      readRaw<int64_t>(t.raw_data(), v.data);
    else if (raw && type == "i32")
      readRaw<int32_t>(t.raw_data(), v.data);
    else if (raw)
      readRaw<uint8_t>(t.raw_data(), v.data);
    else if (type == "i64")
      v.data.assign(t.int64_data().begin(), t.int64_data().end());
    else
      v.data.assign(t.int32_data().begin(), t.int32_data().end());
  }
  if (static_cast<int64_t>(v.data.size()) != product(v.shape))
    return makeError(what + ": " + std::to_string(v.data.size()) +
                     " elements for shape " + shapeText(v.shape));
  return v;
}

/// Numpy broadcasting of two shapes, or nullopt.
std::optional<Shape> broadcast(const Shape &a, const Shape &b) {
  Shape out(std::max(a.size(), b.size()));
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t x = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    int64_t y = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    if (x != y && x != 1 && y != 1)
      return std::nullopt;
    out[i] = std::max(x, y);
  }
  return out;
}

class Importer;
using Handler = Status (Importer::*)(const onnx::NodeProto &);

class Importer {
public:
  Importer(const onnx::ModelProto &model, int64_t opset,
           const OnnxImportOptions &o)
      : model_(model), opset_(opset), options_(o) {}

  Result<std::string> run();
  static const std::map<std::string, Handler> &handlers();

private:
  // -- values
  Result<Value *> input(const onnx::NodeProto &n, size_t i);
  bool hasInput(const onnx::NodeProto &n, size_t i) const {
    return static_cast<int>(i) < n.input_size() &&
           !n.input(static_cast<int>(i)).empty();
  }
  Result<std::vector<int64_t>> constInts(const onnx::NodeProto &n, size_t i);
  std::string use(Value &v); ///< its SSA name, materializing a constant
  void define(const onnx::NodeProto &n, Value v, size_t output = 0);
  Status graphInputs();
  Status graphOutputs();
  Status fail(const onnx::NodeProto &n, const std::string &why) const;

  // -- emission helpers
  Value elementwise(const std::vector<Value *> &ins, const Shape &out,
                    const std::function<std::string(
                        MlirBody &, const std::vector<std::string> &)> &body);
  Value unary(
      Value &x,
      const std::function<std::string(MlirBody &, const std::string &)> &body);
  Value reshape(Value &x, const Shape &to);
  /// `x` padded with `value`, or with the f32 SSA value `valueSsa` if given.
  Value padded(Value &x, const Shape &low, const Shape &high, double value,
               const std::string &valueSsa = "");
  Value filled(const Shape &shape, double value);
  Value named(const std::string &op, Value &a, Value &b, const Shape &out,
              double init);
  Value transposed(Value &x, const std::vector<int64_t> &perm);

  // -- ops
  Status convOp(const onnx::NodeProto &n);
  Status gemmOp(const onnx::NodeProto &n);
  Status matmulOp(const onnx::NodeProto &n);
  Status binaryOp(const onnx::NodeProto &n);
  Result<Value> combine(const onnx::NodeProto &n, Value &a, Value &b);
  Status unaryOp(const onnx::NodeProto &n);
  Status clipOp(const onnx::NodeProto &n);
  Status batchNormOp(const onnx::NodeProto &n);
  Status poolOp(const onnx::NodeProto &n);
  Status globalPoolOp(const onnx::NodeProto &n);
  Status reshapeOp(const onnx::NodeProto &n);
  Status transposeOp(const onnx::NodeProto &n);
  Status concatOp(const onnx::NodeProto &n);
  Status softmaxOp(const onnx::NodeProto &n);
  Status reduceMeanOp(const onnx::NodeProto &n);
  Status padOp(const onnx::NodeProto &n);
  Status identityOp(const onnx::NodeProto &n);
  Status constantOp(const onnx::NodeProto &n);
  Status shapeOp(const onnx::NodeProto &n);
  Status gatherOp(const onnx::NodeProto &n);
  Status sliceOp(const onnx::NodeProto &n);

  const onnx::ModelProto &model_;
  int64_t opset_;
  const OnnxImportOptions &options_;
  MlirFunction f_;
  std::map<std::string, Value> values_;
};

// ---------------------------------------------------------------------------
// Attributes

const onnx::AttributeProto *attr(const onnx::NodeProto &n,
                                 const std::string &name) {
  for (const auto &a : n.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}
int64_t attrInt(const onnx::NodeProto &n, const std::string &name,
                int64_t def) {
  auto *a = attr(n, name);
  return a ? a->i() : def;
}
float attrFloat(const onnx::NodeProto &n, const std::string &name, float def) {
  auto *a = attr(n, name);
  return a ? a->f() : def;
}
std::string attrString(const onnx::NodeProto &n, const std::string &name,
                       const std::string &def) {
  auto *a = attr(n, name);
  return a ? a->s() : def;
}
std::vector<int64_t> attrInts(const onnx::NodeProto &n, const std::string &name,
                              const std::vector<int64_t> &def = {}) {
  auto *a = attr(n, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : def;
}

int64_t normalizeAxis(int64_t axis, size_t rank) {
  return axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
}

/// `axis` (negative: from the end) of a tensor of `rank` dimensions, or an
/// error; `extra` admits `rank` itself (Flatten's, Unsqueeze's axes).
Result<size_t> axisOf(int64_t axis, size_t rank, bool extra = false) {
  int64_t a = normalizeAxis(axis, rank);
  if (a < 0 || a > static_cast<int64_t>(rank) ||
      (a == static_cast<int64_t>(rank) && !extra))
    return makeError("axis " + std::to_string(axis) +
                     " is out of range for rank " + std::to_string(rank));
  return static_cast<size_t>(a);
}

// ---------------------------------------------------------------------------
// Values

/// "node `conv1` (Conv" for error messages; unnamed nodes say so.
std::string nodeText(const onnx::NodeProto &n) {
  return (n.name().empty() ? std::string("an unnamed node")
                           : "node `" + n.name() + "`") +
         " (" + n.op_type();
}

Status Importer::fail(const onnx::NodeProto &n, const std::string &why) const {
  return makeError(nodeText(n) + ", opset " + std::to_string(opset_) +
                   "): " + why);
}

Result<Value *> Importer::input(const onnx::NodeProto &n, size_t i) {
  if (!hasInput(n, i))
    return makeError(nodeText(n) + "): input " + std::to_string(i) +
                     " is missing");
  auto it = values_.find(n.input(static_cast<int>(i)));
  if (it == values_.end())
    return makeError(nodeText(n) + "): input `" + n.input(static_cast<int>(i)) +
                     "` is not defined before it");
  return &it->second;
}

Result<std::vector<int64_t>> Importer::constInts(const onnx::NodeProto &n,
                                                 size_t i) {
  auto v = input(n, i);
  if (!v)
    return makeError(v.message());
  if (!(*v)->isConst)
    return makeError(
        fail(n, "input `" + n.input(static_cast<int>(i)) +
                    "` must be a constant (tessel compiles static shapes)")
            .message());
  std::vector<int64_t> out;
  for (double d : (*v)->data)
    out.push_back(static_cast<int64_t>(d));
  return out;
}

std::string Importer::use(Value &v) {
  if (v.ssa.empty())
    v.ssa = f_.constant(v.shape, v.data);
  return v.ssa;
}

void Importer::define(const onnx::NodeProto &n, Value v, size_t output) {
  if (static_cast<int>(output) < n.output_size() &&
      !n.output(static_cast<int>(output)).empty())
    values_[n.output(static_cast<int>(output))] = std::move(v);
}

// ---------------------------------------------------------------------------
// Emission helpers

Value Importer::elementwise(
    const std::vector<Value *> &ins, const Shape &out,
    const std::function<std::string(MlirBody &,
                                    const std::vector<std::string> &)> &body) {
  std::vector<MlirOperand> operands;
  operands.reserve(ins.size());
  for (Value *v : ins)
    operands.push_back({use(*v), v->shape, ""});
  Value r;
  r.shape = out;
  r.ssa = f_.elementwise(operands, out, body);
  return r;
}

Value Importer::unary(
    Value &x,
    const std::function<std::string(MlirBody &, const std::string &)> &body) {
  return elementwise({&x}, x.shape,
                     [&](MlirBody &b, const std::vector<std::string> &a) {
                       return body(b, a[0]);
                     });
}

Value Importer::reshape(Value &x, const Shape &to) {
  Value r;
  r.shape = to;
  if (x.isConst) {
    r.isConst = true;
    r.type = x.type;
    r.data = x.data;
    return r;
  }
  r.ssa = f_.reshape(use(x), x.shape, to);
  return r;
}

Value Importer::padded(Value &x, const Shape &low, const Shape &high,
                       double value, const std::string &valueSsa) {
  if (std::all_of(low.begin(), low.end(), [](int64_t p) { return p == 0; }) &&
      std::all_of(high.begin(), high.end(), [](int64_t p) { return p == 0; }))
    return x;
  Value r;
  for (size_t i = 0; i < x.shape.size(); ++i)
    r.shape.push_back(x.shape[i] + low[i] + high[i]);
  r.ssa = f_.pad(use(x), x.shape, low, high,
                 valueSsa.empty() ? f_.scalar(value) : valueSsa);
  return r;
}

Value Importer::filled(const Shape &shape, double value) {
  Value r;
  r.shape = shape;
  r.ssa = f_.filled(shape, value);
  return r;
}

/// `op` (a named linalg op and its attributes) on `a` and `b`, into a
/// tensor of `out` filled with `init`.
Value Importer::named(const std::string &op, Value &a, Value &b,
                      const Shape &out, double init) {
  Value acc = filled(out, init);
  std::string o = tensorType(out);
  Value r;
  r.shape = out;
  r.ssa = f_.op(op + " ins(" + use(a) + ", " + use(b) + " : " +
                tensorType(a.shape) + ", " + tensorType(b.shape) + ") outs(" +
                acc.ssa + " : " + o + ") -> " + o);
  return r;
}

Value Importer::transposed(Value &x, const std::vector<int64_t> &perm) {
  Value r;
  for (int64_t p : perm)
    r.shape.push_back(x.shape[static_cast<size_t>(p)]);
  if (x.isConst) {
    r.isConst = true;
    r.type = x.type;
    r.data.resize(x.data.size());
    Shape stride(x.shape.size(), 1);
    for (size_t i = x.shape.size(); i-- > 1;)
      stride[i - 1] = stride[i] * x.shape[i];
    Shape idx(r.shape.size(), 0);
    for (size_t o = 0; o < r.data.size(); ++o) {
      int64_t src = 0;
      for (size_t d = 0; d < idx.size(); ++d)
        src += idx[d] * stride[static_cast<size_t>(perm[d])];
      r.data[o] = x.data[static_cast<size_t>(src)];
      for (size_t d = idx.size(); d-- > 0;)
        if (++idx[d] < r.shape[d])
          break;
        else
          idx[d] = 0;
    }
    return r;
  }
  r.ssa = f_.transpose(use(x), x.shape, perm);
  return r;
}

// ---------------------------------------------------------------------------
// Graph

Status Importer::graphInputs() {
  std::set<std::string> initialized;
  for (const auto &t : model_.graph().initializer()) {
    auto v = constantOf(t, "initializer `" + t.name() + "`");
    if (!v)
      return makeError(v.message());
    values_[t.name()] = std::move(*v);
    initialized.insert(t.name());
  }
  for (const auto &given : options_.inputShapes) {
    const std::string &name = given.first;
    if (initialized.count(name) ||
        std::none_of(
            model_.graph().input().begin(), model_.graph().input().end(),
            [&](const onnx::ValueInfoProto &v) { return v.name() == name; }))
      return makeError("--input-shape " + name +
                       ": the model has no such input");
  }
  for (const auto &in : model_.graph().input()) {
    if (initialized.count(in.name()))
      continue;
    const auto &tt = in.type().tensor_type();
    if (elementType(tt.elem_type()) != "f32")
      return makeError(
          "input `" + in.name() + "`: element type " +
          onnx::TensorProto::DataType_Name(
              static_cast<onnx::TensorProto::DataType>(tt.elem_type())) +
          " is not supported (f32 inputs only)");
    Shape shape;
    auto given = options_.inputShapes.find(in.name());
    for (int i = 0; i < tt.shape().dim_size(); ++i) {
      const auto &d = tt.shape().dim(i);
      if (given != options_.inputShapes.end())
        break;
      if (d.has_dim_value() && d.dim_value() == 0)
        return makeError(
            "input `" + in.name() +
            "` has a zero-size dimension: zero-size tensors are not supported");
      if (!d.has_dim_value() || d.dim_value() < 0)
        return makeError("input `" + in.name() + "` has a dynamic dimension `" +
                         d.dim_param() +
                         "`: give its shape with --input-shape " + in.name() +
                         "=" + "1x...");
      shape.push_back(d.dim_value());
    }
    if (given != options_.inputShapes.end()) {
      if (static_cast<int>(given->second.size()) != tt.shape().dim_size())
        return makeError("--input-shape " + in.name() + "=" +
                         shapeText(given->second) + ": the input has rank " +
                         std::to_string(tt.shape().dim_size()));
      shape = given->second;
    }
    if (Status s = checkShape(shape, "input `" + in.name() + "`"); !s)
      return s;
    Value v;
    v.shape = shape;
    v.ssa = f_.argument(shape, in.name());
    values_[in.name()] = v;
  }
  return Status::ok();
}

Status Importer::graphOutputs() {
  std::vector<MlirOperand> results;
  std::vector<std::string> names;
  for (const auto &out : model_.graph().output()) {
    auto it = values_.find(out.name());
    if (it == values_.end())
      return makeError("output `" + out.name() +
                       "` is not computed by the graph");
    if (it->second.type != "f32")
      return makeError("output `" + out.name() +
                       "`: only f32 outputs are supported");
    results.push_back({use(it->second), it->second.shape, ""});
    names.push_back(out.name());
  }
  f_.returns(results, names);
  return Status::ok();
}

Result<std::string> Importer::run() {
  if (Status s = graphInputs(); !s)
    return makeError(s.message());
  const auto &table = handlers();
  for (const auto &n : model_.graph().node()) {
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      return makeError(
          fail(n, "domain `" + n.domain() + "` is not supported").message());
    auto h = table.find(n.op_type());
    if (h == table.end())
      return makeError(
          fail(n, "op type " + n.op_type() + " is not supported").message());
    if (Status s = (this->*(h->second))(n); !s)
      return makeError(s.message());
    for (const std::string &out : n.output())
      if (auto it = values_.find(out); it != values_.end())
        if (Status s =
                checkShape(it->second.shape,
                           "output `" + out + "` of " + nodeText(n) + ")",
                           it->second.isConst && it->second.type == "i64");
            !s)
          return makeError(s.message());
  }
  if (Status s = graphOutputs(); !s)
    return makeError(s.message());
  return f_.module("forward");
}

// ---------------------------------------------------------------------------
// Convolution and pooling

/// A 2-D window attribute (strides, dilations, kernel_shape): two values,
/// each at least 1.
Result<Shape> windowAttr(const onnx::NodeProto &n, const std::string &name,
                         const Shape &def) {
  Shape v = attr(n, name) ? attrInts(n, name) : def;
  if (v.size() != 2 || v[0] < 1 || v[1] < 1)
    return makeError(name +
                     " must be two values of at least 1 for a 2-D window");
  return v;
}

/// [top, left, bottom, right] of a 2-D window op, from pads or auto_pad.
Result<Shape> windowPads(const onnx::NodeProto &n, const Shape &in,
                         const Shape &k, const Shape &stride,
                         const Shape &dilation) {
  std::string autoPad = attrString(n, "auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    Shape p = attrInts(n, "pads", {0, 0, 0, 0});
    if (p.size() != 4 ||
        std::any_of(p.begin(), p.end(), [](int64_t x) { return x < 0; }))
      return makeError("pads must be 4 values of at least 0 for a 2-D window");
    return Shape{p[0], p[1], p[2], p[3]};
  }
  if (autoPad == "VALID")
    return Shape{0, 0, 0, 0};
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return makeError("auto_pad `" + autoPad + "` is not a known mode");
  Shape begin(2), end(2);
  for (size_t i = 0; i < 2; ++i) {
    int64_t out = (in[i + 2] + stride[i] - 1) / stride[i];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * stride[i] + (k[i] - 1) * dilation[i] + 1 - in[i + 2]);
    end[i] = autoPad == "SAME_UPPER" ? total - total / 2 : total / 2;
    begin[i] = total - end[i];
  }
  return Shape{begin[0], begin[1], end[0], end[1]};
}

std::string windowAttrs(const Shape &stride, const Shape &dilation) {
  return "{dilations = dense<" + listText(dilation) +
         "> : vector<2xi64>, strides = dense<" + listText(stride) +
         "> : vector<2xi64>}";
}

Status Importer::convOp(const onnx::NodeProto &n) {
  auto x = input(n, 0), w = input(n, 1);
  if (!x || !w)
    return makeError(!x ? x.message() : w.message());
  Value &xv = **x, &wv = **w;
  if (xv.shape.size() != 4 || wv.shape.size() != 4)
    return fail(n, "1-D and 3-D convolutions are not supported (4-D NCHW input "
                   "and weights only)");
  Shape k = {wv.shape[2], wv.shape[3]};
  auto strideAttr = windowAttr(n, "strides", {1, 1});
  auto dilationAttr = windowAttr(n, "dilations", {1, 1});
  if (!strideAttr || !dilationAttr)
    return fail(n, !strideAttr ? strideAttr.message() : dilationAttr.message());
  Shape stride = *strideAttr, dilation = *dilationAttr;
  auto pads = windowPads(n, xv.shape, k, stride, dilation);
  if (!pads)
    return fail(n, pads.message());
  int64_t group = attrInt(n, "group", 1), c = xv.shape[1], f = wv.shape[0];
  Shape pt = *pads;
  Value padIn = padded(xv, {0, 0, pt[0], pt[1]}, {0, 0, pt[2], pt[3]}, 0.0);
  Shape out = {xv.shape[0], f, 0, 0};
  for (size_t i = 0; i < 2; ++i)
    out[i + 2] =
        (padIn.shape[i + 2] - ((k[i] - 1) * dilation[i] + 1)) / stride[i] + 1;
  if (out[2] <= 0 || out[3] <= 0)
    return fail(n, "the window is larger than the padded input");
  std::string attrs = windowAttrs(stride, dilation);
  Value r;
  if (group == 1) {
    if (wv.shape[1] != c)
      return fail(n, "weights have " + std::to_string(wv.shape[1]) +
                         " input channels, the input " + std::to_string(c));
    r = named("linalg.conv_2d_nchw_fchw " + attrs, padIn, wv, out, 0.0);
  } else if (group == c && f == c && wv.shape[1] == 1) {
    Value dw = reshape(wv, {c, k[0], k[1]});
    r = named("linalg.depthwise_conv_2d_nchw_chw " + attrs, padIn, dw, out,
              0.0);
  } else {
    return fail(n, "grouped convolution with " + std::to_string(group) +
                       " groups is supported only as depthwise (groups = "
                       "channels = filters)");
  }
  if (hasInput(n, 2)) {
    auto b = input(n, 2);
    if (!b)
      return makeError(b.message());
    if ((*b)->shape != Shape{f})
      return fail(n, "the bias must have one value per filter");
    // One bias per output channel (dimension 1).
    std::vector<MlirOperand> ins = {{r.ssa, out, ""},
                                    {use(**b), (*b)->shape, "d1"}};
    r.ssa = f_.elementwise(
        ins, out, [](MlirBody &body, const std::vector<std::string> &a) {
          return body.binary("arith.addf", a[0], a[1]);
        });
  }
  define(n, r);
  return Status::ok();
}

/// Output sizes of a 2-D pooling and the extra high padding ceil_mode adds.
struct PoolGeometry {
  Shape out, extra;
};

PoolGeometry poolGeometry(const Shape &in, const Shape &pads, const Shape &k,
                          const Shape &stride, const Shape &dilation,
                          bool ceil) {
  PoolGeometry g{{in[0], in[1], 0, 0}, {0, 0}};
  for (size_t i = 0; i < 2; ++i) {
    int64_t span =
        in[i + 2] + pads[i] + pads[i + 2] - ((k[i] - 1) * dilation[i] + 1);
    int64_t out =
        (ceil ? (span + stride[i] - 1) / stride[i] : span / stride[i]) + 1;
    g.out[i + 2] = out;
    g.extra[i] =
        std::max<int64_t>(0, (out - 1) * stride[i] + (k[i] - 1) * dilation[i] +
                                 1 - (in[i + 2] + pads[i] + pads[i + 2]));
  }
  return g;
}

/// Elements an average pool divides by at each output position: the
/// window's positions inside the input (and inside the pads if counted).
std::vector<double> poolDivisors(const Shape &in, const Shape &pads,
                                 const Shape &k, const Shape &stride,
                                 const Shape &dilation, const Shape &out,
                                 bool countPads) {
  auto count = [&](size_t axis, int64_t o) {
    int64_t n = 0, lo = countPads ? -pads[axis] : 0,
            hi = in[axis + 2] + (countPads ? pads[axis + 2] : 0);
    for (int64_t t = 0; t < k[axis]; ++t) {
      int64_t r = o * stride[axis] - pads[axis] + t * dilation[axis];
      n += r >= lo && r < hi;
    }
    return n;
  };
  std::vector<double> d;
  for (int64_t i = 0; i < out[2]; ++i)
    for (int64_t j = 0; j < out[3]; ++j)
      d.push_back(
          static_cast<double>(std::max<int64_t>(1, count(0, i) * count(1, j))));
  return d;
}

Status Importer::poolOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  Value &xv = **x;
  bool isMax = n.op_type() == "MaxPool";
  if (xv.shape.size() != 4)
    return fail(n,
                "1-D and 3-D pooling are not supported (4-D NCHW inputs only)");
  if (n.output_size() > 1 && !n.output(1).empty())
    return fail(n, "the Indices output is not supported");
  auto kernelAttr = windowAttr(n, "kernel_shape", {});
  auto strideAttr = windowAttr(n, "strides", {1, 1});
  auto dilationAttr = windowAttr(n, "dilations", {1, 1});
  for (const auto *a : {&kernelAttr, &strideAttr, &dilationAttr})
    if (!*a)
      return fail(n, a->message());
  Shape k = *kernelAttr, stride = *strideAttr, dilation = *dilationAttr;
  auto pads = windowPads(n, xv.shape, k, stride, dilation);
  if (!pads)
    return fail(n, pads.message());
  PoolGeometry g = poolGeometry(xv.shape, *pads, k, stride, dilation,
                                attrInt(n, "ceil_mode", 0));
  if (g.out[2] < 1 || g.out[3] < 1)
    return fail(n, "the window is larger than the padded input");
  const double lowest = -3.4028234663852886e38;
  Shape pt = *pads;
  Value padIn = padded(xv, {0, 0, pt[0], pt[1]},
                       {0, 0, pt[2] + g.extra[0], pt[3] + g.extra[1]},
                       isMax ? lowest : 0.0);
  Value window;
  window.shape = k;
  window.ssa = f_.op("tensor.empty() : " + tensorType(k));
  Value r = named(std::string(isMax ? "linalg.pooling_nchw_max "
                                    : "linalg.pooling_nchw_sum ") +
                      windowAttrs(stride, dilation),
                  padIn, window, g.out, isMax ? lowest : 0.0);
  if (!isMax) {
    Value div;
    div.isConst = true;
    div.shape = {g.out[2], g.out[3]};
    div.data = poolDivisors(xv.shape, *pads, k, stride, dilation, g.out,
                            attrInt(n, "count_include_pad", 0));
    r = elementwise({&r, &div}, g.out,
                    [](MlirBody &b, const std::vector<std::string> &a) {
                      return b.binary("arith.divf", a[0], a[1]);
                    });
  }
  define(n, r);
  return Status::ok();
}

Status Importer::globalPoolOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  Value &xv = **x;
  if (xv.shape.size() != 4)
    return fail(n, "inputs other than 4-D NCHW are not supported");
  bool isMax = n.op_type() == "GlobalMaxPool";
  Shape k = {xv.shape[2], xv.shape[3]}, out = {xv.shape[0], xv.shape[1], 1, 1};
  const double lowest = -3.4028234663852886e38;
  Value window;
  window.shape = k;
  window.ssa = f_.op("tensor.empty() : " + tensorType(k));
  Value r = named(std::string(isMax ? "linalg.pooling_nchw_max "
                                    : "linalg.pooling_nchw_sum ") +
                      windowAttrs({1, 1}, {1, 1}),
                  xv, window, out, isMax ? lowest : 0.0);
  if (!isMax) {
    double count = static_cast<double>(k[0] * k[1]);
    r = unary(r, [count](MlirBody &b, const std::string &v) {
      return b.binary("arith.divf", v, b.constant(count));
    });
  }
  define(n, r);
  return Status::ok();
}

// ---------------------------------------------------------------------------
// Matrix products

Status Importer::gemmOp(const onnx::NodeProto &n) {
  auto a = input(n, 0), b = input(n, 1);
  if (!a || !b)
    return makeError(!a ? a.message() : b.message());
  if ((*a)->shape.size() != 2 || (*b)->shape.size() != 2)
    return fail(n, "A and B must be matrices");
  Value av = attrInt(n, "transA", 0) ? transposed(**a, {1, 0}) : **a;
  Value bv = attrInt(n, "transB", 0) ? transposed(**b, {1, 0}) : **b;
  if (av.shape[1] != bv.shape[0])
    return fail(n,
                "A is " + shapeText(av.shape) + ", B " + shapeText(bv.shape));
  Shape out = {av.shape[0], bv.shape[1]};
  Value r = named("linalg.matmul", av, bv, out, 0.0);
  double alpha = attrFloat(n, "alpha", 1.0f), beta = attrFloat(n, "beta", 1.0f);
  if (alpha != 1.0)
    r = unary(r, [alpha](MlirBody &body, const std::string &v) {
      return body.binary("arith.mulf", v, body.constant(alpha));
    });
  if (hasInput(n, 2) && beta != 0.0) {
    auto c = input(n, 2);
    if (!c)
      return makeError(c.message());
    if (!broadcast((*c)->shape, out) || *broadcast((*c)->shape, out) != out)
      return fail(n, "C of shape " + shapeText((*c)->shape) +
                         " does not broadcast to " + shapeText(out));
    r = elementwise({&r, *c}, out,
                    [beta](MlirBody &body, const std::vector<std::string> &v) {
                      std::string cv = beta == 1.0
                                           ? v[1]
                                           : body.binary("arith.mulf", v[1],
                                                         body.constant(beta));
                      return body.binary("arith.addf", v[0], cv);
                    });
  }
  define(n, r);
  return Status::ok();
}

Status Importer::matmulOp(const onnx::NodeProto &n) {
  auto a = input(n, 0), b = input(n, 1);
  if (!a || !b)
    return makeError(!a ? a.message() : b.message());
  Value &av = **a, &bv = **b;
  size_t ra = av.shape.size(), rb = bv.shape.size();
  if (ra < 2 || rb < 2 || av.shape[ra - 1] != bv.shape[rb - 2])
    return fail(n, "A of shape " + shapeText(av.shape) + " and B of shape " +
                       shapeText(bv.shape) +
                       " are not supported (matrices or batches of them)");
  int64_t m = av.shape[ra - 2], kk = av.shape[ra - 1], nn = bv.shape[rb - 1];
  Value r;
  if (rb == 2) {
    // Leading dimensions of A fold into its rows.
    Shape out(av.shape.begin(), av.shape.end() - 1);
    out.push_back(nn);
    Value a2 = reshape(av, {product(av.shape, 0, ra - 1), kk});
    Value mm = named("linalg.matmul", a2, bv, {a2.shape[0], nn}, 0.0);
    r = reshape(mm, out);
  } else if (ra == rb && std::equal(av.shape.begin(), av.shape.end() - 2,
                                    bv.shape.begin())) {
    int64_t batch = product(av.shape, 0, ra - 2);
    Value a3 = reshape(av, {batch, m, kk}), b3 = reshape(bv, {batch, kk, nn});
    Value mm = named("linalg.batch_matmul", a3, b3, {batch, m, nn}, 0.0);
    Shape out(av.shape.begin(), av.shape.end() - 1);
    out.push_back(nn);
    r = reshape(mm, out);
  } else {
    return fail(n, "broadcast batch dimensions (" + shapeText(av.shape) +
                       " x " + shapeText(bv.shape) + ") are not supported");
  }
  define(n, r);
  return Status::ok();
}

// ---------------------------------------------------------------------------
// Elementwise

/// The body and the constant folding of a binary op.
struct BinaryOp {
  const char *mlir;
  double (*fold)(double, double);
};

const std::map<std::string, BinaryOp> &binaryOps() {
  static const std::map<std::string, BinaryOp> ops = {
      {"Add", {"arith.addf", [](double a, double b) { return a + b; }}},
      {"Sum", {"arith.addf", [](double a, double b) { return a + b; }}},
      {"Sub", {"arith.subf", [](double a, double b) { return a - b; }}},
      {"Mul", {"arith.mulf", [](double a, double b) { return a * b; }}},
      {"Div", {"arith.divf", [](double a, double b) { return a / b; }}},
      {"Max",
       {"arith.maximumf", [](double a, double b) { return std::max(a, b); }}},
      {"Min",
       {"arith.minimumf", [](double a, double b) { return std::min(a, b); }}},
      {"Pow", {"math.powf", [](double a, double b) { return std::pow(a, b); }}},
  };
  return ops;
}

/// Element `index` of `v` broadcast onto `out`.
double broadcastElement(const Value &v, const Shape &out, size_t index) {
  size_t offset = 0, stride = 1, lead = out.size() - v.shape.size();
  for (size_t d = out.size(); d-- > 0;) {
    size_t i = index % static_cast<size_t>(out[d]);
    index /= static_cast<size_t>(out[d]);
    if (d >= lead && v.shape[d - lead] != 1)
      offset += i * stride;
    if (d >= lead)
      stride *= static_cast<size_t>(v.shape[d - lead]);
  }
  return v.data[offset];
}

Status Importer::binaryOp(const onnx::NodeProto &n) {
  const std::string &t = n.op_type();
  bool variadic = t == "Max" || t == "Min" || t == "Sum" || t == "Mean";
  if (variadic ? n.input_size() < 1 : n.input_size() != 2)
    return fail(n, variadic ? "takes at least one input" : "takes two inputs");
  auto first = input(n, 0);
  if (!first)
    return makeError(first.message());
  Value acc = **first;
  for (int i = 1; i < n.input_size(); ++i) {
    auto b = input(n, static_cast<size_t>(i));
    if (!b)
      return makeError(b.message());
    auto r = combine(n, acc, **b);
    if (!r)
      return makeError(r.message());
    acc = std::move(*r);
  }
  if (t == "Mean" && n.input_size() > 1) {
    double count = n.input_size();
    acc = unary(acc, [count](MlirBody &body, const std::string &v) {
      return body.binary("arith.divf", v, body.constant(count));
    });
  }
  define(n, acc);
  return Status::ok();
}

Result<Value> Importer::combine(const onnx::NodeProto &n, Value &a, Value &b) {
  const BinaryOp &op =
      binaryOps().at(n.op_type() == "Mean" ? "Sum" : n.op_type());
  auto out = broadcast(a.shape, b.shape);
  if (!out)
    return makeError(fail(n, "shapes " + shapeText(a.shape) + " and " +
                                 shapeText(b.shape) + " do not broadcast")
                         .message());
  if (a.isConst && b.isConst) {
    Value r;
    r.isConst = true;
    r.shape = *out;
    r.type = a.type == "i64" && b.type == "i64" ? "i64" : "f32";
    for (size_t i = 0; i < static_cast<size_t>(product(*out)); ++i) {
      double v =
          op.fold(broadcastElement(a, *out, i), broadcastElement(b, *out, i));
      r.data.push_back(r.type == "i64" && n.op_type() == "Div" ? std::trunc(v)
                                                               : v);
    }
    return r;
  }
  std::string mlir = op.mlir;
  return elementwise({&a, &b}, *out,
                     [&](MlirBody &body, const std::vector<std::string> &v) {
                       return body.binary(mlir, v[0], v[1]);
                     });
}

/// The body of a unary op on `x`, with the node's attributes.
using UnaryBody = std::function<std::string(MlirBody &, const std::string &)>;

std::optional<UnaryBody> unaryBody(const onnx::NodeProto &n) {
  const std::string &t = n.op_type();
  auto math = [](const char *op) {
    return UnaryBody(
        [op](MlirBody &b, const std::string &x) { return b.unary(op, x); });
  };
  if (t == "Relu")
    return UnaryBody([](MlirBody &b, const std::string &x) {
      return b.binary("arith.maximumf", x, b.constant(0));
    });
  if (t == "LeakyRelu") {
    double alpha = attrFloat(n, "alpha", 0.01f);
    return UnaryBody([alpha](MlirBody &b, const std::string &x) {
      std::string pos =
          b.op("arith.cmpf ogt, " + x + ", " + b.constant(0) + " : f32");
      std::string neg = b.binary("arith.mulf", x, b.constant(alpha));
      return b.op("arith.select " + pos + ", " + x + ", " + neg + " : f32");
    });
  }
  if (t == "Sigmoid")
    return UnaryBody([](MlirBody &b, const std::string &x) {
      std::string e = b.unary("math.exp", b.unary("arith.negf", x));
      return b.binary("arith.divf", b.constant(1),
                      b.binary("arith.addf", b.constant(1), e));
    });
  if (t == "HardSigmoid" || t == "HardSwish") {
    double alpha = t == "HardSwish" ? 1.0 / 6 : attrFloat(n, "alpha", 0.2f);
    double beta = t == "HardSwish" ? 0.5 : attrFloat(n, "beta", 0.5f);
    bool swish = t == "HardSwish";
    return UnaryBody([alpha, beta, swish](MlirBody &b, const std::string &x) {
      std::string y =
          b.binary("arith.addf", b.binary("arith.mulf", x, b.constant(alpha)),
                   b.constant(beta));
      y = b.binary("arith.maximumf",
                   b.binary("arith.minimumf", y, b.constant(1)), b.constant(0));
      return swish ? b.binary("arith.mulf", x, y) : y;
    });
  }
  if (t == "Reciprocal")
    return UnaryBody([](MlirBody &b, const std::string &x) {
      return b.binary("arith.divf", b.constant(1), x);
    });
  static const std::map<std::string, const char *> plain = {
      {"Tanh", "math.tanh"}, {"Exp", "math.exp"},     {"Erf", "math.erf"},
      {"Sqrt", "math.sqrt"}, {"Log", "math.log"},     {"Abs", "math.absf"},
      {"Neg", "arith.negf"}, {"Floor", "math.floor"}, {"Ceil", "math.ceil"}};
  auto it = plain.find(t);
  if (it != plain.end())
    return math(it->second);
  return std::nullopt;
}

Status Importer::unaryOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  auto body = unaryBody(n);
  define(n, unary(**x, *body));
  return Status::ok();
}

Status Importer::clipOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  // Bounds: attributes before opset 11, else optional scalar inputs.
  std::vector<Value *> ins = {*x};
  std::vector<Value> bounds;
  bounds.reserve(2);
  int lo = -1, hi = -1;
  for (size_t i : {1, 2}) {
    int &slot = i == 1 ? lo : hi;
    if (opset_ < 11) {
      if (attr(n, i == 1 ? "min" : "max")) {
        Value v;
        v.isConst = true;
        v.data = {attrFloat(n, i == 1 ? "min" : "max", 0)};
        bounds.push_back(v);
        ins.push_back(&bounds.back());
        slot = static_cast<int>(ins.size()) - 1;
      }
    } else if (hasInput(n, i)) {
      auto v = input(n, i);
      if (!v)
        return makeError(v.message());
      if (product((*v)->shape) != 1)
        return fail(n, "min and max must be scalars");
      ins.push_back(*v);
      slot = static_cast<int>(ins.size()) - 1;
    }
  }
  Shape out = (*x)->shape;
  define(
      n,
      elementwise(
          ins, out, [lo, hi](MlirBody &b, const std::vector<std::string> &v) {
            std::string r = v[0];
            if (lo > 0)
              r = b.binary("arith.maximumf", r, v[static_cast<size_t>(lo)]);
            if (hi > 0)
              r = b.binary("arith.minimumf", r, v[static_cast<size_t>(hi)]);
            return r;
          }));
  return Status::ok();
}

Status Importer::batchNormOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  if ((*x)->shape.size() < 2)
    return fail(n, "the input needs a channel dimension");
  if (attrInt(n, "training_mode", 0) ||
      (n.output_size() > 1 && !n.output(1).empty()))
    return fail(n, "training mode is not supported (inference only)");
  int64_t channels = (*x)->shape[1];
  std::vector<Value *> p; // scale, bias, mean, variance
  bool constant = true;
  for (size_t i = 1; i <= 4; ++i) {
    auto v = input(n, i);
    if (!v)
      return makeError(v.message());
    if ((*v)->shape != Shape{channels})
      return fail(
          n, "scale, bias, mean and variance must have one value per channel");
    constant = constant && (*v)->isConst;
    p.push_back(*v);
  }
  double eps = attrFloat(n, "epsilon", 1e-5f);
  Shape out = (*x)->shape;
  Value r;
  r.shape = out;
  if (!constant) {
    std::vector<MlirOperand> ins = {{use(**x), out, ""}};
    for (Value *v : p)
      ins.push_back({use(*v), v->shape, "d1"});
    r.ssa = f_.elementwise(
        ins, out, [eps](MlirBody &b, const std::vector<std::string> &v) {
          std::string s =
              b.binary("arith.divf", v[1],
                       b.unary("math.sqrt",
                               b.binary("arith.addf", v[4], b.constant(eps))));
          return b.binary(
              "arith.addf",
              b.binary("arith.mulf", b.binary("arith.subf", v[0], v[3]), s),
              v[2]);
        });
    define(n, r);
    return Status::ok();
  }
  // Constant statistics fold into one scale and shift per channel.
  Value scale, shift;
  scale.isConst = shift.isConst = true;
  scale.shape = shift.shape = {channels};
  for (size_t c = 0; c < static_cast<size_t>(channels); ++c) {
    double s =
        static_cast<float>(p[0]->data[c] / std::sqrt(p[3]->data[c] + eps));
    scale.data.push_back(s);
    shift.data.push_back(p[1]->data[c] - p[2]->data[c] * s);
  }
  std::vector<MlirOperand> ins = {{use(**x), out, ""},
                                  {use(scale), scale.shape, "d1"},
                                  {use(shift), shift.shape, "d1"}};
  r.ssa = f_.elementwise(
      ins, out, [](MlirBody &b, const std::vector<std::string> &v) {
        return b.binary("arith.addf", b.binary("arith.mulf", v[0], v[1]), v[2]);
      });
  define(n, r);
  return Status::ok();
}

// ---------------------------------------------------------------------------
// Shapes

Status Importer::reshapeOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  const Shape in = (*x)->shape;
  const std::string &t = n.op_type();
  Shape out;
  if (t == "Flatten") {
    auto axis = axisOf(attrInt(n, "axis", 1), in.size(), /*extra=*/true);
    if (!axis)
      return fail(n, axis.message());
    out = {product(in, 0, *axis), product(in, *axis)};
  } else if (t == "Reshape") {
    Shape want;
    if (opset_ < 5) {
      want = attrInts(n, "shape");
    } else {
      auto s = constInts(n, 1);
      if (!s)
        return makeError(s.message());
      want = *s;
    }
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < want.size(); ++i) {
      if (want[i] == 0 && !attrInt(n, "allowzero", 0))
        want[i] = i < in.size() ? in[i] : 0;
      if (want[i] == -1)
        infer = static_cast<int64_t>(i);
      else
        known *= want[i];
    }
    if (infer >= 0)
      want[static_cast<size_t>(infer)] = known ? product(in) / known : 0;
    out = want;
  } else {
    Shape axes;
    if (opset_ < 13 || !hasInput(n, 1)) {
      axes = attrInts(n, "axes");
    } else {
      auto s = constInts(n, 1);
      if (!s)
        return makeError(s.message());
      axes = *s;
    }
    if (t == "Squeeze") {
      std::set<int64_t> drop;
      for (int64_t a : axes) {
        auto axis = axisOf(a, in.size());
        if (!axis)
          return fail(n, axis.message());
        if (in[*axis] != 1)
          return fail(n, "axis " + std::to_string(a) + " has size " +
                             std::to_string(in[*axis]) + ", not 1");
        drop.insert(static_cast<int64_t>(*axis));
      }
      for (size_t i = 0; i < in.size(); ++i)
        if (!(axes.empty() ? in[i] == 1
                           : drop.count(static_cast<int64_t>(i)) > 0))
          out.push_back(in[i]);
    } else { // Unsqueeze
      size_t rank = in.size() + axes.size();
      std::set<int64_t> add;
      for (int64_t a : axes) {
        int64_t axis = normalizeAxis(a, rank);
        if (axis < 0 || axis >= static_cast<int64_t>(rank) ||
            !add.insert(axis).second)
          return fail(n, "axis " + std::to_string(a) +
                             " is out of range or repeated");
      }
      for (size_t i = 0, j = 0; i < rank; ++i)
        out.push_back(add.count(static_cast<int64_t>(i)) ? 1 : in[j++]);
    }
  }
  if (product(out) != product(in))
    return fail(n,
                "cannot reshape " + shapeText(in) + " into " + shapeText(out));
  define(n, reshape(**x, out));
  return Status::ok();
}

Status Importer::transposeOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  Shape perm = attrInts(n, "perm");
  if (perm.empty())
    for (size_t i = (*x)->shape.size(); i-- > 0;)
      perm.push_back(static_cast<int64_t>(i));
  Shape sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != static_cast<int64_t>(i))
      return fail(n, "perm is not a permutation of the dimensions");
  if (perm.size() != (*x)->shape.size())
    return fail(n, "perm has " + std::to_string(perm.size()) +
                       " values for rank " +
                       std::to_string((*x)->shape.size()));
  define(n, transposed(**x, perm));
  return Status::ok();
}

Status Importer::concatOp(const onnx::NodeProto &n) {
  std::vector<Value *> ins;
  for (int i = 0; i < n.input_size(); ++i) {
    auto v = input(n, static_cast<size_t>(i));
    if (!v)
      return makeError(v.message());
    ins.push_back(*v);
  }
  if (ins.empty())
    return fail(n, "no inputs");
  size_t rank = ins[0]->shape.size();
  auto axisOk = axisOf(attrInt(n, "axis", 0), rank);
  if (!axisOk)
    return fail(n, axisOk.message());
  int64_t axis = static_cast<int64_t>(*axisOk);
  Shape out = ins[0]->shape;
  out[static_cast<size_t>(axis)] = 0;
  bool allConst = true;
  for (Value *v : ins) {
    if (v->shape.size() != rank)
      return fail(n, "inputs of different ranks");
    out[static_cast<size_t>(axis)] += v->shape[static_cast<size_t>(axis)];
    allConst = allConst && v->isConst;
  }
  Value r;
  r.shape = out;
  if (allConst) {
    r.isConst = true;
    r.type = ins[0]->type;
    int64_t outer = product(out, 0, static_cast<size_t>(axis));
    for (int64_t o = 0; o < outer; ++o)
      for (Value *v : ins) {
        int64_t chunk = product(v->shape, static_cast<size_t>(axis));
        r.data.insert(r.data.end(), v->data.begin() + o * chunk,
                      v->data.begin() + (o + 1) * chunk);
      }
    define(n, r);
    return Status::ok();
  }
  std::string dst = f_.op("tensor.empty() : " + tensorType(out));
  int64_t offset = 0;
  for (Value *v : ins) {
    Shape offsets(rank, 0), strides(rank, 1);
    offsets[static_cast<size_t>(axis)] = offset;
    dst = f_.op("tensor.insert_slice " + use(*v) + " into " + dst +
                listText(offsets) + " " + listText(v->shape) + " " +
                listText(strides) + " : " + tensorType(v->shape) + " into " +
                tensorType(out));
    offset += v->shape[static_cast<size_t>(axis)];
  }
  r.ssa = dst;
  define(n, r);
  return Status::ok();
}

/// The dims of `rank` loops but `skip` (the results of a reduced map).
std::string mapWithout(size_t rank, const std::set<size_t> &skip) {
  std::string t;
  for (size_t i = 0; i < rank; ++i)
    if (!skip.count(i))
      t += (t.empty() ? "d" : ", d") + std::to_string(i);
  return t;
}

std::string identityResults(size_t rank) { return mapWithout(rank, {}); }

Status Importer::softmaxOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  Shape in = (*x)->shape;
  auto axisOk = axisOf(attrInt(n, "axis", opset_ < 13 ? 1 : -1), in.size());
  if (!axisOk)
    return fail(n, axisOk.message());
  int64_t axis = static_cast<int64_t>(*axisOk);
  // Before opset 13 the input is taken as the matrix [prod(:axis),
  // prod(axis:)].
  Value xv = opset_ < 13
                 ? reshape(**x, {product(in, 0, static_cast<size_t>(axis)),
                                 product(in, static_cast<size_t>(axis))})
                 : **x;
  size_t rank = xv.shape.size(),
         a = opset_ < 13 ? 1 : static_cast<size_t>(axis);
  Shape reduced;
  for (size_t i = 0; i < rank; ++i)
    if (i != a)
      reduced.push_back(xv.shape[i]);
  std::vector<bool> red(rank, false);
  red[a] = true;
  std::string full = identityResults(rank), part = mapWithout(rank, {a});
  auto reduce = [&](const std::string &src, double init, const char *combine) {
    Value acc = filled(reduced, init);
    return f_.generic(
        {{src, xv.shape, full}}, acc.ssa, reduced, part, rank, red,
        [combine](MlirBody &b, const std::vector<std::string> &v) {
          return b.binary(combine, v[0], v[1]);
        });
  };
  std::string max = reduce(use(xv), -3.4028234663852886e38, "arith.maximumf");
  bool log = n.op_type() == "LogSoftmax";
  std::string shifted = f_.elementwise(
      {{use(xv), xv.shape, full}, {max, reduced, part}}, xv.shape,
      [](MlirBody &b, const std::vector<std::string> &v) {
        return b.binary("arith.subf", v[0], v[1]);
      });
  std::string e =
      f_.elementwise({{shifted, xv.shape, full}}, xv.shape,
                     [](MlirBody &b, const std::vector<std::string> &v) {
                       return b.unary("math.exp", v[0]);
                     });
  std::string sum = reduce(e, 0.0, "arith.addf");
  Value r;
  r.shape = xv.shape;
  r.ssa = f_.elementwise(
      {{log ? shifted : e, xv.shape, full}, {sum, reduced, part}}, xv.shape,
      [log](MlirBody &b, const std::vector<std::string> &v) {
        return log ? b.binary("arith.subf", v[0], b.unary("math.log", v[1]))
                   : b.binary("arith.divf", v[0], v[1]);
      });
  define(n, reshape(r, in));
  return Status::ok();
}

Status Importer::reduceMeanOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  Shape in = (*x)->shape, axes;
  if (n.op_type() == "ReduceSum" && opset_ >= 13) {
    if (hasInput(n, 1)) {
      auto s = constInts(n, 1);
      if (!s)
        return makeError(s.message());
      axes = *s;
    }
  } else {
    axes = attrInts(n, "axes");
  }
  std::set<size_t> drop;
  for (int64_t a : axes) {
    auto axis = axisOf(a, in.size());
    if (!axis)
      return fail(n, axis.message());
    drop.insert(*axis);
  }
  if (axes.empty() && !attrInt(n, "noop_with_empty_axes", 0))
    for (size_t i = 0; i < in.size(); ++i)
      drop.insert(i);
  Shape reduced, kept;
  double count = 1;
  for (size_t i = 0; i < in.size(); ++i) {
    if (drop.count(i))
      count *= static_cast<double>(in[i]), kept.push_back(1);
    else
      reduced.push_back(in[i]), kept.push_back(in[i]);
  }
  std::vector<bool> red(in.size(), false);
  for (size_t i : drop)
    red[i] = true;
  bool isMax = n.op_type() == "ReduceMax";
  Value acc = filled(reduced, isMax ? -3.4028234663852886e38 : 0.0);
  Value r;
  r.shape = reduced;
  r.ssa = f_.generic({{use(**x), in, identityResults(in.size())}}, acc.ssa,
                     reduced, mapWithout(in.size(), drop), in.size(), red,
                     [isMax](MlirBody &b, const std::vector<std::string> &v) {
                       return b.binary(isMax ? "arith.maximumf" : "arith.addf",
                                       v[0], v[1]);
                     });
  if (n.op_type() == "ReduceMean")
    r = unary(r, [count](MlirBody &b, const std::string &v) {
      return b.binary("arith.divf", v, b.constant(count));
    });
  define(n, attrInt(n, "keepdims", 1) ? reshape(r, kept) : r);
  return Status::ok();
}

Status Importer::padOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  if (attrString(n, "mode", "constant") != "constant")
    return fail(n, "only mode constant is supported");
  Shape pads;
  double value = 0;
  std::string valueSsa; // a pad value computed at run time
  if (opset_ < 11) {
    pads = attrInts(n, "pads");
    value = attrFloat(n, "value", 0);
  } else {
    auto p = constInts(n, 1);
    if (!p)
      return makeError(p.message());
    pads = *p;
    if (hasInput(n, 2)) {
      auto v = input(n, 2);
      if (!v || product((*v)->shape) != 1)
        return fail(n, "the pad value must be a scalar");
      if (!(*v)->isConst)
        valueSsa = f_.op("tensor.extract " + use(**v) +
                         listText(Shape((*v)->shape.size(), 0)) + " : " +
                         tensorType((*v)->shape));
      else
        value = (*v)->data[0];
    }
  }
  size_t rank = (*x)->shape.size();
  if (pads.size() != 2 * rank)
    return fail(n, "pads must have 2 values per dimension");
  Shape low(pads.begin(), pads.begin() + static_cast<long>(rank));
  Shape high(pads.begin() + static_cast<long>(rank), pads.end());
  if (std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; }))
    return fail(n, "negative pads are not supported");
  define(n, padded(**x, low, high, value, valueSsa));
  return Status::ok();
}

// ---------------------------------------------------------------------------
// Constants and shape arithmetic

Status Importer::identityOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  if (n.op_type() == "Dropout" && n.output_size() > 1 && !n.output(1).empty())
    return fail(n, "the mask output is not supported (inference)");
  if (n.op_type() == "Dropout" && hasInput(n, 2)) {
    auto training = input(n, 2);
    if (!training || !(*training)->isConst || (*training)->data.size() != 1)
      return fail(n, "a training_mode that is not a constant is not supported");
    if ((*training)->data[0] != 0)
      return fail(n, "training mode is not supported (inference only)");
  }
  if (n.op_type() == "Cast") {
    std::string to = elementType(static_cast<int>(attrInt(n, "to", 1)));
    if (!(*x)->isConst && to != "f32")
      return fail(n, "casts of computed tensors to " +
                         (to.empty() ? "this type" : to) +
                         " are not supported");
    Value v = **x;
    if (v.isConst) {
      v.type = to == "f32" || to == "f64" ? "f32" : "i64";
      if (v.type == "i64")
        for (double &d : v.data)
          d = std::trunc(d);
    }
    define(n, v);
    return Status::ok();
  }
  define(n, **x);
  return Status::ok();
}

Status Importer::constantOp(const onnx::NodeProto &n) {
  Value v;
  v.isConst = true;
  if (n.op_type() == "ConstantOfShape") {
    auto s = constInts(n, 0);
    if (!s)
      return makeError(s.message());
    v.shape = *s;
    if (Status st = checkShape(v.shape, nodeText(n) + ")"); !st)
      return st;
    double fill = 0;
    if (auto *a = attr(n, "value")) {
      auto t = constantOf(a->t(), nodeText(n) + ") value");
      if (!t)
        return makeError(t.message());
      fill = t->data.empty() ? 0 : t->data[0];
      v.type = t->type;
    }
    v.data.assign(static_cast<size_t>(product(v.shape)), fill);
  } else if (auto *a = attr(n, "value")) {
    auto t = constantOf(a->t(), nodeText(n) + ")");
    if (!t)
      return makeError(t.message());
    v = *t;
  } else if (auto *f = attr(n, "value_float")) {
    v.data = {f->f()};
  } else if (auto *fs = attr(n, "value_floats")) {
    v.data.assign(fs->floats().begin(), fs->floats().end());
    v.shape = {static_cast<int64_t>(v.data.size())};
  } else if (auto *i = attr(n, "value_int")) {
    v.type = "i64", v.data = {static_cast<double>(i->i())};
  } else if (auto *is = attr(n, "value_ints")) {
    v.type = "i64";
    for (int64_t x : is->ints())
      v.data.push_back(static_cast<double>(x));
    v.shape = {static_cast<int64_t>(v.data.size())};
  } else {
    return fail(n, "no value attribute of a supported kind");
  }
  define(n, v);
  return Status::ok();
}

Status Importer::shapeOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  int64_t rank = static_cast<int64_t>((*x)->shape.size());
  int64_t start =
      std::clamp(normalizeAxis(attrInt(n, "start", 0), rank), int64_t(0), rank);
  int64_t end = std::clamp(normalizeAxis(attrInt(n, "end", rank), rank),
                           int64_t(0), rank);
  Value v;
  v.isConst = true;
  v.type = "i64";
  for (int64_t i = start; i < end; ++i)
    v.data.push_back(static_cast<double>((*x)->shape[static_cast<size_t>(i)]));
  v.shape = {static_cast<int64_t>(v.data.size())};
  define(n, v);
  return Status::ok();
}

/// Elements [begin, begin + size) along `axis` of `x`, with `step`.
Value sliceConst(const Value &x, size_t axis, int64_t begin, int64_t size,
                 int64_t step) {
  Value r;
  r.isConst = true;
  r.type = x.type;
  r.shape = x.shape;
  r.shape[axis] = size;
  int64_t outer = product(x.shape, 0, axis), inner = product(x.shape, axis + 1);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < size; ++i)
      for (int64_t j = 0; j < inner; ++j)
        r.data.push_back(x.data[static_cast<size_t>(
            (o * x.shape[axis] + begin + i * step) * inner + j)]);
  return r;
}

Status Importer::gatherOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  auto idx = constInts(n, 1);
  if (!x || !idx)
    return makeError(!x ? x.message() : idx.message());
  Value &xv = **x;
  const Value &iv = values_.at(n.input(1));
  auto axisOk = axisOf(attrInt(n, "axis", 0), xv.shape.size());
  if (!axisOk)
    return fail(n, axisOk.message());
  size_t axis = *axisOk;
  Shape out(xv.shape.begin(), xv.shape.begin() + static_cast<long>(axis));
  out.insert(out.end(), iv.shape.begin(), iv.shape.end());
  out.insert(out.end(), xv.shape.begin() + static_cast<long>(axis) + 1,
             xv.shape.end());
  // One slice per index along the axis, concatenated, then reshaped.
  Shape cat = xv.shape;
  cat[axis] = static_cast<int64_t>(idx->size());
  Value r;
  r.shape = cat;
  if (xv.isConst) {
    r.isConst = true;
    r.type = xv.type;
    int64_t outer = product(xv.shape, 0, axis),
            inner = product(xv.shape, axis + 1);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i : *idx) {
        int64_t k = i < 0 ? i + xv.shape[axis] : i;
        for (int64_t j = 0; j < inner; ++j)
          r.data.push_back(xv.data[static_cast<size_t>(
              (o * xv.shape[axis] + k) * inner + j)]);
      }
  } else {
    std::string dst = f_.op("tensor.empty() : " + tensorType(cat));
    for (size_t p = 0; p < idx->size(); ++p) {
      int64_t k = (*idx)[p] < 0 ? (*idx)[p] + xv.shape[axis] : (*idx)[p];
      if (k < 0 || k >= xv.shape[axis])
        return fail(n,
                    "index " + std::to_string((*idx)[p]) + " is out of range");
      Shape offsets(xv.shape.size(), 0), sizes = xv.shape,
                                         ones(xv.shape.size(), 1);
      offsets[axis] = k;
      sizes[axis] = 1;
      std::string slice =
          f_.op("tensor.extract_slice " + use(xv) + listText(offsets) + " " +
                listText(sizes) + " " + listText(ones) + " : " +
                tensorType(xv.shape) + " to " + tensorType(sizes));
      offsets[axis] = static_cast<int64_t>(p);
      dst = f_.op("tensor.insert_slice " + slice + " into " + dst +
                  listText(offsets) + " " + listText(sizes) + " " +
                  listText(ones) + " : " + tensorType(sizes) + " into " +
                  tensorType(cat));
    }
    r.ssa = dst;
  }
  define(n, reshape(r, out));
  return Status::ok();
}

Status Importer::sliceOp(const onnx::NodeProto &n) {
  auto x = input(n, 0);
  if (!x)
    return makeError(x.message());
  Value &xv = **x;
  Shape starts, ends, axes, steps;
  if (opset_ < 10) {
    starts = attrInts(n, "starts"), ends = attrInts(n, "ends"),
    axes = attrInts(n, "axes");
  } else {
    std::vector<Shape *> lists = {&starts, &ends, &axes, &steps};
    for (size_t i = 1; i <= 4; ++i)
      if (hasInput(n, i)) {
        auto v = constInts(n, i);
        if (!v)
          return makeError(v.message());
        *lists[i - 1] = *v;
      }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  steps.resize(starts.size(), 1);
  Shape offsets(xv.shape.size(), 0), sizes = xv.shape,
                                     strides(xv.shape.size(), 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    auto axisOk = axisOf(axes[i], xv.shape.size());
    if (!axisOk)
      return fail(n, axisOk.message());
    size_t a = *axisOk;
    int64_t dim = xv.shape[a], step = steps[i];
    if (step <= 0)
      return fail(n, "negative and zero steps are not supported");
    auto clampIndex = [dim](int64_t v) {
      return std::clamp(v < 0 ? v + dim : v, int64_t(0), dim);
    };
    int64_t b = clampIndex(starts[i]), e = clampIndex(ends[i]);
    offsets[a] = b;
    sizes[a] = e > b ? (e - b + step - 1) / step : 0;
    strides[a] = step;
  }
  if (product(sizes) == 0)
    return fail(n, "empty slices (zero-size tensors) are not supported");
  if (xv.isConst) {
    Value r = xv;
    for (size_t a = 0; a < xv.shape.size(); ++a)
      if (sizes[a] != r.shape[a] || strides[a] != 1)
        r = sliceConst(r, a, offsets[a], sizes[a], strides[a]);
    define(n, r);
    return Status::ok();
  }
  Value r;
  r.shape = sizes;
  r.ssa = f_.op("tensor.extract_slice " + use(xv) + listText(offsets) + " " +
                listText(sizes) + " " + listText(strides) + " : " +
                tensorType(xv.shape) + " to " + tensorType(sizes));
  define(n, r);
  return Status::ok();
}

const std::map<std::string, Handler> &Importer::handlers() {
  static const std::map<std::string, Handler> table = [] {
    std::map<std::string, Handler> t = {
        {"Conv", &Importer::convOp},
        {"Gemm", &Importer::gemmOp},
        {"MatMul", &Importer::matmulOp},
        {"Clip", &Importer::clipOp},
        {"BatchNormalization", &Importer::batchNormOp},
        {"MaxPool", &Importer::poolOp},
        {"AveragePool", &Importer::poolOp},
        {"GlobalAveragePool", &Importer::globalPoolOp},
        {"GlobalMaxPool", &Importer::globalPoolOp},
        {"Flatten", &Importer::reshapeOp},
        {"Reshape", &Importer::reshapeOp},
        {"Squeeze", &Importer::reshapeOp},
        {"Unsqueeze", &Importer::reshapeOp},
        {"Transpose", &Importer::transposeOp},
        {"Concat", &Importer::concatOp},
        {"Softmax", &Importer::softmaxOp},
        {"LogSoftmax", &Importer::softmaxOp},
        {"ReduceMean", &Importer::reduceMeanOp},
        {"ReduceSum", &Importer::reduceMeanOp},
        {"ReduceMax", &Importer::reduceMeanOp},
        {"Pad", &Importer::padOp},
        {"Identity", &Importer::identityOp},
        {"Dropout", &Importer::identityOp},
        {"Cast", &Importer::identityOp},
        {"Constant", &Importer::constantOp},
        {"ConstantOfShape", &Importer::constantOp},
        {"Shape", &Importer::shapeOp},
        {"Gather", &Importer::gatherOp},
        {"Slice", &Importer::sliceOp},
    };
    for (const auto &[name, op] : binaryOps())
      t[name] = &Importer::binaryOp;
    t["Mean"] = &Importer::binaryOp;
    for (const char *u : {"Relu", "LeakyRelu", "Sigmoid", "HardSigmoid",
                          "HardSwish", "Tanh", "Exp", "Erf", "Sqrt", "Log",
                          "Abs", "Neg", "Floor", "Ceil", "Reciprocal"})
      t[u] = &Importer::unaryOp;
    return t;
  }();
  return table;
}

} // namespace

Status parseInputShape(const std::string &text, OnnxImportOptions &options) {
  auto eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return makeError("--input-shape `" + text +
                     "`: give NAME=DIMS, e.g. input=1x3x224x224");
  Shape dims;
  std::stringstream ss(text.substr(eq + 1));
  for (std::string d; std::getline(ss, d, 'x');) {
    char *end = nullptr;
    long long v = std::strtoll(d.c_str(), &end, 10);
    if (d.empty() || *end || v <= 0 || v > (1LL << 31))
      return makeError("--input-shape `" + text + "`: `" + d +
                       "` is not a dimension");
    dims.push_back(v);
  }
  options.inputShapes[text.substr(0, eq)] = dims;
  return Status::ok();
}

const std::vector<std::string> &supportedOnnxOps() {
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> v;
    for (const auto &[name, h] : Importer::handlers())
      v.push_back(name);
    return v;
  }();
  return ops;
}

Result<std::string> importOnnx(const std::string &path,
                               const OnnxImportOptions &options) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError(path + ": cannot read (" + std::strerror(errno) + ")");
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes) || !model.has_graph())
    return makeError(
        path + ": not an ONNX model (its protobuf does not parse as one)");
  int64_t opset = 0;
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset < 1 || opset > 17)
    return makeError(path + ": opset " + std::to_string(opset) +
                     " is not supported (opsets 1 to 17)");
  Importer importer(model, opset, options);
  auto text = importer.run();
  if (!text)
    return makeError(path + ": " + text.message());
  return text;
}

} // namespace tessel
