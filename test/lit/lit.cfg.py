# lit configuration for tessel: pass tests (tessel-opt) and CLI tests (tessel).
import os
import sys
import lit.formats

config.name = "tessel"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tessel_obj_root, "test", "lit")

config.environment["PATH"] = os.pathsep.join(
    [config.tessel_tools_dir, os.path.dirname(config.filecheck),
     "/usr/lib/llvm-19/bin", config.environment.get("PATH", os.environ["PATH"])])
config.substitutions.append(("%shared_models",
                             os.path.join(config.tessel_src_root, "..", "shared", "models")))
config.substitutions.append(("FileCheck", config.filecheck))
config.substitutions.append(("%python", sys.executable))
if config.tessel_has_halide:
    config.available_features.add("halide")
if config.tessel_has_mlir:
    config.available_features.add("mlir")
# Graviton from here: the aarch64 cross compiler and qemu (tools/deps.sh
# installs both on x86-64); tests that need them are UNSUPPORTED without.
import shutil
if shutil.which("qemu-aarch64") and shutil.which("aarch64-linux-gnu-gcc"):
    config.available_features.add("aarch64-emulation")
if os.path.isdir(os.path.join(config.tessel_src_root, "..", "shared", "models")):
    config.available_features.add("shared-models")
