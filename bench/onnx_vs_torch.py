#!/usr/bin/python3
"""For the demo: a torchvision model at 1x3x224x224 with seeded weights
(bench/export_onnx.py) exported to OUT/NAME.onnx, one input OUT/NAME.x.npy and
PyTorch's output on it OUT/NAME.y.npy; then PyTorch's latency on that input
(eager and TorchScript, 1 and 2 threads, median of RUNS calls after a warm-up)
as CSV lines: mode,threads,median_ms.
usage: /usr/bin/python3 onnx_vs_torch.py NAME OUT [RUNS]"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_onnx  # noqa: E402
import torch_models  # noqa: E402


def main():
    name, out = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    model = export_onnx.model(name)
    torch.manual_seed(1)
    x = torch.rand(1, 3, 224, 224)
    torch.onnx.export(model, x, os.path.join(out, name + ".onnx"), input_names=["input"],
                      output_names=["logits"], opset_version=13)
    with torch.no_grad():
        np.save(os.path.join(out, name + ".x.npy"), x.numpy())
        np.save(os.path.join(out, name + ".y.npy"), model(x).numpy())
        scripted = torch.jit.optimize_for_inference(torch.jit.script(model))
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for mode, f in (("eager", model), ("torchscript", scripted)):
                med, _ = torch_models.median_ms(f, x, runs, warmup_s=0.2)
                print(f"{mode},{threads},{med:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
