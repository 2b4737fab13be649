// MLIR text for the importers (see MlirText.h).
#include "frontend/MlirText.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace tessel {

std::string tensorType(const Dims &shape, const std::string &element) {
  std::string t = "tensor<";
  for (int64_t d : shape)
    t += std::to_string(d) + "x";
  return t + element + ">";
}

std::string f32Literal(double v) {
  float f = static_cast<float>(v);
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", bits);
  return buf;
}

std::string listText(const Dims &values) {
  std::string t = "[";
  for (size_t i = 0; i < values.size(); ++i)
    t += (i ? ", " : "") + std::to_string(values[i]);
  return t + "]";
}

namespace {

std::string loopDims(size_t loops) {
  std::string t = "(";
  for (size_t i = 0; i < loops; ++i)
    t += (i ? ", d" : "d") + std::to_string(i);
  return t + ")";
}

/// The results of the map that broadcasts `shape` onto `out` (numpy rules).
std::string broadcastMap(const Dims &shape, const Dims &out) {
  std::string t;
  size_t lead = out.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) {
    size_t j = lead + i;
    t += i ? ", " : "";
    t += shape[i] == 1 && out[j] != 1 ? "0" : "d" + std::to_string(j);
  }
  return t;
}

std::string identityMap(size_t loops) {
  std::string t;
  for (size_t i = 0; i < loops; ++i)
    t += (i ? ", d" : "d") + std::to_string(i);
  return t;
}

} // namespace

std::string MlirBody::op(const std::string &rhs) {
  std::string name = f_.fresh();
  lines_.push_back(name + " = " + rhs);
  return name;
}

std::string MlirBody::constant(double v) {
  return op("arith.constant " + f32Literal(v) + " : f32");
}

std::string MlirBody::binary(const std::string &o, const std::string &a,
                             const std::string &b) {
  return op(o + " " + a + ", " + b + " : f32");
}

std::string MlirBody::unary(const std::string &o, const std::string &a) {
  return op(o + " " + a + " : f32");
}

std::string MlirFunction::fresh() { return "%" + std::to_string(next_++); }

namespace {
/// ` {tessel.name = "NAME"}`, or nothing without a name.
std::string nameAttr(const std::string &name) {
  if (name.empty())
    return "";
  std::string escaped;
  for (char c : name)
    if (c == '"' || c == '\\')
      escaped += std::string("\\") + c;
    else if (static_cast<unsigned char>(c) >= 32 && c != 127)
      escaped += c;
  return " {tessel.name = \"" + escaped + "\"}";
}
} // namespace

std::string MlirFunction::argument(const Dims &shape, const std::string &name) {
  std::string ssa = "%arg" + std::to_string(args_.size());
  args_.push_back(ssa);
  argTypes_.push_back(tensorType(shape) + nameAttr(name));
  return ssa;
}

std::string MlirFunction::constant(const Dims &shape,
                                   const std::vector<double> &data) {
  static const char digits[] = "0123456789ABCDEF";
  std::string hex = "0x";
  hex.reserve(data.size() * 8 + 10);
  for (double d : data) {
    float f = static_cast<float>(d);
    unsigned char bytes[4];
    std::memcpy(bytes, &f, 4);
    for (unsigned char c : bytes) {
      hex += digits[c >> 4];
      hex += digits[c & 15];
    }
  }
  // Small constants inline: MLIR 19's folders iterate the elements of
  // constants they fold, which a dense_resource blob cannot give (a crash).
  if (data.size() <= 64)
    return op("arith.constant dense<\"" + hex + "\"> : " + tensorType(shape));
  std::string key = "onnx_w" + std::to_string(blobs_.size());
  blobs_.push_back("      " + key + ": \"0x04000000" + hex.substr(2) + "\"");
  return op("arith.constant dense_resource<" + key +
            "> : " + tensorType(shape));
}

std::string MlirFunction::op(const std::string &rhs) {
  std::string name = fresh();
  lines_.push_back("    " + name + " = " + rhs);
  return name;
}

std::string MlirFunction::scalar(double value) {
  return op("arith.constant " + f32Literal(value) + " : f32");
}

std::string MlirFunction::filled(const Dims &shape, double value) {
  std::string t = tensorType(shape);
  std::string empty = op("tensor.empty() : " + t);
  std::string c = op("arith.constant " + f32Literal(value) + " : f32");
  return op("linalg.fill ins(" + c + " : f32) outs(" + empty + " : " + t +
            ") -> " + t);
}

std::string MlirFunction::elementwise(const std::vector<MlirOperand> &ins,
                                      const Dims &out, const BodyFn &body) {
  std::vector<MlirOperand> mapped = ins;
  for (MlirOperand &o : mapped)
    if (o.map.empty())
      o.map = broadcastMap(o.shape, out);
  std::string init = op("tensor.empty() : " + tensorType(out));
  return generic(mapped, init, out, identityMap(out.size()), out.size(),
                 std::vector<bool>(out.size(), false), body);
}

