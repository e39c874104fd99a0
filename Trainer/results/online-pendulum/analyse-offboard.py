#!/usr/bin/env python3
"""Issue 27's off-board figure from offboard.sh's logs: per seed, cost per step by rig-minute, when the pendulum first
held upright (within 0.2 rad for 1 s), and whether it stayed upright while the trainer was away (STOP_AT..RESTART_AT).
Usage: analyse-offboard.py DIR [STOP_AT RESTART_AT]"""
import csv, glob, json, math, os, subprocess, sys

R = sys.argv[1]
STOP_AT = float(sys.argv[2]) if len(sys.argv) > 2 else 90
RESTART_AT = float(sys.argv[3]) if len(sys.argv) > 3 else 120
C = ["dotnet", "Controller/Mpq.Controller/bin/Release/net10.0/controller.dll"]
UP = math.cos(0.2)

for log in sorted(glob.glob(f"{R}/offboard-s*.mpqlog")):
    name = os.path.basename(log)[:-len(".mpqlog")]
    out = log[:-len(".mpqlog")] + ".csv"
    subprocess.run(C + ["log", "export", log, "--csv", out], check=True, capture_output=True)
    rows = [r for r in csv.DictReader(open(out)) if r["cost"] != ""]
    t0 = float(rows[0]["time [s]"])
    t = [float(r["time [s]"]) - t0 for r in rows]
    cost = [float(r["cost"]) for r in rows]
    up = [float(r["cos_theta"]) > UP for r in rows]
    minutes = []
    for m in range(int(t[-1] // 60) + 1):
        c = [cost[i] for i in range(len(t)) if m * 60 <= t[i] < (m + 1) * 60]
        if len(c) > 600:   # a whole minute at 20 Hz (the last may be cut)
            minutes.append(sum(c) / len(c))
    first_hold = None
    run = 0
    for i in range(len(t)):
        run = run + 1 if up[i] else 0
        if run >= 20:
            first_hold = t[i - 19]
            break
    # The trainer's Ctrl-C is STOP_AT s after the controller started; the log starts at the first armed step.
    away = [up[i] for i in range(len(t)) if STOP_AT <= t[i] < RESTART_AT]
    after = [up[i] for i in range(len(t)) if t[i] >= RESTART_AT + 10]
    summary = {}
    try:
        summary = json.loads(open(f"{R}/{name}.json").read().strip().splitlines()[-1])
    except Exception:
        pass
    link = [l for l in open(f"{R}/{name}.err") if "transitions sent" in l]
    print(f"{name}: cost/step by minute {' / '.join(f'{c:.3f}' for c in minutes)}; upright (1 s within 0.2 rad) first at "
          f"{first_hold if first_hold is None else round(first_hold, 2)} s; upright while the trainer was away "
          f"{100 * sum(away) / max(1, len(away)):.1f} % of {len(away)} steps, after it was back {100 * sum(after) / max(1, len(after)):.1f} %; "
          f"deadline misses {summary.get('DeadlineMisses')}, Q swaps {summary.get('QSwaps')}, stop {summary.get('Stop')}; {link[-1].strip() if link else ''}")
