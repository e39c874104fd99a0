#!/bin/bash
# Issue 27's headline figure: MPQ H=8 learning online on the virtual pendulum rig (true parameters) against MPPI H=32 on
# the same rig and prior, and against today's batch train --rig; 5 seeds. Planner on the prior mass=2:0.1,length=0.7:0.05
# (its mean: mass x2, length x0.7), the rig's torque_limit 2 N·m (Figure 1's), learner and planner settings the
# trainer's pendulum defaults, terminal floor 0. Usage: [PARTS="online true batch ten"] run.sh OUTDIR (online and true: about
# 55 min on the 2-core machine; batch adds about 30, ten (one 10-minute online run) 11; keep the machine otherwise quiet: a dotnet build beside it delays
# the pty's kernel workers past the rig's 125-ms watchdog).
set -u
R=${1:-runs/online-pendulum}; mkdir -p "$R"
T="dotnet Trainer/Mpq.Trainer/bin/Release/net10.0/trainer.dll"
F="dotnet Firmware/Mpq.Firmware/bin/Release/net10.0/firmware.dll"
P="--prior mass=2:0.1,length=0.7:0.05 -T 2"
rig() { # name, then trainer arguments: a fresh virtual rig (hanging at rest) for each run
  local name=$1; shift
  chrt -f 60 socat pty,raw,echo=0,link=/tmp/hA pty,raw,echo=0,link=/tmp/hB & local S=$!  # the virtual cable
  sleep 0.5
  $F --port /tmp/hA --driver virtual:pendulum > "$R/$name.fw.log" 2>&1 & local F_PID=$!
  sleep 3
  exec 3<>/tmp/hB; printf 'set torque_limit 2\r' >&3; sleep 0.5; exec 3>&-
  $T train --rig /tmp/hB --out "$R/$name" "$@" > "$R/$name.out" 2> "$R/$name.err"
  echo "$name rc=$?" >> "$R/done.txt"
  kill $F_PID; sleep 1; kill $S; sleep 1
}
PARTS=${PARTS:-online true batch}
has() { case " $PARTS " in *" $1 "*) return 0;; *) return 1;; esac; }
if has online; then
  for s in 1 2 3 4 5; do
    rig mpq-online-s$s --online --minutes 4 --seed $s $P --set TerminalFloor=0
    rig mppi32-s$s --online --algo mppi -H 32 --minutes 4 --seed $s $P
  done
fi
if has true; then
  for s in 1 2 3 4 5; do   # the baseline's headroom: MPPI H=32 planning on the true parameters
    rig mppi32-true-s$s --online --algo mppi -H 32 --minutes 2 --seed $s --prior mass=1:0,length=1:0 -T 2
  done
fi
if has batch; then
  for s in 1 2 3 4 5; do
    rig mpq-batch-s$s --episodes 18 --episode-seconds 10 --seed $s $P --set TerminalFloor=0
  done
fi
if has ten; then   # the 10-minute run: armed throughout, deadline misses, updates/s, Q swaps (one seed)
  rig mpq-online-10min-s1 --online --minutes 10 --seed 1 $P --set TerminalFloor=0
fi
python3 Trainer/results/online-pendulum/analyse.py "$R"
