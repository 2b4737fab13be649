// The MLIR-to-object commands (see Toolchain.h).
#include "db/Toolchain.h"

#include "db/Process.h"

#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;

namespace tessel {

std::vector<std::vector<std::string>> mlirObjectSteps(const std::string &input,
                                                      const std::string &stem,
                                                      const std::string &pipelineOptions,
                                                      const TargetPreset &preset) {
  std::string bin = selfDir();
  std::string llvmMlir = stem + ".llvm.mlir", in = stem + ".in.bc", opt = stem + ".bc",
              object = stem + ".o";
  std::string triple = "-mtriple=" + preset.llvmTriple;
  std::string cpu = "-mcpu=" + preset.llvmCpu;
  std::string attrs = "-mattr=" + preset.llvmFeatures;
  std::string pipeline = "target=" + preset.name + " runtime-alloc=1";
  if (!pipelineOptions.empty())
    pipeline += " " + pipelineOptions;
  return {
      {(fs::path(bin) / "tessel-opt").string(), input, "--tessel-compile=" + pipeline, "-o",
       llvmMlir},
      {(fs::path(bin) / "tessel-translate").string(), llvmMlir, "-o", in},
      {llvmTool("opt"), "-O3", triple, cpu, attrs, in, "-o", opt},
      {llvmTool("llc"), "-O3", triple, cpu, attrs, "-fp-contract=fast", "-relocation-model=pic",
       "-filetype=obj", opt, "-o", object},
  };
}

extern const char *const kModelRuntimeSource; // ModelRuntime.c, embedded

Status compileModelRuntime(const TargetPreset &preset, const std::string &dir,
                           const std::string &object) {
  auto cc = cCompilerFor(preset.arch);
  if (!cc)
    return makeError(cc.message());
  std::string source = (fs::path(dir) / "tessel_runtime.c").string();
  {
    std::ofstream out(source);
    out << kModelRuntimeSource;
    if (!out)
      return makeError(source + ": cannot write");
  }
  return runTool({*cc, "-O2", "-fPIC", "-c", source, "-o", object}, dir);
}

Status runSteps(const std::vector<std::vector<std::string>> &steps,
                const std::string &cwd, bool verbose) {
  for (size_t i = 0; i < steps.size(); ++i) {
    std::string errFile =
        (fs::path(cwd) / ("step" + std::to_string(i) + ".stderr")).string();
    Status s = runTool(steps[i], cwd, "", errFile);
    auto text = readFile(errFile);
    if (text && !text->empty())
      std::cerr << (s || verbose ? *text : diagnosticHead(*text));
    if (!s && text && s.message().find(" crashed (") != std::string::npos)
      return makeError(s.message() + crashOrigin(*text));
    if (!s)
      return s;
  }
  return Status();
}

} // namespace tessel
