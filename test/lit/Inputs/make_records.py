#!/usr/bin/env python3
"""Writes records.json: a small hand-made tessel export used by the CLI tests.

Hashes are computed here the way tessel computes them (SHA-256 of the canonical
signature text, of the canonical schedule JSON and of the canonical machine
fingerprint JSON), so `tessel db import` accepts the file; a drift in tessel's
canonical forms makes the import fail and the tests notice.
Run: python3 make_records.py > records.json
"""
import hashlib
import json


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


machines = [
    {"arch": "x86_64", "cpu": "AMD EPYC 9R14", "isa": ["avx2", "avx512f", "fma"],
     "cores": 2, "l1d": 32768, "l2": 1048576, "l3": 33554432,
     "os": "Debian GNU/Linux 12 (bookworm)", "versions": {"tessel": "0.1.0"},
     "emulated": False},
    {"arch": "aarch64", "cpu": "MIDR 0x41/0xd40 (Neoverse V1)",
     "isa": ["asimd", "sve"], "cores": 64, "l1d": 65536, "l2": 1048576,
     "l3": 33554432, "os": "Debian GNU/Linux 12 (bookworm)",
     "versions": {"tessel": "0.1.0"}, "emulated": True},
]
tasks = ["matmul m=512 n=512 k=512",
         "matmul m=128 n=768 k=768 epilogue=bias+relu",
         "conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 pad=1,1,1,1"]
schedules = [
    {"tile_outer": {"m": 64, "n": 256, "k": 256}, "tile_inner": {"m": 6, "n": 32},
     "vector_dim": "n", "vector_width": 16, "order": ["n", "m", "k"]},
    {"tile_inner": {"m": 4, "n": 16}, "vector_dim": "n", "vector_width": 16},
    {"kind": "autoscheduler", "autoscheduler": "adams2019"},
]
mh = [sha(canon(m)) for m in machines]
th = [sha(t) for t in tasks]
sh = [sha(canon(s)) for s in schedules]
sessions = [
    {"uuid": "a" * 32, "started_at": "2026-11-01T10:00:00.000Z",
     "command": "tessel tune --target host", "machine": mh[0]},
    {"uuid": "b" * 32, "started_at": "2026-11-02T10:00:00.000Z",
     "command": "tessel tune --target graviton3 --runner qemu", "machine": mh[1]},
]


def meas(uid, task, target, machine, sched, session, status, median, source,
         emulated=False, error=""):
    return {"uid": uid, "task": th[task], "target": target,
            "machine": mh[machine], "schedule": sh[sched],
            "session": sessions[session]["uuid"], "source": source,
            "status": status, "median_s": median,
            "min_s": None if median is None else median * 0.98,
            "spread": None if median is None else 0.02,
            "repeats": 0 if median is None else 10,
            "max_error": {"failed": None, "timeout": None, "wrong": 0.5}.get(
                status, 1e-5),
            "emulated": emulated, "threads": 1, "error": error,
            "created_at": "2026-11-01T10:00:%02d.000Z" % int(uid[:2], 16)}


measurements = [
    meas("01" + "0" * 30, 0, "x86-64-avx512", 0, 0, 0, "ok", 0.00240, "search"),
    meas("02" + "0" * 30, 0, "x86-64-avx512", 0, 1, 0, "ok", 0.00410, "heuristic"),
    meas("03" + "0" * 30, 0, "x86-64-avx512", 0, 2, 0, "ok", 0.00290, "adams2019"),
    meas("04" + "0" * 30, 0, "x86-64-avx512", 0, 1, 0, "wrong", 0.00100, "search",
         error="max error 0.5 > tolerance"),
    meas("05" + "0" * 30, 0, "x86-64-avx512", 0, 1, 0, "failed", None, "search",
         error="killed by signal 11"),
    meas("06" + "0" * 30, 1, "x86-64-avx512", 0, 1, 0, "ok", 0.00140, "heuristic"),
    meas("07" + "0" * 30, 2, "x86-64-avx512", 0, 1, 0, "timeout", None, "search",
         error="no result in 10 s"),
    meas("08" + "0" * 30, 0, "graviton3", 1, 0, 1, "ok", 0.00100, "search",
         emulated=True),
]
doc = {"format": "tessel-schedule-db", "schema_version": 1,
       "targets": [], "machines": [{"hash": h, "fingerprint": m}
                                   for h, m in sorted(zip(mh, machines))],
       "tasks": [{"hash": h, "signature": t} for h, t in sorted(zip(th, tasks))],
       "schedules": [{"hash": h, "schedule": s}
                     for h, s in sorted(zip(sh, schedules), key=lambda p: p[0])],
       "sessions": sessions, "measurements": measurements}
print(json.dumps(doc, indent=2))
