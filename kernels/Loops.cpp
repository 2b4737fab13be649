// Loop names and extents per family.
#include "kernels/Loops.h"

namespace tessel {

int64_t LoopNest::extent(const std::string &loop) const {
  for (size_t i = 0; i < pure.size(); ++i)
    if (pure[i] == loop)
      return pureExtents[i];
  for (size_t i = 0; i < reduction.size(); ++i)
    if (reduction[i] == loop)
      return reductionExtents[i];
  return -1;
}

std::string mainReduction(const LoopNest &loops) {
  for (const auto &r : loops.reduction)
    if (r == "k" || r == "c")
      return r;
  return "";
}

LoopNest describeLoops(const TaskSignature &t) {
  LoopNest l;
  auto d = [&](const char *n) { return t.dim(n); };
  auto o = t.outputSpatial();
  bool nchw = t.effectiveLayout().rfind("nchw", 0) == 0;
  switch (t.family) {
  case OpFamily::Matmul:
    l.pure = {"n", "m"};
    l.pureExtents = {d("n"), d("m")};
    l.reduction = {"k"};
    l.reductionExtents = {d("k")};
    break;
  case OpFamily::BatchMatmul:
    l.pure = {"n", "m", "b"};
    l.pureExtents = {d("n"), d("m"), d("b")};
    l.reduction = {"k"};
    l.reductionExtents = {d("k")};
    break;
  case OpFamily::Conv2d:
    if (nchw) {
      l.pure = {"ow", "oh", "f", "n"};
      l.pureExtents = {o[1], o[0], d("f"), d("n")};
    } else {
      l.pure = {"f", "ow", "oh", "n"};
      l.pureExtents = {d("f"), o[1], o[0], d("n")};
    }
    l.reduction = {"c", "kw", "kh"};
    l.reductionExtents = {d("c"), d("kw"), d("kh")};
    break;
  case OpFamily::DepthwiseConv2d:
  case OpFamily::PoolMax:
  case OpFamily::PoolAvg:
    if (nchw) {
      l.pure = {"ow", "oh", "c", "n"};
      l.pureExtents = {o[1], o[0], d("c"), d("n")};
    } else {
      l.pure = {"c", "ow", "oh", "n"};
      l.pureExtents = {d("c"), o[1], o[0], d("n")};
    }
    l.reduction = {"kw", "kh"};
    l.reductionExtents = {d("kw"), d("kh")};
    break;
  default:
    break;
  }
  if (!l.pure.empty())
    l.vectorDim = l.pure.front();
  return l;
}

} // namespace tessel
