// Parsing, canonical text, hashing and FLOP counts of task signatures.
#include "db/Signature.h"

#include "db/Hash.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

namespace tessel {

namespace {

struct FamilyInfo {
  OpFamily family;
  const char *name;
  std::vector<std::string> dims;
  std::vector<std::string> layouts;
  bool windowed;  ///< has stride and pad
  bool dilation;  ///< has dilation
  bool shaped;    ///< uses shape= instead of dims
  bool reduction; ///< uses axes=
};

const std::vector<FamilyInfo> &familyTable() {
  static const std::vector<FamilyInfo> table = {
      {OpFamily::Matmul, "matmul", {"m", "n", "k"}, {"nn", "nt"}, false, false,
       false, false},
      {OpFamily::BatchMatmul, "batch_matmul", {"b", "m", "n", "k"}, {"nn", "nt"},
       false, false, false, false},
      {OpFamily::Conv2d, "conv2d", {"n", "h", "w", "c", "f", "kh", "kw"},
       {"nhwc_hwcf", "nhwc_fhwc", "nchw_fchw"}, true, true, false, false},
      {OpFamily::DepthwiseConv2d, "depthwise_conv2d",
       {"n", "h", "w", "c", "kh", "kw"}, {"nhwc_hwc", "nchw_chw"}, true, true,
       false, false},
      {OpFamily::PoolMax, "pool_max", {"n", "h", "w", "c", "kh", "kw"},
       {"nhwc", "nchw"}, true, false, false, false},
      {OpFamily::PoolAvg, "pool_avg", {"n", "h", "w", "c", "kh", "kw"},
       {"nhwc", "nchw"}, true, false, false, false},
      {OpFamily::Elementwise, "elementwise", {}, {"row"}, false, false, true,
       false},
      {OpFamily::Reduction, "reduction", {}, {"row"}, false, false, true, true},
  };
  return table;
}

const FamilyInfo &info(OpFamily f) {
  for (const auto &i : familyTable())
    if (i.family == f)
      return i;
  return familyTable().front();
}

bool isFloatType(std::string_view t) {
  return t == "f32" || t == "f16" || t == "bf16";
}

Result<int64_t> parseInt(std::string_view key, std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    return makeError("`" + std::string(key) + "` expects an integer, got `" +
                     std::string(s) + "`");
  return v;
}

Result<std::vector<int64_t>> parseIntList(std::string_view key,
                                          std::string_view s, char sep) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    std::string_view part =
        s.substr(start, end == std::string_view::npos ? s.npos : end - start);
    auto v = parseInt(key, part);
    if (!v)
      return makeError(v.message());
    out.push_back(*v);
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  return out;
}

template <size_t N>
Status parseArray(std::string_view key, std::string_view s,
                  std::array<int64_t, N> &out, int64_t minValue) {
  auto v = parseIntList(key, s, ',');
  if (!v)
    return Status(makeError(v.message()));
  if (v->size() != N)
    return Status(makeError("`" + std::string(key) + "` expects " +
                            std::to_string(N) + " comma-separated values, got `" +
                            std::string(s) + "`"));
  for (size_t i = 0; i < N; ++i) {
    if ((*v)[i] < minValue)
      return Status(makeError("`" + std::string(key) + "` values must be >= " +
                              std::to_string(minValue) + ", got `" +
                              std::string(s) + "`"));
    out[i] = (*v)[i];
  }
  return Status();
}

template <typename Container>
std::string join(const Container &c, const char *sep) {
  std::ostringstream os;
  bool first = true;
  for (const auto &x : c) {
    if (!first)
      os << sep;
    os << x;
    first = false;
  }
  return os.str();
}

bool validEpilogueItem(const std::string &item) {
  static const std::set<std::string> plain = {
      "bias", "relu", "relu6", "add", "sigmoid", "tanh"};
  if (plain.count(item))
    return true;
  if (item.rfind("requant:", 0) == 0) {
    std::string rest = item.substr(8);
    size_t colon = rest.find(':');
    if (colon == std::string::npos)
      return false;
    char *end = nullptr;
    std::string scale = rest.substr(0, colon), zp = rest.substr(colon + 1);
    double sv = std::strtod(scale.c_str(), &end);
    if (scale.empty() || end != scale.c_str() + scale.size() || !(sv > 0))
      return false;
    std::strtol(zp.c_str(), &end, 10);
    return !zp.empty() && end == zp.c_str() + zp.size();
  }
  // clamp:LO:HI with two numbers.
  if (item.rfind("clamp:", 0) != 0)
    return false;
  std::string rest = item.substr(6);
  size_t colon = rest.find(':');
  if (colon == std::string::npos)
    return false;
  auto isNumber = [](const std::string &s) {
    if (s.empty())
      return false;
    char *end = nullptr;
    std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size();
  };
  return isNumber(rest.substr(0, colon)) && isNumber(rest.substr(colon + 1));
}

/// Sizes a machine could hold: each extent at most kMaxExtent and the
/// product of all of them (at least every array's element count) at most
/// kMaxElements, so that no size computed from them wraps.
Status checkExtents(const FamilyInfo &fi, const TaskSignature &t) {
  constexpr int64_t kMaxExtent = int64_t(1) << 31, kMaxElements = int64_t(1)
                                                                  << 48;
  int64_t product = 1;
  auto check = [&](const std::string &name, int64_t v) -> Status {
    if (v > kMaxExtent)
      return makeError("`" + name + "=" + std::to_string(v) +
                       "` is larger than any tensor tessel handles (at most " +
                       std::to_string(kMaxExtent) + ")");
    if (__builtin_mul_overflow(product, v, &product) || product > kMaxElements)
      return makeError(
          "the sizes multiply to more than 2^48 elements: larger than any "
          "machine's memory");
    return Status();
  };
  for (size_t i = 0; i < t.dims.size(); ++i)
    if (Status s = check(fi.dims[i], t.dims[i]); !s)
      return s;
  for (int64_t v : t.shape)
    if (Status s = check("shape", v); !s)
      return s;
  // Window parameters: each within an extent, so that padded sizes and
  // output sizes cannot wrap either.
  for (int64_t v : {t.stride[0], t.stride[1], t.dilation[0], t.dilation[1],
                    t.pad[0], t.pad[1], t.pad[2], t.pad[3]})
    if (v > kMaxExtent)
      return makeError("a stride, dilation or pad of " + std::to_string(v) +
                       " is larger than any tensor tessel handles");
  return Status();
}

/// What a valid epilogue item's numbers must be: clamp bounds not NaN with
/// LO <= HI; a finite requant scale.
Status checkEpilogueValues(const std::string &e) {
  bool clamp = e.rfind("clamp:", 0) == 0, requant = e.rfind("requant:", 0) == 0;
  if (!clamp && !requant)
    return Status();
  size_t first = e.find(':'), second = e.find(':', first + 1);
  double a =
      std::strtod(e.substr(first + 1, second - first - 1).c_str(), nullptr);
  double b = std::strtod(e.substr(second + 1).c_str(), nullptr);
  if (clamp && (std::isnan(a) || std::isnan(b)))
    return makeError("`" + e + "`: clamp bounds must be numbers, not NaN");
  if (clamp && a > b)
    return makeError("`" + e +
                     "`: the lower clamp bound is above the upper one");
  if (requant && !std::isfinite(a))
    return makeError("`" + e + "`: the requant scale must be finite");
  return Status();
}

} // namespace

