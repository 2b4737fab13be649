"""Text rewrite of IREE self-checking e2e tests into plain upstream MLIR.

IREE's e2e tests (tests/e2e/...) are modules of argument-less functions:

    func.func @test() {
      %0 = util.unfoldable_constant dense<[1.0, 2.0]> : tensor<2xf32>
      %r = tosa.abs %0 : (tensor<2xf32>) -> tensor<2xf32>
      check.expect_almost_eq_const(%r, dense<[1.0, 2.0]> : tensor<2xf32>) : tensor<2xf32>
      return
    }

`util`, `check` and `flow` are IREE dialects that upstream MLIR does not know.
`build_module()` turns ONE such test function into a standalone upstream
module:

  * every `util.unfoldable_constant` / `flow.tensor.dynamic_constant` of the
    test function (and every `util.optimization_barrier` whose operand is an
    `arith.constant`) becomes an argument `%tessel_inN` of the test function;
    the constant value is materialised in the new `@main` and passed in.  The
    test function stays public, so no pass may fold through the argument.
    (In a helper function they become plain `arith.constant`s.)
  * `util.optimization_barrier` of anything else becomes an identity;
  * every `check.*` op becomes code that counts mismatching elements and adds
    the count to the global `@tessel_mismatches` (a `memref<i64>`), so checks
    inside helper functions and inside regions (tosa.cond_if) work too;
    `expect_eq*` compares exactly (bitwise for floats, like IREE's memcmp),
    `expect_almost_eq*` uses IREE's NumPy-style rule
        lhs == rhs || (isfinite(rhs) && |lhs-rhs| <= atol + rtol*|rhs|)
                   || (isnan(lhs) && isnan(rhs))
    with IREE's defaults atol = 1e-4, rtol = 0 (f16/bf16 compared in f32);
  * the test function becomes `@name(inputs...) -> i64` returning the count,
    and `@main()` calls it and prints `TESSEL_MISMATCHES <count>` with
    `vector.print`.

Public functions that take arguments or return values (IREE "compile-only"
tests) are kept as they are; the driver only checks that they lower.

The rewrite keeps the line numbers of the input file: other functions and
comments are blanked out (newlines kept), every replacement has as many
newlines as the text it replaces, and new functions are appended at the end.
So `<stdin>:LINE:COL` in a diagnostic points at the original file's line.
Only the standard library is used.
"""

import re

__all__ = ["RewriteError", "TestFunc", "parse_tests", "build_module",
           "GLOBAL_NAME", "RESULT_MARKER"]

GLOBAL_NAME = "tessel_mismatches"
RESULT_MARKER = "TESSEL_MISMATCHES"

# IREE check-module defaults for expect_almost_eq{,_const} (CheckOps.td).
DEFAULT_ATOL = "1.000000e-04"
DEFAULT_RTOL = "0.000000e+00"


class RewriteError(Exception):
    """The input uses something this rewrite cannot express."""


# --------------------------------------------------------------------------
# Low-level scanning of MLIR text
# --------------------------------------------------------------------------

_OPEN = {"(": ")", "[": "]", "{": "}", "<": ">"}
_CLOSE = set(_OPEN.values())


def strip_comments(text):
    """Remove `//` comments (outside string literals), keeping every newline."""
    out = []
    for line in text.split("\n"):
        in_str = False
        cut = len(line)
        i = 0
        while i < len(line):
            c = line[i]
            if in_str:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif line.startswith("//", i):
                cut = i
                break
            i += 1
        out.append(line[:cut].rstrip())
    return "\n".join(out)


def _skip_string(text, i):
    """text[i] == '"'; return the index after the closing quote."""
    i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    raise RewriteError("unterminated string literal")


def skip_balanced(text, i):
    """text[i] is an opening bracket; return the index after its partner.

    Handles nesting of ()[]{}<>, string literals, and the `->` arrow (whose
    '>' is not a closing bracket)."""
    stack = [_OPEN[text[i]]]
    i += 1
    while i < len(text):
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
            continue
        if c == "-" and text.startswith("->", i):
            i += 2
            continue
        if c in _OPEN:
            stack.append(_OPEN[c])
        elif c in _CLOSE:
            if c != stack[-1]:
                raise RewriteError("unbalanced '%s' in MLIR text" % c)
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    raise RewriteError("unterminated bracket in MLIR text")


