#!/usr/bin/python3
"""A torchvision model at 1x3x224x224 with seeded random weights (there are
no trained weights offline), exported to ONNX by torch.onnx.export (opset
13); bench/torch_models.py builds the same model with the same seed.
usage: /usr/bin/python3 export_onnx.py MODEL OUT.onnx"""
import sys

import torch
import torchvision


def model(name):
    torch.manual_seed(0)
    return getattr(torchvision.models, name)(weights=None).eval()


def main():
    name, out = sys.argv[1], sys.argv[2]
    torch.onnx.export(model(name), torch.rand(1, 3, 224, 224), out, input_names=["input"],
                      output_names=["logits"], opset_version=13)
    return 0


if __name__ == "__main__":
    sys.exit(main())
