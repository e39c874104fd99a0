#!/usr/bin/env bash
# The main job, end to end, in one command. For now: MPPI swings the pendulum up in simulation,
# planning on a biased model while a true-parameter MuJoCo plant plays the real rig; then the short
# horizon with the Q that MPQ learned. (Over a serial line to the firmware: see Controller/README.md, run.)
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-deps.sh

dotnet build Controller/Mpq.Controller -c Release -v quiet -nologo >/dev/null
controller="dotnet Controller/Mpq.Controller/bin/Release/net10.0/controller.dll"

echo "== MPPI H=32 on a biased model, true-parameter plant (3 episodes) =="
$controller sim --task pendulum --horizon 32 --samples 256 --episodes 3 --model-bias biased
echo
echo "== MPPI H=8 on the same biased model: too short to see the way up =="
$controller sim --task pendulum --horizon 8 --samples 256 --episodes 3 --model-bias biased
echo
echo "== the same H=8 with MPQ's learned Q as terminal cost (Trainer/results/pendulum-mpq-h8, ONNX Runtime) =="
$controller sim --task pendulum --horizon 8 --samples 256 --episodes 3 --model-bias biased --q Trainer/results/pendulum-mpq-h8/q.onnx