std::string_view familyName(OpFamily family) { return info(family).name; }

Result<OpFamily> parseFamily(std::string_view name) {
  std::vector<std::string> names;
  for (const auto &i : familyTable()) {
    if (name == i.name)
      return i.family;
    names.push_back(i.name);
  }
  return makeError("unknown op family `" + std::string(name) +
                   "` (known: " + join(names, ", ") + ")");
}

const std::vector<OpFamily> &allFamilies() {
  static const std::vector<OpFamily> all = [] {
    std::vector<OpFamily> v;
    for (const auto &i : familyTable())
      v.push_back(i.family);
    return v;
  }();
  return all;
}

const std::vector<std::string> &familyDims(OpFamily family) {
  return info(family).dims;
}

const std::vector<std::string> &familyLayouts(OpFamily family) {
  return info(family).layouts;
}

bool isKnownElementType(std::string_view t) {
  return t == "f32" || t == "f16" || t == "bf16" || t == "i32" || t == "s8" ||
         t == "u8";
}

Result<TaskSignature> TaskSignature::parse(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string token;
  if (!(in >> token))
    return makeError("empty task signature");
  auto family = parseFamily(token);
  if (!family)
    return makeError(family.message());

  TaskSignature sig;
  sig.family = *family;
  const FamilyInfo &fi = info(sig.family);
  std::map<std::string, int64_t> dimValues;
  std::set<std::string> seen;

  while (in >> token) {
    size_t eq = token.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == token.size())
      return makeError("expected key=value, got `" + token + "`");
    std::string key = token.substr(0, eq);
    std::string value = token.substr(eq + 1);
    if (!seen.insert(key).second)
      return makeError("key `" + key + "` given twice");

    auto inapplicable = [&]() {
      return makeError("key `" + key + "` does not apply to " + fi.name);
    };
    if (std::find(fi.dims.begin(), fi.dims.end(), key) != fi.dims.end()) {
      auto v = parseInt(key, value);
      if (!v)
        return makeError(v.message());
      dimValues[key] = *v;
    } else if (key == "shape") {
      if (!fi.shaped)
        return inapplicable();
      auto v = parseIntList(key, value, 'x');
      if (!v)
        return makeError(v.message());
      sig.shape = *v;
    } else if (key == "axes") {
      if (!fi.reduction)
        return inapplicable();
      auto v = parseIntList(key, value, ',');
      if (!v)
        return makeError(v.message());
      sig.axes = *v;
    } else if (key == "stride") {
      if (!fi.windowed)
        return inapplicable();
      if (Status s = parseArray(key, value, sig.stride, 1); !s)
        return makeError(s.message());
    } else if (key == "dilation") {
      if (!fi.dilation)
        return inapplicable();
      if (Status s = parseArray(key, value, sig.dilation, 1); !s)
        return makeError(s.message());
    } else if (key == "pad") {
      if (!fi.windowed)
        return inapplicable();
      if (Status s = parseArray(key, value, sig.pad, 0); !s)
        return makeError(s.message());
    } else if (key == "layout") {
      sig.layout = value;
    } else if (key == "in" || key == "dtype") {
      if (key == "dtype" && seen.count("in"))
        return makeError("give either `dtype` or `in`, not both");
      if (key == "in" && seen.count("dtype"))
        return makeError("give either `dtype` or `in`, not both");
      sig.inType = value;
    } else if (key == "wt") {
      sig.weightType = value;
    } else if (key == "acc") {
      sig.accType = value;
    } else if (key == "out") {
      sig.outType = value;
    } else if (key == "izp" || key == "wzp") {
      auto v = parseInt(key, value);
      if (!v)
        return makeError(v.message());
      (key == "izp" ? sig.inputZeroPoint : sig.weightZeroPoint) = *v;
    } else if (key == "op") {
      if (!fi.shaped)
        return inapplicable();
      sig.op = value;
    } else if (key == "epilogue") {
      if (value != "none") {
        // Split on every '+', keeping empty items (as in "bias+") so that
        // normalize() rejects them instead of dropping them silently.
        size_t start = 0, plus;
        while ((plus = value.find('+', start)) != std::string::npos) {
          sig.epilogue.push_back(value.substr(start, plus - start));
          start = plus + 1;
        }
        sig.epilogue.push_back(value.substr(start));
      }
    } else {
      return makeError("unknown key `" + key + "` for " + fi.name);
    }
  }

  for (const auto &d : fi.dims) {
    auto it = dimValues.find(d);
    if (it == dimValues.end())
      return makeError(std::string(fi.name) + " needs dimension `" + d + "`");
    sig.dims.push_back(it->second);
  }
  if (Status s = sig.normalize(); !s)
    return makeError(s.message());
  return sig;
}