def scan_until(text, i, stops):
    """Scan from i, skipping bracketed groups and strings, and return the index
    of the first top-level character that is in `stops` (or len(text))."""
    while i < len(text):
        c = text[i]
        if c in stops:
            return i
        if c == '"':
            i = _skip_string(text, i)
        elif c == "-" and text.startswith("->", i):
            i += 2
        elif c in _OPEN:
            i = skip_balanced(text, i)
        else:
            i += 1
    return i


def skip_ws(text, i):
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def read_type(text, i):
    """Read one type token (e.g. `tensor<4x?xf32>`, `i32`) starting at or
    after i; return (type_text, end_index)."""
    i = skip_ws(text, i)
    j = i
    while j < len(text):
        c = text[j]
        if c in "<(":
            j = skip_balanced(text, j)
        elif c.isspace() or c in ",)}]={":
            break
        else:
            j += 1
    if j == i:
        raise RewriteError("expected a type at: %r" % text[i:i + 40])
    return text[i:j], j


def split_top(text, sep=","):
    """Split at top-level separators (outside brackets and strings)."""
    parts, i, start = [], 0, 0
    while True:
        j = scan_until(text, i, sep)
        parts.append(text[start:j].strip())
        if j >= len(text):
            return parts
        i = start = j + 1


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


# --------------------------------------------------------------------------
# Types and attributes
# --------------------------------------------------------------------------

_INT_RE = re.compile(r"^i(\d+)$")
_FLOATS = {"f16": 16, "bf16": 16, "f32": 32, "f64": 64}


class TensorType:
    """A ranked tensor type (or a scalar when `shape is None`)."""

    def __init__(self, text):
        self.text = text
        m = re.fullmatch(r"tensor<(.*)>", text)
        if m is None:
            self.shape = None
            self.elem = text
        else:
            body = m.group(1)
            if body.startswith("*"):
                raise RewriteError("unranked tensor type %s" % text)
            if "," in body:  # encoding attribute
                raise RewriteError("tensor with encoding: %s" % text)
            dims = body.split("x")
            self.elem = dims.pop()
            self.shape = dims
        if not (_INT_RE.match(self.elem) or self.elem in _FLOATS
                or self.elem == "index"):
            raise RewriteError("unsupported element type in %s" % text)

    @property
    def is_tensor(self):
        return self.shape is not None

    @property
    def rank(self):
        return len(self.shape)

    @property
    def is_static(self):
        return all(d != "?" for d in self.shape)

    @property
    def is_float(self):
        return self.elem in _FLOATS


def splat_literal(attr, elem):
    """Return the scalar literal of a splat `dense<X>` attribute, or None."""
    m = re.fullmatch(r"dense<\s*(.*?)\s*>", attr.strip(), re.S)
    if m is None:
        return None
    lit = m.group(1)
    if not lit or "[" in lit or '"' in lit or "(" in lit:
        return None
    return scalar_literal(lit, elem)


def scalar_literal(lit, elem):
    """Normalise a scalar literal so that `arith.constant LIT : elem` parses."""
    lit = lit.strip()
    if elem == "i1":  # `arith.constant true : i1` does not parse
        return {"true": "1", "false": "0"}.get(lit, lit)
    if elem in _FLOATS:
        low = lit.lower()
        if not (low.startswith(("0x", "-0x")) or any(
                ch in low for ch in ".en")):  # '.', exponent, inf, nan
            lit += ".0"
    return lit


def float_bits_type(elem):
    return "i%d" % _FLOATS[elem]


def parse_typed_attr(text):
    """`ATTR : TYPE` -> (attr, type) at top level."""
    k = scan_until(text, 0, ":")
    if k >= len(text):
        raise RewriteError("expected `attr : type`, got %r" % text[:60])
    attr = text[:k].strip()
    ty, _ = read_type(text, k + 1)
    return attr, ty


# --------------------------------------------------------------------------
# Module structure
# --------------------------------------------------------------------------

