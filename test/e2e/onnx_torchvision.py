#!/usr/bin/python3
"""torchvision models at 1x3x224x224 through ONNX: each exported by
torch.onnx.export with seeded random weights (no trained weights offline),
compiled by `tessel compile MODEL.onnx`, run by `tessel run` on the same
input (by its ONNX name, `input`), and compared with PyTorch's output.
  onnx_torchvision.py BIN_DIR WORK_DIR [MODEL...]"""
import os
import subprocess
import sys

import numpy as np
import torch
import torchvision

MODELS = ["resnet18", "mobilenet_v2", "squeezenet1_1"]


def export(name, work):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    x = torch.randn(1, 3, 224, 224)
    path = os.path.join(work, name + ".onnx")
    torch.onnx.export(model, x, path, input_names=["input"], output_names=["logits"],
                      opset_version=13)
    with torch.no_grad():
        y = model(x).numpy()
    np.save(os.path.join(work, name + ".x.npy"), x.numpy())
    return path, y


def main():
    bin_dir, work = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or MODELS
    tessel = os.path.join(bin_dir, "tessel")
    os.makedirs(work, exist_ok=True)
    failed = 0
    for name in names:
        path, want = export(name, work)
        out = os.path.join(work, name)
        subprocess.run([tessel, "compile", path, "-o", out], check=True, stdout=subprocess.DEVNULL)
        got_path = os.path.join(work, name + ".y.npy")
        subprocess.run([tessel, "run", out, "--input",
                        "input=" + os.path.join(work, name + ".x.npy"), "--output", got_path],
                       check=True, stdout=subprocess.DEVNULL)
        got = np.load(got_path)
        err = np.abs(got.astype(np.float64) - want)
        scale = max(1e-6, float(np.max(np.abs(want))))
        ok = got.shape == want.shape and float(np.max(err)) <= 1e-3 * scale
        print("%-14s %s  max abs error %.3g (outputs up to %.3g)" %
              (name, "ok  " if ok else "FAIL", float(np.max(err)), scale))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