Status TaskSignature::normalize() {
  const FamilyInfo &fi = info(family);
  if (dims.size() != fi.dims.size())
    return makeError(std::string(fi.name) + " has " +
                     std::to_string(fi.dims.size()) + " dimensions, got " +
                     std::to_string(dims.size()));
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims[i] <= 0)
      return makeError("dimension `" + fi.dims[i] + "` must be positive, got " +
                       std::to_string(dims[i]));
  if (Status s = checkExtents(fi, *this); !s)
    return s;
  if (fi.shaped) {
    if (shape.empty())
      return makeError(std::string(fi.name) + " needs `shape=AxBx...`");
    for (int64_t s : shape)
      if (s <= 0)
        return makeError("shape extents must be positive");
    if (op.empty())
      return makeError(std::string(fi.name) + " needs `op=NAME`");
    for (char c : op)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
        return makeError("`op` must be letters, digits or _, got `" + op + "`");
  }
  if (fi.reduction) {
    if (axes.empty())
      return makeError("reduction needs `axes=...`");
    std::sort(axes.begin(), axes.end());
    axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
    for (int64_t a : axes)
      if (a < 0 || a >= static_cast<int64_t>(shape.size()))
        return makeError("reduction axis " + std::to_string(a) +
                         " is outside the shape");
  }
  if (!layout.empty() && layout == fi.layouts.front())
    layout.clear();
  if (!layout.empty() &&
      std::find(fi.layouts.begin(), fi.layouts.end(), layout) ==
          fi.layouts.end())
    return makeError("layout `" + layout + "` is not one of " + fi.name +
                     "'s (" + join(fi.layouts, ", ") + ")");
  if (inType == "i8")
    inType = "s8";
  for (std::string *t : {&inType, &weightType, &accType, &outType}) {
    if (*t == "i8")
      *t = "s8";
    if (!t->empty() && !isKnownElementType(*t))
      return makeError("unknown element type `" + *t +
                       "` (known: f32, f16, bf16, i32, s8, u8)");
  }
  if (inType.empty())
    return makeError("the input element type must be given");
  if (weightType == inType)
    weightType.clear();
  if (accType == (isFloatType(inType) ? "f32" : "i32"))
    accType.clear();
  if (outType == inType)
    outType.clear();
  if ((inputZeroPoint != 0 || weightZeroPoint != 0) && isFloatType(inType))
    return makeError("zero points (izp, wzp) apply to integer kernels only");
  auto inRange = [](const std::string &t, int64_t v) {
    return t == "u8" ? v >= 0 && v <= 255 : t == "s8" ? v >= -128 && v <= 127 : true;
  };
  if (!inRange(inType, inputZeroPoint))
    return makeError("izp " + std::to_string(inputZeroPoint) +
                     " is outside the range of " + inType);
  if (!inRange(effectiveWeightType(), weightZeroPoint))
    return makeError("wzp " + std::to_string(weightZeroPoint) +
                     " is outside the range of " + effectiveWeightType());
  for (auto &e : epilogue) {
    if (!validEpilogueItem(e))
      return makeError("unknown epilogue item `" + e +
                       "` (known: bias, relu, relu6, clamp:LO:HI, add, "
                       "sigmoid, tanh, requant:SCALE:ZP)");
    // One spelling per requant scale, as for clamp below.
    if (e.rfind("requant:", 0) == 0) {
      size_t c = e.find(':', 8);
      char buf[64];
      std::snprintf(buf, sizeof buf, "requant:%.9g:%ld",
                    std::strtod(e.substr(8, c - 8).c_str(), nullptr),
                    std::strtol(e.substr(c + 1).c_str(), nullptr, 10));
      e = buf;
    }
    // One spelling per clamp: "clamp:0.0:6" and "clamp:0:6" are one task.
    if (e.rfind("clamp:", 0) == 0) {
      size_t c = e.find(':', 6);
      char buf[64];
      std::snprintf(buf, sizeof buf, "clamp:%.9g:%.9g",
                    std::strtod(e.substr(6, c - 6).c_str(), nullptr),
                    std::strtod(e.substr(c + 1).c_str(), nullptr));
      e = buf;
    }
  }
  for (const auto &e : epilogue) {
    if (!validEpilogueItem(e))
      return makeError("unknown epilogue item `" + e +
                       "` (known: bias, relu, relu6, clamp:LO:HI, add, "
                       "sigmoid, tanh, requant:SCALE:ZP)");
    if (Status s = checkEpilogueValues(e); !s)
      return s;
  }
  if (fi.windowed) {
    auto o = outputSpatial();
    if (o[0] <= 0 || o[1] <= 0)
      return makeError("the window does not fit: output would be " +
                       std::to_string(o[0]) + "x" + std::to_string(o[1]));
  }
  return Status();
}

