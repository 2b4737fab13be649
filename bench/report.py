#!/usr/bin/python3
"""Merges bench/ measurements into the kernel table, a CSV and PNG charts.

Inputs: the CSVs of tessel-bench-kernels (tessel tuned, heuristic, Halide's
Adams2019 and Mullapudi2016; with the measured FMA peak) and of
tessel-bench-anchors (OpenBLAS, XNNPACK, oneDNN, Eigen; the triad bandwidth),
for one or more thread counts; optionally the schedule database, for the
tuning-efficiency curves (best so far against trials and wall time).

usage: report.py --out DIR --kernels K1.csv... --anchors A1.csv... [--db F [--random-db F]]
"""
import argparse
import csv
import os
import sqlite3
import sys

TESSEL = ["tuned", "heuristic"]
OTHERS = ["adams2019", "mullapudi2016", "openblas", "xnnpack", "onednn", "eigen"]
COLUMNS = TESSEL + OTHERS


def group(task):
    if task.startswith("matmul m=128 "):
        return "bert"
    if task.startswith("matmul m=1 "):
        return "gemv"
    if task.startswith("matmul"):
        return "matmul"
    return "conv"


def bytes_moved(task):
    d = dict(kv.split("=") for kv in task.split()[1:] if "=" in kv)
    m, n, k = int(d["m"]), int(d["n"]), int(d["k"])
    return 4.0 * (m * k + k * n + m * n)


def flops(task):
    d = dict(kv.split("=") for kv in task.split()[1:] if "=" in kv)
    return 2.0 * int(d["m"]) * int(d["n"]) * int(d["k"])


def load(kernel_csvs, anchor_csvs):
    rows = {}  # (threads, task) -> {column: gflops}
    peak, bandwidth = {}, {}
    for path in kernel_csvs:
        for r in csv.DictReader(open(path)):
            key = (int(r["threads"]), r["task"])
            cell = rows.setdefault(key, {})
            for c, field in [("tuned", "tuned_gflops"), ("heuristic", "heuristic_gflops"),
                             ("adams2019", "adams2019_gflops"),
                             ("mullapudi2016", "mullapudi2016_gflops")]:
                v = float(r[field])
                cell[c] = v if v > 0 else None
            peak[int(r["threads"])] = float(r["peak_gflops"])
    for path in anchor_csvs:
        for r in csv.DictReader(open(path)):
            t = int(r["threads"])
            if r["task"] == "triad":
                bandwidth[t] = float(r["gflops"])
                continue
            cell = rows.setdefault((t, r["task"]), {})
            cell[r["library"]] = None if r["gflops"] == "n/a" else float(r["gflops"])
    return rows, peak, bandwidth


def table(rows, peak, bandwidth, out):
    lines, csv_rows, behind = [], [], []
    for threads in sorted({t for t, _ in rows}):
        bw = bandwidth.get(threads, 0)
        lines.append(f"\n{threads} thread{'s' if threads > 1 else ''}: measured FMA peak "
                     f"{peak.get(threads, 0):.1f} GFLOP/s, triad bandwidth {bw:.1f} GB/s")
        head = f"{'task':<58}" + "".join(f"{c:>14}" for c in COLUMNS) + f"{'%peak':>8}{'tessel/best':>13}"
        lines.append(head)
        for (t, task), cell in sorted(rows.items(), key=lambda kv: (kv[0][0], group(kv[0][1]), kv[0][1])):
            if t != threads:
                continue
            def fmt(v):
                return f"{v:14.1f}" if v else f"{'n/a':>14}"
            tuned = cell.get("tuned")
            others = [(cell.get(c), c) for c in OTHERS if cell.get(c)]
            best, best_name = max(others) if others else (None, "")
            ratio = tuned / best if tuned and best else None
            if group(task) == "gemv" and tuned and bw:
                gbs = bytes_moved(task) / (flops(task) / (tuned * 1e9)) * 1e-9
                pct = f"{100 * gbs / bw:6.0f}%b"
            else:
                pct = f"{100 * tuned / peak[threads]:6.0f}% " if tuned and peak.get(threads) else f"{'n/a':>8}"
            label = task if len(task) <= 57 else task[:54] + "..."
            lines.append(f"{label:<58}" + "".join(fmt(cell.get(c)) for c in COLUMNS) + f"{pct:>8}"
                         + (f"{ratio:12.2f}x" if ratio else f"{'n/a':>13}"))
            csv_rows.append([threads, task] + [cell.get(c) or "n/a" for c in COLUMNS]
                            + [peak.get(threads, ""), bw, ratio or "n/a", best_name])
            if ratio and ratio < 1:
                behind.append(f"{task} ({threads} thread{'s' if threads > 1 else ''}): "
                              f"{ratio:.2f}x of {best_name}")
    lines.append("\n(%peak: of the measured FMA peak; %b for GEMV: of the triad bandwidth. "
                 "tessel/best: tuned over the best of the other columns but tessel's own heuristic.)")
    if behind:
        lines.append("tessel behind the best other entry: " + "; ".join(behind))
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(out, "kernels.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(out, "kernels.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["threads", "task"] + [c + "_gflops" for c in COLUMNS]
                   + ["peak_gflops", "triad_gbs", "tessel_over_best", "best_other"])
        w.writerows(csv_rows)


