"""Minimal .npy files without numpy, for the tests of `tessel run`.
  npy.py write FILE DESCR SHAPE VALUE   e.g. write a.npy '<f4' 37x45 1.0
  npy.py check FILE VALUE               every element equals VALUE ("ok")
  npy.py fortran FILE SHAPE             a float array saved in Fortran order"""
import ast
import struct
import sys

FORMATS = {"<f4": "f", "<i4": "i", "|u1": "B"}


def write(path, descr, shape, value, fortran=False):
    dims = [int(d) for d in shape.split("x")]
    n = 1
    for d in dims:
        n *= d
    dims_text = ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, fortran, dims_text)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode())
        f.write(struct.pack("<%d%s" % (n, FORMATS[descr]), *([value] * n)))


def check(path, value):
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY", "not .npy"
    length = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + length].decode())
    assert (10 + length) % 64 == 0, "header not aligned"
    n = 1
    for d in header["shape"]:
        n *= d
    code = FORMATS[header["descr"]]
    values = struct.unpack("<%d%s" % (n, code), data[10 + length:])
    bad = [v for v in values if v != value]
    print("ok" if not bad else "%d elements differ, e.g. %r" % (len(bad), bad[0]),
          header["shape"])


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
              if sys.argv[3][1] == "f" else int(sys.argv[5]))
    elif cmd == "check":
        check(sys.argv[2], float(sys.argv[3]))
    elif cmd == "fortran":
        write(sys.argv[2], "<f4", sys.argv[3], 1.0, fortran=True)