std::string TaskSignature::canonical() const {
  const FamilyInfo &fi = info(family);
  std::ostringstream os;
  os << fi.name;
  for (size_t i = 0; i < fi.dims.size() && i < dims.size(); ++i)
    os << ' ' << fi.dims[i] << '=' << dims[i];
  if (fi.shaped)
    os << " shape=" << join(shape, "x");
  if (fi.reduction)
    os << " axes=" << join(axes, ",");
  if (fi.windowed && stride != std::array<int64_t, 2>{1, 1})
    os << " stride=" << join(stride, ",");
  if (fi.dilation && dilation != std::array<int64_t, 2>{1, 1})
    os << " dilation=" << join(dilation, ",");
  if (fi.windowed && pad != std::array<int64_t, 4>{0, 0, 0, 0})
    os << " pad=" << join(pad, ",");
  if (!layout.empty())
    os << " layout=" << layout;
  if (inType != "f32")
    os << " in=" << inType;
  if (!weightType.empty())
    os << " wt=" << weightType;
  if (!accType.empty())
    os << " acc=" << accType;
  if (!outType.empty())
    os << " out=" << outType;
  if (inputZeroPoint != 0)
    os << " izp=" << inputZeroPoint;
  if (weightZeroPoint != 0)
    os << " wzp=" << weightZeroPoint;
  if (fi.shaped)
    os << " op=" << op;
  if (!epilogue.empty())
    os << " epilogue=" << join(epilogue, "+");
  return os.str();
}