def charts(rows, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    written = []
    for threads in sorted({t for t, _ in rows}):
        for g in ["matmul", "bert", "gemv", "conv"]:
            tasks = sorted(task for t, task in rows if t == threads and group(task) == g)
            if not tasks:
                continue
            fig, ax = plt.subplots(figsize=(max(6, 2.2 * len(tasks)), 4.5))
            width = 0.8 / len(COLUMNS)
            for i, c in enumerate(COLUMNS):
                vals = [rows[(threads, task)].get(c) or 0 for task in tasks]
                ax.bar([x + i * width for x in range(len(tasks))], vals, width, label=c)
            ax.set_xticks([x + 0.4 - width / 2 for x in range(len(tasks))])
            ax.set_xticklabels([t.replace(" ", "\n", 4) for t in tasks], fontsize=7)
            ax.set_ylabel("GFLOP/s")
            ax.set_title(f"{g} kernels, {threads} thread{'s' if threads > 1 else ''}")
            ax.legend(fontsize=7, ncol=4)
            fig.tight_layout()
            path = os.path.join(out, f"kernels-{g}-{threads}t.png")
            fig.savefig(path, dpi=110)
            plt.close(fig)
            written.append(path)
    return written


def records(db):
    """Per task signature: [(seconds or None, created_at)] in measurement order."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "select t.signature, m.median_s, m.status, m.created_at from measurements m "
        "join tasks t on t.id = m.task_id where m.emulated = 0 and m.threads = 1 "
        "order by t.signature, m.created_at").fetchall()
    per = {}
    for sig, median, status, created in rows:
        per.setdefault(sig, []).append((median if status == "ok" else None, created))
    return per


def efficiency(db, out, random_db=None):
    """Best so far against trials and wall time, per task: the search as it
    is (solid) and, for the tasks also tuned by random search with the same
    budget (dashed), relative to the best either found."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from datetime import datetime
    runs = {"search": records(db)}
    if random_db:
        runs["random"] = records(random_db)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
    lines = ["\ntuning efficiency (1 thread): trials to reach 95% of the best found"
             + (" (search / random search, same budget)" if random_db else "")]
    for sig in sorted(runs["search"]):
        seqs = {name: per[sig] for name, per in runs.items() if sig in per}
        finals = [m for seq in seqs.values() for m, _ in seq if m]
        if not finals:
            continue
        ref = min(finals)
        reach = {}
        for name, seq in seqs.items():
            best, rel, times = None, [], []
            t0 = datetime.fromisoformat(seq[0][1].replace("Z", "+00:00"))
            for median, created in seq:
                if median and (best is None or median < best):
                    best = median
                rel.append(ref / best if best else 0)
                times.append((datetime.fromisoformat(created.replace("Z", "+00:00")) - t0)
                             .total_seconds())
            reach[name] = next((str(i + 1) for i, r in enumerate(rel) if r >= 0.95),
                               f">{len(seq)}")
            style = "-" if name == "search" else "--"
            a1.plot(range(1, len(rel) + 1), rel, style, label=f"{sig[:36]} ({name})")
            a2.plot(times, rel, style, label=f"{sig[:36]} ({name})")
        n = len(seqs["search"])
        lines.append(f"  {sig[:60]:<60} " + " / ".join(f"{reach[k]:>4}" for k in seqs)
                     + f" of {n} trials")
    a1.set_xlabel("trials")
    a2.set_xlabel("seconds since the first measurement")
    for a in (a1, a2):
        a.set_ylabel("best so far / best found (speed)")
        a.set_ylim(0, 1.05)
    a1.legend(fontsize=5)
    fig.tight_layout()
    path = os.path.join(out, "tuning-efficiency.png")
    fig.savefig(path, dpi=110)
    print("\n".join(lines))
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--kernels", nargs="+", default=[])
    ap.add_argument("--anchors", nargs="+", default=[])
    ap.add_argument("--db")
    ap.add_argument("--random-db", help="the same tasks tuned with --search random")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows, peak, bandwidth = load(args.kernels, args.anchors)
    table(rows, peak, bandwidth, args.out)
    written = charts(rows, args.out)
    if args.db:
        written.append(efficiency(args.db, args.out, args.random_db))
    print("\nwrote " + os.path.join(args.out, "kernels.csv") + ", " + ", ".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