class Func:
    """One top-level func.func: positions refer to the comment-stripped text."""

    def __init__(self, name, private, start, end, header_end, body_start,
                 args, results, attrs):
        self.name = name
        self.private = private
        self.start = start            # index of `func.func`
        self.end = end                # index after the closing '}'
        self.header_end = header_end  # index of the body's '{'
        self.body_start = body_start  # index after the body's '{'
        self.args = args              # text inside the argument parentheses
        self.results = results        # text after `->` ('' if none)
        self.attrs = attrs            # `attributes {...}` text ('' if none)


class TestFunc:
    """What the driver needs to know about one function of an input file."""

    def __init__(self, name, kind, line, error=None):
        self.name = name
        self.kind = kind  # "run" (self-checking) or "compile" (compile-only)
        self.line = line
        self.error = error  # set when the file itself cannot be parsed


_FUNC_RE = re.compile(
    r'func\.func\s+(?:(private|public|nested)\s+)?@([\w$.\-]+|"[^"]*")\s*')


def _parse_funcs(text):
    """Find the top-level functions of the (comment-stripped) text."""
    funcs = {}
    i = 0
    while True:
        i = skip_ws(text, i)
        if i >= len(text):
            return funcs
        if text.startswith("func.func", i):
            f = _parse_func(text, i)
            if f.name in funcs:
                raise RewriteError("function @%s defined twice" % f.name)
            funcs[f.name] = f
            i = f.end
        elif text.startswith("#", i) or text.startswith("!", i):
            # Attribute/type alias: `#map = affine_map<...>`; one statement.
            j = scan_until(text, i, "\n")
            i = j
        else:
            raise RewriteError(
                "line %d: unsupported top-level content %r"
                % (line_of(text, i), text[i:i + 30]))


def _parse_func(text, i):
    m = _FUNC_RE.match(text, i)
    if m is None:
        raise RewriteError("line %d: cannot parse function header"
                           % line_of(text, i))
    private = m.group(1) == "private"
    name = m.group(2).strip('"')
    j = m.end()
    if j >= len(text) or text[j] != "(":
        raise RewriteError("line %d: expected '(' after @%s"
                           % (line_of(text, i), name))
    k = skip_balanced(text, j)
    args = text[j + 1:k - 1].strip()
    results = attrs = ""
    while True:
        k = skip_ws(text, k)
        if text.startswith("->", k):
            r0 = skip_ws(text, k + 2)
            if text[r0] == "(":
                r1 = skip_balanced(text, r0)
            else:
                _, r1 = read_type(text, r0)
            results = text[r0:r1].strip()
            k = r1
        elif text.startswith("attributes", k):
            a0 = skip_ws(text, k + len("attributes"))
            a1 = skip_balanced(text, a0)
            attrs = text[k:a1]
            k = a1
        elif k < len(text) and text[k] == "{":
            break
        else:
            # A declaration without body.
            raise RewriteError("line %d: function @%s has no body"
                               % (line_of(text, i), name))
    end = skip_balanced(text, k)
    return Func(name, private, i, end, k, k + 1, args, results, attrs)


def _unwrap_module(text):
    """Blank a `module {` ... `}` wrapper (keeping newlines)."""
    m = re.match(r"\s*module(\s+@[\w$.\-]+)?\s*\{", text)
    if m is None:
        if re.match(r"\s*module\b", text):
            raise RewriteError("module with attributes is not supported")
        return text
    open_idx = m.end() - 1
    close = skip_balanced(text, open_idx)
    if text[close:].strip():
        raise RewriteError("content after the top-level module")
    return (blank(text[:open_idx + 1]) + text[open_idx + 1:close - 1]
            + blank(text[close - 1:]))


def blank(s):
    """Replace text by as many newlines as it contains."""
    return "\n" * s.count("\n")


def _prepare(text):
    stripped = _unwrap_module(strip_comments(text))
    return stripped, _parse_funcs(stripped)


_IREE_OP_RE = re.compile(r"\b(util|check|flow|hal|iree_[a-z_]+)\.[a-z_.]+")
_SYMREF_RE = re.compile(r'@([\w$.\-]+|"[^"]*")')


def _iter_ops(text, start, end):
    """Yield (pos, name) of IREE-dialect op names between start and end,
    outside string literals."""
    i = start
    while i < end:
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
            continue
        m = _IREE_OP_RE.match(text, i)
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_.%@#!")):
            yield i, m.group(0)
            i = m.end()
            continue
        i += 1