std::string MlirFunction::generic(const std::vector<MlirOperand> &ins,
                                  const std::string &init, const Dims &outShape,
                                  const std::string &outMap, size_t loops,
                                  const std::vector<bool> &reductions,
                                  const BodyFn &body) {
  std::string dims = loopDims(loops);
  std::ostringstream g;
  g << "linalg.generic {indexing_maps = [";
  for (const MlirOperand &o : ins)
    g << "affine_map<" << dims << " -> (" << o.map << ")>, ";
  g << "affine_map<" << dims << " -> (" << outMap << ")>], iterator_types = [";
  for (size_t i = 0; i < loops; ++i)
    g << (i ? ", " : "") << (reductions[i] ? "\"reduction\"" : "\"parallel\"");
  g << "]}";
  if (!ins.empty()) {
    g << " ins(";
    for (size_t i = 0; i < ins.size(); ++i)
      g << (i ? ", " : "") << ins[i].ssa;
    g << " : ";
    for (size_t i = 0; i < ins.size(); ++i)
      g << (i ? ", " : "") << tensorType(ins[i].shape);
    g << ")";
  }
  std::string outType = tensorType(outShape);
  g << " outs(" << init << " : " << outType << ") {\n    ^bb0(";
  std::vector<std::string> args;
  for (size_t i = 0; i <= ins.size(); ++i) {
    args.push_back(fresh());
    g << (i ? ", " : "") << args.back() << ": f32";
  }
  g << "):\n";
  MlirBody b(*this);
  std::string result = body(b, args);
  for (const std::string &l : b.lines())
    g << "      " << l << "\n";
  g << "      linalg.yield " << result << " : f32\n    } -> " << outType;
  return op(g.str());
}

std::string MlirFunction::reshape(const std::string &x, const Dims &from,
                                  const Dims &to) {
  if (from == to)
    return x;
  int64_t n = 1;
  for (int64_t d : from)
    n *= d;
  Dims flat = {n};
  auto all = [](size_t rank) {
    std::string t;
    for (size_t i = 0; i < rank; ++i)
      t += (i ? ", " : "") + std::to_string(i);
    return "[[" + t + "]]";
  };
  std::string v = x;
  if (from.size() > 1)
    v = op("tensor.collapse_shape " + v + " " + all(from.size()) + " : " +
           tensorType(from) + " into " + tensorType(flat));
  else if (from.empty())
    v = op("tensor.expand_shape " + v + " [] output_shape [1] : " +
           tensorType(from) + " into " + tensorType(flat));
  if (to.size() > 1)
    v = op("tensor.expand_shape " + v + " " + all(to.size()) +
           " output_shape " + listText(to) + " : " + tensorType(flat) +
           " into " + tensorType(to));
  else if (to.empty())
    v = op("tensor.collapse_shape " + v + " [] : " + tensorType(flat) +
           " into " + tensorType(to));
  return v;
}

std::string MlirFunction::pad(const std::string &x, const Dims &shape,
                              const Dims &low, const Dims &high,
                              const std::string &value) {
  Dims out;
  for (size_t i = 0; i < shape.size(); ++i)
    out.push_back(shape[i] + low[i] + high[i]);
  const std::string &c = value;
  std::ostringstream p;
  p << "tensor.pad " << x << " low" << listText(low) << " high"
    << listText(high) << " {\n    ^bb0(";
  for (size_t i = 0; i < shape.size(); ++i)
    p << (i ? ", " : "") << fresh() << ": index";
  p << "):\n      tensor.yield " << c << " : f32\n    } : " << tensorType(shape)
    << " to " << tensorType(out);
  return op(p.str());
}

std::string MlirFunction::transpose(const std::string &x, const Dims &shape,
                                    const Dims &perm) {
  Dims out;
  for (int64_t p : perm)
    out.push_back(shape[static_cast<size_t>(p)]);
  std::string empty = op("tensor.empty() : " + tensorType(out));
  return op("linalg.transpose ins(" + x + " : " + tensorType(shape) +
            ") outs(" + empty + " : " + tensorType(out) +
            ") permutation = " + listText(perm));
}

void MlirFunction::returns(const std::vector<MlirOperand> &results,
                           const std::vector<std::string> &names) {
  std::string values, types;
  for (size_t i = 0; i < results.size(); ++i) {
    values += (i ? ", " : "") + results[i].ssa;
    types += (i ? ", " : "") + tensorType(results[i].shape);
    resultTypes_.push_back(
        tensorType(results[i].shape) +
        nameAttr(i < names.size() ? names[i] : std::string()));
  }
  lines_.push_back("    return " + values + " : " + types);
}

std::string MlirFunction::module(const std::string &name) const {
  std::ostringstream m;
  m << "module {\n  func.func @" << name << "(";
  for (size_t i = 0; i < args_.size(); ++i)
    m << (i ? ", " : "") << args_[i] << ": " << argTypes_[i];
  m << ") -> ";
  bool named = std::any_of(
      resultTypes_.begin(), resultTypes_.end(),
      [](const std::string &t) { return t.find('{') != std::string::npos; });
  if (resultTypes_.size() == 1 && !named) {
    m << resultTypes_[0];
  } else {
    m << "(";
    for (size_t i = 0; i < resultTypes_.size(); ++i)
      m << (i ? ", " : "") << resultTypes_[i];
    m << ")";
  }
  m << " {\n";
  for (const std::string &l : lines_)
    m << l << "\n";
  m << "  }\n}\n";
  if (!blobs_.empty()) {
    m << "{-#\n  dialect_resources: {\n    builtin: {\n";
    for (size_t i = 0; i < blobs_.size(); ++i)
      m << blobs_[i] << (i + 1 < blobs_.size() ? ",\n" : "\n");
    m << "    }\n  }\n#-}\n";
  }
  return m.str();
}

} // namespace tessel
