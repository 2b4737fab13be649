#!/usr/bin/python3
"""PyTorch 1.13 (Debian's python3-torch) on the same networks as the
torchvision exports in ../shared/models: ResNet-18, MobileNetV2 and
SqueezeNet 1.1 built here in torch.nn at the exports' 1x3x32x32, VGG-11
from torchvision.models (Debian's python3-torchvision) at 1x3x224x224, and
the ONNX models of bench/export_onnx.py (onnx-resnet18, onnx-resnet50,
onnx-mobilenet_v2: torchvision at 1x3x224x224, the same seeded weights);
batch 1, eval mode, eager and TorchScript (torch.jit.optimize_for_inference:
frozen, convolutions and batch norms folded, MKL-DNN layouts), in interleaved
rounds.
Prints CSV, a row per case and round (bench/models.sh takes the median of
the rounds): model,threads,mode,median_ms,min_ms.

usage: /usr/bin/python3 torch_models.py [--threads 1 2] [--runs 50] [--rounds 3] [MODEL...]
"""
import argparse
import itertools
import statistics
import sys
import time

import torch
import torch.nn as nn


def conv_bn(cin, cout, k, s, p, groups=1, relu=True, relu6=False):
    layers = [nn.Conv2d(cin, cout, k, s, p, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU6(inplace=True) if relu6 else nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn(cin, cout, 3, stride, 1)
        self.b = conv_bn(cout, cout, 3, 1, 1, relu=False)
        self.down = (conv_bn(cin, cout, 1, stride, 0, relu=False)
                     if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        return torch.relu(self.b(self.a(x)) + self.down(x))


def resnet18():
    layers = [conv_bn(3, 64, 7, 2, 3), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
        cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [] if expand == 1 else [conv_bn(cin, hidden, 1, 1, 0, relu6=True)]
        layers += [conv_bn(hidden, hidden, 3, stride, 1, groups=hidden, relu6=True),
                   conv_bn(hidden, cout, 1, 1, 0, relu=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


def mobilenet_v2():
    layers = [conv_bn(3, 32, 3, 2, 1, relu6=True)]
    cin = 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
            cin = c
    layers += [conv_bn(cin, 1280, 1, 1, 0, relu6=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               nn.Dropout(0.2), nn.Linear(1280, 1000)]
    return nn.Sequential(*layers)


class Fire(nn.Module):
    def __init__(self, cin, squeeze, e1, e3):
        super().__init__()
        self.s = nn.Sequential(nn.Conv2d(cin, squeeze, 1), nn.ReLU(inplace=True))
        self.e1 = nn.Sequential(nn.Conv2d(squeeze, e1, 1), nn.ReLU(inplace=True))
        self.e3 = nn.Sequential(nn.Conv2d(squeeze, e3, 3, padding=1), nn.ReLU(inplace=True))

    def forward(self, x):
        x = self.s(x)
        return torch.cat([self.e1(x), self.e3(x)], 1)


def squeezenet1_1():
    return nn.Sequential(
        nn.Conv2d(3, 64, 3, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, ceil_mode=True),
        Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), nn.MaxPool2d(3, 2, ceil_mode=True),
        Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), nn.MaxPool2d(3, 2, ceil_mode=True),
        Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
        Fire(512, 64, 256, 256), nn.Dropout(0.5), nn.Conv2d(512, 1000, 1), nn.ReLU(inplace=True),
        nn.AdaptiveAvgPool2d(1), nn.Flatten())


def vgg11():
    import torchvision
    return torchvision.models.vgg11()


def onnx_model(name):
    """The model bench/export_onnx.py exports (same seed, same weights)."""
    import os
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import export_onnx
    return lambda: export_onnx.model(name)


MODELS = {"resnet18": resnet18, "mobilenet_v2": mobilenet_v2, "squeezenet1_1": squeezenet1_1,
          "vgg11": vgg11}
for _name in ("resnet18", "resnet50", "mobilenet_v2"):
    MODELS["onnx-" + _name] = onnx_model(_name)
# The input size of each export.
INPUT = {"vgg11": 224, "onnx-resnet18": 224, "onnx-resnet50": 224, "onnx-mobilenet_v2": 224}


def median_ms(f, x, runs, warmup_s=0.0):
    """Median and minimum ms of `runs` calls, after 5 calls and `warmup_s`."""
    start = time.perf_counter()
    for i in itertools.count():
        if i >= 5 and time.perf_counter() - start >= warmup_s:
            break
        f(x)
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f(x)
        t.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(t), min(t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    ap.add_argument("models", nargs="*", default=list(MODELS))
    args = ap.parse_args()
    print("model,threads,mode,median_ms,min_ms")
    cases = []
    with torch.no_grad():
        for name in args.models:
            model = MODELS[name]().eval()
            scripted = torch.jit.optimize_for_inference(torch.jit.script(model))
            size = INPUT.get(name, 32)
            x = torch.rand(1, 3, size, size)
            for threads in args.threads:
                for mode, f in [("eager", model), ("torchscript", scripted)]:
                    cases.append((name, threads, mode, f, x))
        for _ in range(args.rounds):
            for name, threads, mode, f, x in cases:
                torch.set_num_threads(threads)
                med, lo = median_ms(f, x, args.runs)
                print(f"{name},{threads},{mode},{med:.4f},{lo:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
