#!/usr/bin/env python3
"""Issue 27's headline figure from the run directories of run.sh: rig-minutes until MPQ H=8's per-minute cost per
step falls below MPPI H=32's on the same rig and prior, online and batch, 5 seeds, bootstrap intervals."""
import csv, json, os, random, sys

R = sys.argv[1] if len(sys.argv) > 1 else "/tmp/headline"
SEEDS = [1, 2, 3, 4, 5]

def minutes(path):
    rows = list(csv.DictReader(open(path)))
    return [float(r["cost_per_step"]) for r in rows if int(r["steps"]) >= 1150]  # whole minutes only

def batch_minutes(path):
    """train --rig: 10-s episodes, 6 to an armed minute; cost per step over each minute's episodes."""
    rows = list(csv.DictReader(open(path)))
    out = []
    for m in range(len(rows) // 6):
        chunk = rows[6 * m: 6 * m + 6]
        out.append(sum(float(r["cost"]) for r in chunk) / sum(int(r["steps"]) for r in chunk))
    walls = sum(float(r["wall_seconds"]) for r in rows)
    armed = sum(int(r["steps"]) for r in rows) * 0.05
    return out, armed, walls

def boot(values, n=10000, seed=7):
    rng = random.Random(seed)
    means = sorted(sum(rng.choice(values) for _ in values) / len(values) for _ in range(n))
    return sum(values) / len(values), means[int(0.025 * n)], means[int(0.975 * n)]

def fmt(t):
    return f"{t[0]:.3f} [{t[1]:.3f}, {t[2]:.3f}]"

def crossing(mpq, ref):
    """First rig-minute (1-based) from which MPQ's cost per step stays below the reference's, minute by minute."""
    n = min(len(mpq), len(ref))
    for m in range(n):
        if all(mpq[k] < ref[k] for k in range(m, n)):
            return m + 1
    return None

lines = []
online, mppi, batch, true = {}, {}, {}, {}
for s in SEEDS:
    online[s] = minutes(f"{R}/mpq-online-s{s}/metrics.csv")
    mppi[s] = minutes(f"{R}/mppi32-s{s}/metrics.csv")
    if os.path.exists(f"{R}/mpq-batch-s{s}/metrics.csv"):
        batch[s] = batch_minutes(f"{R}/mpq-batch-s{s}/metrics.csv")
    if os.path.exists(f"{R}/mppi32-true-s{s}/metrics.csv"):
        true[s] = minutes(f"{R}/mppi32-true-s{s}/metrics.csv")

lines.append("| seed | MPQ H=8 online, cost/step by rig-minute | MPPI H=32 (biased) | MPQ H=8 batch (train --rig), by armed minute | MPPI H=32, true model |")
lines.append("|---|---|---|---|---|")
for s in SEEDS:
    b = batch.get(s, ([], 0, 0))[0]
    lines.append(f"| {s} | {' / '.join(f'{c:.3f}' for c in online[s])} | {' / '.join(f'{c:.3f}' for c in mppi[s])} | {' / '.join(f'{c:.3f}' for c in b)} | {' / '.join(f'{c:.3f}' for c in true.get(s, []))} |")
lines.append("")
cross_online = [crossing(online[s], mppi[s]) for s in SEEDS]
lines.append(f"Rig-minutes until MPQ H=8 online stays below MPPI H=32 (paired by seed and minute): {cross_online}")
if batch:
    cross_batch = [crossing(batch[s][0], mppi[s]) for s in SEEDS if s in batch]
    lines.append(f"... batch train --rig (armed minutes): {cross_batch}")
    idle = [1 - batch[s][1] / batch[s][2] for s in batch]
    lines.append(f"batch train --rig: share of wall time the rig stood disarmed (learning): {fmt(boot(idle))}")
n = min(min(len(online[s]) for s in SEEDS), min(len(mppi[s]) for s in SEEDS))
for m in range(n):
    d = [online[s][m] - mppi[s][m] for s in SEEDS]
    lines.append(f"minute {m + 1}: MPQ online − MPPI H=32 cost/step = {fmt(boot(d))}")
    if batch and all(len(batch[s][0]) > m for s in batch):
        db = [batch[s][0][m] - mppi[s][m] for s in batch]
        lines.append(f"minute {m + 1}: MPQ batch − MPPI H=32 cost/step = {fmt(boot(db))}")
cum = [sum(online[s][:n]) * 1200 - sum(mppi[s][:n]) * 1200 for s in SEEDS]
lines.append(f"price of learning: cumulative cost over the first {n} rig-minutes, MPQ online − MPPI H=32 = {fmt(boot(cum))}")
if true:
    last = [online[s][n - 1] - true[s][-1] for s in SEEDS if s in true]
    lines.append(f"MPQ online in rig-minute {n} − MPPI H=32 on the true model (its last minute) = {fmt(boot(last))}")
    head = [mppi[s][n - 1] - true[s][-1] for s in SEEDS if s in true]
    lines.append(f"headroom: MPPI H=32 biased (minute {n}) − true model (last minute) = {fmt(boot(head))}")
summ = {s: json.load(open(f"{R}/mpq-online-s{s}/summary.json")) for s in SEEDS}
lines.append("online runs: " + "; ".join(f"s{s} {summ[s]['rig_seconds_armed']:.0f} s armed, {summ[s]['disarms']} disarms, {summ[s]['deadline_misses']} misses, {summ[s]['updates_per_second']:.1f} updates/s, {summ[s]['q_swaps']} swaps, {summ[s]['learning_back_offs']} back-offs" for s in SEEDS))
print("\n".join(lines))
