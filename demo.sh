#!/usr/bin/env bash
# The whole bridge in one command: a trained Q (the checked-in one, or --train to learn a new one, ~4 min),
# the Firmware driving the virtual pendulum rig (MuJoCo at the true parameters) on one end of a socat pty
# pair, the Controller planning on its biased model on the other end; swing-up, a summary, and a PNG of
# angle and torque over time. Output goes to ${DEMO_OUT:-demo-output}/.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-deps.sh

train=0
truth=()
rig=pendulum
usage="usage: ./demo.sh [--rig pendulum|furuta] [--train] [--true NAME=VALUE,...]"
while [ $# -gt 0 ]; do
  case "$1" in
    --train) train=1 ;;
    # Which rig folder (Controller/rigs): the pendulum (default) or the rotary (Furuta) pendulum.
    --rig) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; rig=$2; shift ;;
    # How the virtual rig differs from the controller's model (friction, deadband, a motor, delay, other true parameters):
    # e.g. --true friction_0=0.05,deadband=0.05,delay_ms=2 (Firmware/README.md, "The virtual rig").
    --true) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; truth=(--true "$2"); shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done

out=${DEMO_OUT:-demo-output}
mkdir -p "$out"
echo "== building (Release) =="
# Each program on its own: no program references another, so building the Trainer does not build the controller.
for program in Controller/Mpq.Controller Firmware/Mpq.Firmware Trainer/Mpq.Trainer; do
  dotnet build "$program" -c Release -v quiet -nologo >/dev/null
done
controller="dotnet Controller/Mpq.Controller/bin/Release/net10.0/controller.dll"
firmware="dotnet Firmware/Mpq.Firmware/bin/Release/net10.0/firmware.dll"
trainer="dotnet Trainer/Mpq.Trainer/bin/Release/net10.0/trainer.dll"

case "$rig" in
  pendulum)
    # The rig's torque limit is 1 N·m (the Firmware's default), half what the simulated task allows: the Q is learned
    # for it (a Q learned for 2 N·m values swings the rig cannot finish).
    q=Trainer/results/pendulum-mpq-h8-1nm/q.onnx
    train_args=(--task pendulum --algo mpq --horizon 8 --episodes 40 --seed 1 --torque-limit 1)
    plan_args=(--horizon 8)
    ;;
  furuta)
    # The checked-in Q: MPQ at H 8, 15 episodes (Trainer/results/furuta-mpq-h8); the rig's torque limit is its model's
    # (±0.05 N·m), so the Q's range is the rig's. MPPI at H 8 without it never swings up.
    q=Trainer/results/furuta-mpq-h8/q.onnx
    train_args=(--task furuta --algo mpq --horizon 8 --episodes 15 --seed 1)
    plan_args=(--horizon 8)
    ;;
  *) echo "unknown rig '$rig': pendulum or furuta (Controller/rigs)" >&2; exit 2 ;;
esac
if [ "$train" = 1 ]; then
  echo "== training MPQ H=8 on the $rig (true-parameter plant, biased model): trainer train ${train_args[*]} =="
  rm -rf "$out/train"
  $trainer train "${train_args[@]}" --out "$out/train" | tail -n 3
  q=$out/train/q.onnx
  plan_args=(--horizon 8)
elif [ -n "$q" ]; then
  echo "== using the checked-in Q: $q (made by: trainer train ${train_args[*]}) =="
else
  echo "== no Q: MPPI ${plan_args[*]} on the biased model =="
fi
q_args=()
[ -n "$q" ] && q_args=(--q "$q")

pty=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$pty"
}
trap cleanup EXIT
socat "pty,raw,echo=0,link=$pty/rig" "pty,raw,echo=0,link=$pty/controller" &
pids+=($!)
for _ in $(seq 100); do [ -e "$pty/rig" ] && [ -e "$pty/controller" ] && break; sleep 0.05; done

echo "== virtual $rig rig on $pty/rig (500 Hz), controller on $pty/controller =="
$firmware --port "$pty/rig" --driver "virtual:$rig" --duration 25 "${truth[@]}" >"$out/firmware.log" 2>&1 &
pids+=($!)
sleep 2
rm -f "$out/swingup.mpqlog"
# DEMO_PLANNER_ARGS: extra planner options for the controller (e.g. "-N 1024 --alpha 1"), to compare settings on the rig.
# shellcheck disable=SC2086
$controller run --port "$pty/controller" --task "$rig" --arm "${plan_args[@]}" "${q_args[@]}" --duration 10 --console none --report 0 --no-watch ${DEMO_PLANNER_ARGS:-} \
  --log "$out/swingup.mpqlog" --json >"$out/summary.json" 2>"$out/controller.log" || {
  echo "the controller failed:" >&2; cat "$out/controller.log" >&2; exit 1; }
$trainer plot-log "$out/swingup.mpqlog" --out "$out/swingup.png" >/dev/null

# The first "NAME": in the summary (top-level fields come before the nested smoothness objects).
field() { grep -o "\"$1\":[^,}]*" "$out/summary.json" | head -n 1 | cut -d: -f2 | tr -d '"'; }
upright() { grep -o '"SmoothnessInSuccessRegion":{[^}]*}' "$out/summary.json" | grep -o "\"$1\":[^,}]*" | cut -d: -f2 | tr -d '"'; }
printf '\n== summary ==\n'
printf 'success (the rig'"'"'s test held over its window at the end): %s\n' "$(field Success)"
printf 'time to success (window held): %s\n' "$(field SecondsToSuccess | awk '{ if ($1 ~ /^[0-9.]+$/) printf "%.2f s", $1; else printf "never" }')"
printf 'link round trip:              p50 %.2f ms, p99 %.2f ms\n' "$(field RoundTripMsP50)" "$(field RoundTripMsP99)"
printf 'deadline misses:              %s of %s steps\n' "$(field DeadlineMisses)" "$(field Steps)"
printf 'planning time:                p50 %.2f ms, p99 %.2f ms\n' "$(field PlanMsP50)" "$(field PlanMsP99)"
printf 'frames:                       sent %s, received %s intact, %s lost\n' "$(field FramesSent)" "$(field FramesAccepted)" "$(field FramesLost)"
printf 'torque while upright:         sign flips %.0f %% of steps, mean |Δτ| %.2f N·m per step, at the limit %.0f %% (%s steps)\n' \
  "$(awk "BEGIN{print 100*$(upright SignFlipRate)}")" "$(upright MeanAbsChange)" "$(awk "BEGIN{print 100*$(upright AtLimitShare)}")" "$(upright Steps)"
printf 'stopped:                      %s\n' "$(field StopReason)"
printf 'plot of angle and torque:     %s\n' "$out/swingup.png"
[ "$(field Success)" = true ]