def _callees(text, funcs, root):
    """Names of the functions transitively referenced from `root`."""
    seen, todo = [], [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        f = funcs[name]
        for m in _SYMREF_RE.finditer(text, f.body_start, f.end):
            ref = m.group(1).strip('"')
            if ref in funcs and ref not in seen:
                todo.append(ref)
    return seen


def parse_tests(text):
    """List the test functions of a file (in file order).

    Public functions without arguments and results are self-checking tests
    ("run"); other public functions are compile-only tests ("compile")."""
    stripped, funcs = _prepare(text)
    tests = []
    for f in sorted(funcs.values(), key=lambda f: f.start):
        if f.private:
            continue
        kind = "run" if not f.args and not f.results else "compile"
        tests.append(TestFunc(f.name, kind, line_of(stripped, f.start)))
    return tests


# --------------------------------------------------------------------------
# Rewrite of one test function
# --------------------------------------------------------------------------

class _Rewriter:
    """Collects text edits (on the comment-stripped text) for one module."""

    def __init__(self, text, funcs, test_name):
        self.text = text
        self.funcs = funcs
        # The self-checking test function (None for compile-only tests).
        self.test = funcs[test_name] if test_name else None
        self.inputs = []     # (arg_name, arg_type, main_code_fn)
        self.counter = 0
        self.edits = []      # (start, end, replacement)

    # -- helpers -----------------------------------------------------------

    def fresh(self, stem):
        self.counter += 1
        return "%%tessel_%s%d" % (stem, self.counter)

    def err(self, pos, msg):
        return RewriteError("line %d: %s" % (line_of(self.text, pos), msg))

    def replace(self, start, end, code_lines):
        """Replace text[start:end] by code on one line + the same newlines."""
        old = self.text[start:end]
        code = " ".join(l.replace("\n", " ") for l in code_lines)
        self.edits.append((start, end, code + blank(old)))

    def result_name(self, op_pos):
        """(`%x`, start) of the `%x = ` right before op_pos."""
        m = re.search(r"(%[\w$.\-]+)\s*=\s*$", self.text[:op_pos][-300:])
        if m is None:
            raise self.err(op_pos, "cannot find the result name")
        return m.group(1), op_pos - len(m.group(0))

    def find_constant(self, func, name):
        """Return (attr, type) of `name = arith.constant ATTR : T` in func,
        or None if `name` is not defined that way."""
        pat = re.compile(re.escape(name) + r"\s*=\s*arith\.constant\s")
        m = pat.search(self.text, func.body_start, func.end)
        if m is None:
            return None
        colon = scan_until(self.text, m.end(), ":")
        attr = self.text[m.end():colon].strip()
        ty, _ = read_type(self.text, colon + 1)
        return attr, ty

    # -- inputs ------------------------------------------------------------

    def add_input(self, arg_type, make):
        name = "%%tessel_in%d" % len(self.inputs)
        self.inputs.append((name, arg_type, make))
        return name

    @staticmethod
    def alias(result, value, ty):
        """An identity op: `result = value` (so that uses stay untouched)."""
        t = TensorType(ty)
        if t.is_tensor:
            return "%s = tensor.cast %s : %s to %s" % (result, value, ty, ty)
        if t.elem == "index":
            raise RewriteError("index-typed input is not supported")
        return "%s = arith.bitcast %s : %s to %s" % (result, value, ty, ty)

    @staticmethod
    def materialize(attr, ty, prefix):
        """Lines that define a value `prefix` of type ty from attr in @main.
        Splat tensors are built with linalg.fill so that no large constant
        has to be emitted; everything else is an arith.constant."""
        t = TensorType(ty)
        lit = splat_literal(attr, t.elem) if t.is_tensor else None
        if t.is_tensor and lit is not None and t.is_static:
            return [
                "%s_s = arith.constant %s : %s" % (prefix, lit, t.elem),
                "%s_e = tensor.empty() : %s" % (prefix, ty),
                "%s = linalg.fill ins(%s_s : %s) outs(%s_e : %s) -> %s"
                % (prefix, prefix, t.elem, prefix, ty, ty)]
        if not t.is_tensor:
            attr = scalar_literal(attr, t.elem)
        return ["%s = arith.constant %s : %s" % (prefix, attr, ty)]

    # -- IREE ops ----------------------------------------------------------

    def op_end_typed(self, pos, name_len):
        """For `op ATTR : T` return (attr, type, end)."""
        i = pos + name_len
        colon = scan_until(self.text, i, ":")
        attr = self.text[i:colon].strip()
        ty, end = read_type(self.text, colon + 1)
        return attr, ty, end

    def rewrite_unfoldable(self, func, pos, opname):
        res, start = self.result_name(pos)
        attr, ty, end = self.op_end_typed(pos, len(opname))
        if func is self.test:
            arg = self.add_input(ty, lambda p, a=attr, t=ty:
                                 self.materialize(a, t, p))
            self.replace(start, end, [self.alias(res, arg, ty)])
        else:
            t = TensorType(ty)
            if not t.is_tensor:
                attr = scalar_literal(attr, t.elem)
            self.replace(start, end,
                         ["%s = arith.constant %s : %s" % (res, attr, ty)])

    def rewrite_dynamic_constant(self, func, pos, opname):
        res, start = self.result_name(pos)
        attr, sty, end = self.op_end_typed(pos, len(opname))
        end = skip_ws(self.text, end)
        if not self.text.startswith("->", end):
            raise self.err(pos, "expected '->' in %s" % opname)
        dty, end = read_type(self.text, end + 2)

        def make(p, a=attr, s=sty, d=dty):
            return self.materialize(a, s, p + "_static") + [
                "%s = tensor.cast %s_static : %s to %s" % (p, p, s, d)]

        if func is self.test:
            arg = self.add_input(dty, make)
            self.replace(start, end, [self.alias(res, arg, dty)])
        else:
            tmp = self.fresh("dc")
            self.replace(start, end, [
                "%s = arith.constant %s : %s" % (tmp, attr, sty),
                "%s = tensor.cast %s : %s to %s" % (res, tmp, sty, dty)])

    def rewrite_barrier(self, func, pos, opname):
        res, start = self.result_name(pos)
        i = pos + len(opname)
        colon = scan_until(self.text, i, ":")
        operands = split_top(self.text[i:colon])
        types_end = scan_until(self.text, colon + 1, "\n")
        types = split_top(self.text[colon + 1:types_end])
        if len(operands) != 1 or len(types) != 1:
            raise self.err(pos, "%s with %d operands is not supported"
                           % (opname, len(operands)))
        ty, end = read_type(self.text, colon + 1)
        const = self.find_constant(func, operands[0])
        if func is self.test and const is not None and const[1] == ty:
            # A barrier on a constant is an unfoldable constant.
            arg = self.add_input(ty, lambda p, a=const[0], t=ty:
                                 self.materialize(a, t, p))
            self.replace(start, end, [self.alias(res, arg, ty)])
        else:
            self.replace(start, end, [self.alias(res, operands[0], ty)])

    def rewrite_check(self, func, pos, opname):
        kind = opname[len("check."):]
        i = pos + len(opname)
        i = skip_ws(self.text, i)
        if self.text.startswith("<", i):
            raise self.err(pos, "%s with a device operand is not supported"
                           % opname)
        if self.text[i] != "(":
            raise self.err(pos, "expected '(' after %s" % opname)
        close = skip_balanced(self.text, i)
        args = split_top(self.text[i + 1:close - 1])
        j = skip_ws(self.text, close)
        if self.text.startswith("{", j):  # attr-dict
            j = skip_ws(self.text, skip_balanced(self.text, j))
        if not self.text.startswith(":", j):
            raise self.err(pos, "expected ':' after %s(...)" % opname)
        ty, end = read_type(self.text, j + 1)
        t = TensorType(ty)
        atol, rtol = DEFAULT_ATOL, DEFAULT_RTOL
        extra = args[2:]
        for e in extra:
            m = re.fullmatch(r"(atol|rtol)\s+(\S+)", e)
            if m is None:
                raise self.err(pos, "unexpected operand %r in %s" % (e, opname))
            if m.group(1) == "atol":
                atol = m.group(2)
            else:
                rtol = m.group(2)

        if kind in ("expect_true", "expect_false"):
            if len(args) != 1 or t.is_tensor:
                raise self.err(pos, "bad %s" % opname)
            code = self.scalar_check(args[0], t, kind == "expect_true")
        elif kind == "expect_all_true":
            if len(args) != 1 or not t.is_tensor:
                raise self.err(pos, "bad %s" % opname)
            code = self.tensor_check(args[0], None, t, "all_true")
        elif kind in ("expect_eq", "expect_almost_eq",
                      "expect_eq_const", "expect_almost_eq_const"):
            if len(args) < 2 or not t.is_tensor:
                raise self.err(pos, "bad %s" % opname)
            almost = "almost" in kind
            if almost and not t.is_float:
                raise self.err(pos, "%s on non-float type %s" % (opname, ty))
            mode = ("almost", atol, rtol) if almost else ("eq",)
            lhs, rhs = args[0], args[1]
            if kind.endswith("_const"):
                attr, aty = parse_typed_attr(rhs)
                code = self.const_check(lhs, attr, aty, t, mode)
            else:
                # Compare against a splat arith.constant as a scalar, so that
                # huge splat expectations need no memory.
                const = self.find_constant(func, rhs)
                if const is not None and const[1] == ty and \
                        splat_literal(const[0], t.elem) is not None:
                    code = self.const_check(lhs, const[0], ty, t, mode)
                else:
                    code = self.tensor_check(lhs, rhs, t, mode)
        else:
            raise self.err(pos, "unsupported check op %s" % opname)
        self.replace(pos, end, code)

    # -- code generation for checks ------------------------------------------

    def accumulate(self, count):
        """Add the i64 `count` to the global mismatch counter."""
        g, old, new = self.fresh("g"), self.fresh("old"), self.fresh("new")
        return [
            "%s = memref.get_global @%s : memref<i64>" % (g, GLOBAL_NAME),
            "%s = memref.load %s[] : memref<i64>" % (old, g),
            "%s = arith.addi %s, %s : i64" % (new, old, count),
            "memref.store %s, %s[] : memref<i64>" % (new, g)]

    def scalar_check(self, value, t, expect_true):
        zero, bad, cnt = self.fresh("zero"), self.fresh("bad"), self.fresh("cnt")
        pred = "eq" if expect_true else "ne"
        return [
            "%s = arith.constant 0 : %s" % (zero, t.elem),
            "%s = arith.cmpi %s, %s, %s : %s" % (bad, pred, value, zero, t.elem),
            "%s = arith.extui %s : i1 to i64" % (cnt, bad),
        ] + self.accumulate(cnt)

    def mismatch(self, a, b, elem, mode):
        """Lines computing i1 `bad` for elements a, b; returns (lines, bad)."""
        bad = self.fresh("bad")
        if mode[0] == "all_true":
            z = self.fresh("z")
            return ["%s = arith.constant 0 : %s" % (z, elem),
                    "%s = arith.cmpi eq, %s, %s : %s" % (bad, a, z, elem)], bad
        if mode[0] == "eq":
            if elem in _FLOATS:  # bitwise, like IREE's memcmp
                it = float_bits_type(elem)
                ai, bi = self.fresh("ai"), self.fresh("bi")
                return ["%s = arith.bitcast %s : %s to %s" % (ai, a, elem, it),
                        "%s = arith.bitcast %s : %s to %s" % (bi, b, elem, it),
                        "%s = arith.cmpi ne, %s, %s : %s" % (bad, ai, bi, it)
                        ], bad
            return ["%s = arith.cmpi ne, %s, %s : %s" % (bad, a, b, elem)], bad
        # almost: NumPy isclose as implemented by IREE's check module.
        _, atol, rtol = mode
        lines = []
        ft = elem
        if elem in ("f16", "bf16"):
            ft = "f32"
            ax, bx = self.fresh("ax"), self.fresh("bx")
            lines += ["%s = arith.extf %s : %s to f32" % (ax, a, elem),
                      "%s = arith.extf %s : %s to f32" % (bx, b, elem)]
            a, b = ax, bx
        inf = "0x7F800000" if ft == "f32" else "0x7FF0000000000000"
        n = {k: self.fresh(k) for k in (
            "eq", "d", "ad", "ab", "at", "rt", "tol0", "tol", "le", "inf",
            "fin", "close", "na", "nb", "nan", "ok0", "ok", "t")}
        lines += [
            "%(eq)s = arith.cmpf oeq, A, B : FT",
            "%(d)s = arith.subf A, B : FT",
            "%(ad)s = math.absf %(d)s : FT",
            "%(ab)s = math.absf B : FT",
            "%(at)s = arith.constant ATOL : FT",
            "%(rt)s = arith.constant RTOL : FT",
            "%(tol0)s = arith.mulf %(rt)s, %(ab)s : FT",
            "%(tol)s = arith.addf %(at)s, %(tol0)s : FT",
            "%(le)s = arith.cmpf ole, %(ad)s, %(tol)s : FT",
            "%(inf)s = arith.constant INF : FT",
            "%(fin)s = arith.cmpf one, %(ab)s, %(inf)s : FT",
            "%(close)s = arith.andi %(fin)s, %(le)s : i1",
            "%(na)s = arith.cmpf uno, A, A : FT",
            "%(nb)s = arith.cmpf uno, B, B : FT",
            "%(nan)s = arith.andi %(na)s, %(nb)s : i1",
            "%(ok0)s = arith.ori %(eq)s, %(close)s : i1",
            "%(ok)s = arith.ori %(ok0)s, %(nan)s : i1",
            "%(t)s = arith.constant true",
            "BAD = arith.xori %(ok)s, %(t)s : i1",
        ]
        subst = {"A": a, "B": b, "FT": ft, "ATOL": scalar_literal(atol, ft),
                 "RTOL": scalar_literal(rtol, ft), "INF": inf, "BAD": bad}
        out = []
        for l in lines:
            l = l % n if "%(" in l else l
            out.append(re.sub(r"\b(A|B|FT|ATOL|RTOL|INF|BAD)\b",
                              lambda m: subst[m.group(1)], l))
        return out, bad

    def reduce_count(self, ins, t, body_args, body):
        """A linalg.generic that sums i1 mismatches of `ins` into an i64."""
        dims = ", ".join("d%d" % k for k in range(t.rank))
        ident = "affine_map<(%s) -> (%s)>" % (dims, dims)
        scal = "affine_map<(%s) -> ()>" % dims
        maps = ", ".join([ident] * len(ins) + [scal])
        iters = ", ".join(['"reduction"'] * t.rank)
        e, z, init, red, cnt, acc, inc, s = (
            self.fresh("empty"), self.fresh("c0"), self.fresh("init"),
            self.fresh("red"), self.fresh("cnt"), self.fresh("acc"),
            self.fresh("inc"), self.fresh("sum"))
        lines, bad = body
        bb = ", ".join("%s: %s" % (n, t.elem) for n in body_args)
        return [
            "%s = tensor.empty() : tensor<i64>" % e,
            "%s = arith.constant 0 : i64" % z,
            "%s = linalg.fill ins(%s : i64) outs(%s : tensor<i64>) -> tensor<i64>"
            % (init, z, e),
            "%s = linalg.generic {indexing_maps = [%s], iterator_types = [%s]}"
            " ins(%s : %s) outs(%s : tensor<i64>) {" % (
                red, maps, iters, ", ".join(ins),
                ", ".join([t.text] * len(ins)), init),
            "^bb0(%s, %s: i64):" % (bb, acc),
        ] + lines + [
            "%s = arith.extui %s : i1 to i64" % (inc, bad),
            "%s = arith.addi %s, %s : i64" % (s, acc, inc),
            "linalg.yield %s : i64" % s,
            "} -> tensor<i64>",
            "%s = tensor.extract %s[] : tensor<i64>" % (cnt, red),
        ] + self.accumulate(cnt)

    def tensor_check(self, lhs, rhs, t, mode):
        if mode == "all_true":
            mode = ("all_true",)
        a, b = self.fresh("a"), self.fresh("b")
        if rhs is None:
            return self.reduce_count([lhs], t, [a],
                                     self.mismatch(a, None, t.elem, mode))
        return self.reduce_count([lhs, rhs], t, [a, b],
                                 self.mismatch(a, b, t.elem, mode))

    def const_check(self, lhs, attr, aty, t, mode):
        if aty != t.text:
            raise RewriteError("expected-value type %s differs from %s"
                               % (aty, t.text))
        lit = splat_literal(attr, t.elem)
        if lit is None:
            exp = self.fresh("expected")
            return (["%s = arith.constant %s : %s" % (exp, attr, aty)]
                    + self.tensor_check(lhs, exp, t, mode))
        # Splat expectation: compare with a scalar constant.
        c, a = self.fresh("expv"), self.fresh("a")
        return (["%s = arith.constant %s : %s" % (c, lit, t.elem)]
                + self.reduce_count([lhs], t, [a],
                                    self.mismatch(a, c, t.elem, mode)))

    # -- driver ------------------------------------------------------------

    def rewrite_func(self, func):
        handlers = {
            "util.unfoldable_constant": self.rewrite_unfoldable,
            "flow.tensor.dynamic_constant": self.rewrite_dynamic_constant,
            "util.optimization_barrier": self.rewrite_barrier,
        }
        for pos, op in _iter_ops(self.text, func.body_start, func.end):
            if op in handlers:
                handlers[op](func, pos, op)
            elif op.startswith("check."):
                self.rewrite_check(func, pos, op)
            else:
                raise self.err(pos, "unsupported IREE op '%s'" % op)

    def rewrite_returns(self):
        """`return` in the test function -> `return <mismatch count> : i64`."""
        f = self.test
        ret = re.compile(r"(?<![\w.%])(func\.)?return\b")
        for m in ret.finditer(self.text, f.body_start, f.end):
            rest = self.text[m.end():scan_until(self.text, m.end(), "\n}")]
            if rest.strip():
                raise self.err(m.start(), "test function returns values")
            g, v = self.fresh("retg"), self.fresh("retv")
            self.replace(m.start(), m.end(), [
                "%s = memref.get_global @%s : memref<i64>" % (g, GLOBAL_NAME),
                "%s = memref.load %s[] : memref<i64>" % (v, g),
                "return %s : i64" % v])


def build_module(text, test_name, entry="main"):
    """Return (module_text, entry_name) for the function `test_name`.

    For a compile-only function (one with arguments or results) the module
    holds the function and its callees (IREE ops rewritten, constants left
    foldable) and entry_name is None."""
    stripped, funcs = _prepare(text)
    if test_name not in funcs:
        raise RewriteError("no function @%s" % test_name)
    keep = _callees(stripped, funcs, test_name)
    test = funcs[test_name]
    runnable = not test.args and not test.results
    rw = _Rewriter(stripped, funcs, test_name if runnable else None)

    for f in funcs.values():
        if f.name in keep:
            rw.rewrite_func(f)
        else:
            rw.edits.append((f.start, f.end, blank(stripped[f.start:f.end])))
    tail = ["", "// ---- added by the tessel e2e driver ----",
            'memref.global "private" @%s : memref<i64> = dense<0>'
            % GLOBAL_NAME]
    if not runnable:
        return _apply(stripped, rw.edits).rstrip("\n") + "\n".join(
            tail + [""]), None

    rw.rewrite_returns()
    # New header on the old header's first line (its newlines are kept).
    args = ", ".join("%s: %s" % (n, t) for n, t, _ in rw.inputs)
    attrs = " " + test.attrs if test.attrs else ""
    header = "func.func @%s(%s) -> i64%s {" % (test_name, args, attrs)
    rw.edits.append((test.start, test.header_end + 1,
                     header + blank(stripped[test.start:test.header_end + 1])))
    module = _apply(stripped, rw.edits)

    while entry in keep:
        entry = "tessel_" + entry
    tail.append("func.func @%s() {" % entry)
    values = []
    for k, (_, _, make) in enumerate(rw.inputs):
        v = "%%tessel_arg%d" % k
        tail += ["  " + l for l in make(v)]
        values.append(v)
    tail += [
        "  %%tessel_count = call @%s(%s) : (%s) -> i64"
        % (test_name, ", ".join(values), ", ".join(t for _, t, _ in rw.inputs)),
        '  vector.print str "%s "' % RESULT_MARKER,
        "  vector.print %tessel_count : i64",
        "  return",
        "}", ""]
    return module.rstrip("\n") + "\n".join(tail), entry


def _apply(text, edits):
    edits = sorted(edits, key=lambda e: e[0])
    out, pos = [], 0
    for start, end, rep in edits:
        if start < pos:
            raise RewriteError("internal error: overlapping rewrites")
        out.append(text[pos:start])
        out.append(rep)
        pos = end
    out.append(text[pos:])
    return "".join(out)