std::string TaskSignature::hash() const { return sha256Hex(canonical()); }

int64_t TaskSignature::dim(std::string_view name) const {
  const auto &names = info(family).dims;
  for (size_t i = 0; i < names.size() && i < dims.size(); ++i)
    if (names[i] == name)
      return dims[i];
  return -1;
}

std::array<int64_t, 2> TaskSignature::outputSpatial() const {
  if (!info(family).windowed)
    return {0, 0};
  int64_t h = dim("h"), w = dim("w"), kh = dim("kh"), kw = dim("kw");
  int64_t oh = (h + pad[0] + pad[2] - dilation[0] * (kh - 1) - 1);
  int64_t ow = (w + pad[1] + pad[3] - dilation[1] * (kw - 1) - 1);
  oh = oh < 0 ? 0 : oh / stride[0] + 1;
  ow = ow < 0 ? 0 : ow / stride[1] + 1;
  return {oh, ow};
}

double TaskSignature::flops() const {
  auto d = [&](const char *n) { return static_cast<double>(dim(n)); };
  auto o = outputSpatial();
  double oh = static_cast<double>(o[0]), ow = static_cast<double>(o[1]);
  switch (family) {
  case OpFamily::Matmul:
    return 2.0 * d("m") * d("n") * d("k");
  case OpFamily::BatchMatmul:
    return 2.0 * d("b") * d("m") * d("n") * d("k");
  case OpFamily::Conv2d:
    return 2.0 * d("n") * oh * ow * d("f") * d("c") * d("kh") * d("kw");
  case OpFamily::DepthwiseConv2d:
    return 2.0 * d("n") * oh * ow * d("c") * d("kh") * d("kw");
  case OpFamily::PoolMax:
  case OpFamily::PoolAvg:
    return d("n") * oh * ow * d("c") * d("kh") * d("kw");
  case OpFamily::Elementwise:
  case OpFamily::Reduction: {
    double n = 1;
    for (int64_t s : shape)
      n *= static_cast<double>(s);
    return n;
  }
  }
  return 0;
}

std::vector<int64_t> TaskSignature::shapeValues() const {
  std::vector<int64_t> v = info(family).shaped ? shape : dims;
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::string TaskSignature::effectiveWeightType() const {
  return weightType.empty() ? inType : weightType;
}
std::string TaskSignature::effectiveAccType() const {
  return !accType.empty() ? accType : (isFloatType(inType) ? "f32" : "i32");
}
std::string TaskSignature::effectiveOutType() const {
  return outType.empty() ? inType : outType;
}
std::string TaskSignature::effectiveLayout() const {
  return layout.empty() ? info(family).layouts.front() : layout;
}

} // namespace tessel
