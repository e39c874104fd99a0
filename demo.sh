#!/usr/bin/env bash
# The main job, end to end, in one command. For now: MPPI swings the pendulum up in simulation,
# planning on a biased model while a true-parameter MuJoCo plant plays the real rig.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-deps.sh

dotnet build Controller/Mpq.Controller -c Release -v quiet -nologo >/dev/null
controller="dotnet Controller/Mpq.Controller/bin/Release/net10.0/controller.dll"

echo "== MPPI H=32 on a biased model, true-parameter plant (3 episodes) =="
$controller sim --task pendulum --horizon 32 --samples 256 --episodes 3 --model-bias biased
echo
echo "== MPPI H=8 on the same biased model: the short horizon that MPQ's learned Q will extend =="
$controller sim --task pendulum --horizon 8 --samples 256 --episodes 3 --model-bias biased
