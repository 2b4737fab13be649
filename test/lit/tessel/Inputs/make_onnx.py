"""Writes the small ONNX models of import.test (run once; the outputs are
committed): python3 make_onnx.py DIR (needs Debian's python3-onnx)."""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def main(out):
    f = TensorProto.FLOAT
    w = numpy_helper.from_array(
        np.arange(8 * 4 * 3 * 3, dtype=np.float32).reshape(8, 4, 3, 3) / 100, "w")
    b = numpy_helper.from_array(np.linspace(-1, 1, 8, dtype=np.float32), "b")
    # conv + relu + global pool + flatten: a small CNN with initializers.
    cnn = model([helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv"),
                 helper.make_node("Relu", ["c"], ["r"], name="relu"),
                 helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
                 helper.make_node("Flatten", ["p"], ["y"], name="flat")],
                [helper.make_tensor_value_info("x", f, [1, 4, 8, 8])],
                [helper.make_tensor_value_info("y", f, [1, 8])], [w, b])
    save(cnn, os.path.join(out, "cnn.onnx"))
    # The same with a symbolic batch.
    dyn = model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                [helper.make_tensor_value_info("x", f, ["batch", 4])],
                [helper.make_tensor_value_info("y", f, ["batch", 4])])
    save(dyn, os.path.join(out, "dynamic-batch.onnx"))
    # An op the importer does not know.
    unsupported = model([helper.make_node("Einsum", ["x", "x"], ["y"], equation="ij,ij->ij",
                                          name="the_einsum")],
                        [helper.make_tensor_value_info("x", f, [2, 2])],
                        [helper.make_tensor_value_info("y", f, [2, 2])], opset=12)
    save(unsupported, os.path.join(out, "unsupported-op.onnx"))
    # Hostile attributes and sizes: each a one-line error, never a crash.
    x4 = helper.make_tensor_value_info("x", f, [1, 2, 5, 5])
    y = helper.make_tensor_value_info("y", f, None)
    w3 = numpy_helper.from_array(np.ones((3, 2, 3, 3), np.float32), "w")
    hostile = {
        "stride0": ([helper.make_node("Conv", ["x", "w"], ["y"], strides=[0, 1])], [x4], [w3]),
        "kernel0": ([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[0, 0])], [x4], []),
        "axis9": ([helper.make_node("Concat", ["x", "x"], ["y"], axis=9)], [x4], []),
        "perm": ([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 0, 9, 1])], [x4], []),
        "huge": ([helper.make_node("Relu", ["x"], ["y"])],
                 [helper.make_tensor_value_info("x", f, [1 << 40, 1 << 40])], []),
        "huge-constant": ([helper.make_node("ConstantOfShape", ["s"], ["y"])], [x4],
                          [numpy_helper.from_array(np.array([1 << 40, 1 << 40], np.int64), "s")]),
    }
    for name, (nodes, ins, inits) in hostile.items():
        save(model(nodes, ins, [y], inits), os.path.join(out, "hostile-%s.onnx" % name))


if __name__ == "__main__":
    main(sys.argv[1])
