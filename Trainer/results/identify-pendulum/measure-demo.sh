#!/bin/bash
# Issue 28: the demo (virtual pendulum at the true parameters over a pty, MPQ H=8 with the checked-in Q, 10 s) planned on
# the rig file's hand-set prior (mass x1.3, length x1.2) against the identified rig (trainer identify on a 45 s chirp of
# the same virtual rig: mass 1.000, length 1.000). Same Q (--allow-other-rig on the identified one), same H, N, K.
# Prints per run: steady offset = |mean wrapped angle| over the last 4 s (upright throughout), sign flips and plan ms.
set -e
cd /work/main
C="dotnet Controller/Mpq.Controller/bin/Release/net10.0/controller.dll"
F="dotnet Firmware/Mpq.Firmware/bin/Release/net10.0/firmware.dll"
out=${OUT:-runs/demo-ident}; mkdir -p $out
# PLAN: the planner's arguments (default the demo's: H 8 with its Q); TAG names the outputs.
PLAN=${PLAN:---horizon 8 --q Trainer/results/pendulum-mpq-h8-1nm/q.onnx}
TAG=${TAG:-demo}
# PLAN_IDENTIFIED: the identified model's planner arguments (default: PLAN), e.g. a Q learned on the identified rig.
PLAN_IDENTIFIED=${PLAN_IDENTIFIED:-$PLAN}
for run in ${RUNS:-1 2 3}; do
  for model in prior identified; do
    task=pendulum; extra=(); plan=$PLAN
    [ $model = identified ] && { task=${IDENTIFIED:-Trainer/results/identify-pendulum/pendulum-identified}; plan=$PLAN_IDENTIFIED; [[ "$plan" == *pendulum-mpq-h8-1nm* ]] && extra=(--allow-other-rig); }
    pty=$(mktemp -d)
    socat pty,raw,echo=0,link=$pty/rig pty,raw,echo=0,link=$pty/controller 2>/dev/null & spid=$!
    sleep 1
    $F --port $pty/rig --driver virtual:pendulum --duration $(( ${DURATION:-10} + 15 )) > $out/fw-$TAG-$model-$run.log 2>&1 & fpid=$!
    sleep 2
    rm -f $out/$TAG-$model-$run.mpqlog
    $C run --port $pty/controller --task $task --arm $plan "${extra[@]}" --duration ${DURATION:-10} --console none --report 0 --no-watch \
       --log $out/$TAG-$model-$run.mpqlog --json > $out/$TAG-$model-$run.json 2> $out/$TAG-$model-$run.err || true
    kill $fpid $spid 2>/dev/null || true; wait 2>/dev/null || true
    $C log export $out/$TAG-$model-$run.mpqlog --csv $out/$TAG-$model-$run.csv 2>/dev/null
    python3 - "$out/$TAG-$model-$run.csv" "$out/$TAG-$model-$run.json" "$TAG $model" "$run" <<'PY'
import csv, json, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
s = json.load(open(sys.argv[2]))
t = [float(r['time [s]']) for r in rows]
th = [float(r['hinge_wrapped [rad]']) for r in rows]
tau = [float(r['torque_applied [N·m]']) for r in rows]
end = t[-1]
last = [(a, u) for tt, a, u in zip(t, th, tau) if tt >= end - 4]
up = all(abs(a) < 0.2 for a, _ in last)
mean = sum(a for a, _ in last) / len(last)
torque = sum(u for _, u in last) / len(last)
sm = s.get('SmoothnessInSuccessRegion') or {}
print(f"{sys.argv[3]:16s} run {sys.argv[4]}: success {s['Success']}, upright over the last 4 s {up}, offset {abs(mean):.4f} rad (mean {mean:+.4f}), "
      f"mean torque {torque:+.3f} N·m, sign flips {100*sm.get('SignFlipRate', float('nan')):.1f} %, plan p50 {s['PlanMsP50']:.2f} ms p99 {s['PlanMsP99']:.2f} ms")
PY
  done
done
