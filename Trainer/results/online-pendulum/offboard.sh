#!/bin/bash
# Issue 27's off-board figure: the same rig, prior and torque limit as run.sh, but the trainer in a second process
# (`trainer serve`) and the rig's own `controller run --learn-from` acting; the trainer is stopped (Ctrl-C) at
# STOP_AT s and restarted (it resumes its checkpoint) at RESTART_AT s. Every step is logged (--log) so the outage can be
# read step by step. Usage: [SEEDS="1 2 3"] offboard.sh OUTDIR (about 4.5 min a seed on the 2-core machine; keep the
# machine otherwise quiet).
set -u
R=${1:-runs/offboard-pendulum}; mkdir -p "$R"
T="dotnet Trainer/Mpq.Trainer/bin/Release/net10.0/trainer.dll"
C="dotnet Controller/Mpq.Controller/bin/Release/net10.0/controller.dll"
F="dotnet Firmware/Mpq.Firmware/bin/Release/net10.0/firmware.dll"
PRIOR="mass=2:0.1,length=0.7:0.05"
SECONDS_ARMED=${SECONDS_ARMED:-240}; STOP_AT=${STOP_AT:-90}; RESTART_AT=${RESTART_AT:-120}
PORT=${PORT:-50777}
for s in ${SEEDS:-1 2 3 4 5}; do
  name=offboard-s$s
  rm -rf "$R/$name" "$R/$name.mpqlog"
  chrt -f 60 socat pty,raw,echo=0,link=/tmp/oA pty,raw,echo=0,link=/tmp/oB & S=$!
  sleep 0.5
  $F --port /tmp/oA --driver virtual:pendulum > "$R/$name.fw.log" 2>&1 & F_PID=$!
  sleep 3
  exec 3<>/tmp/oB; printf 'set torque_limit 2\r' >&3; sleep 0.5; exec 3>&-
  serve() { $T serve --listen 127.0.0.1:$PORT --out "$R/$name" --prior $PRIOR --set TerminalFloor=0 --seed $s --threads 2 >> "$R/$name.trainer.log" 2>&1 & T_PID=$!; }
  serve; sleep 8
  $C run --port /tmp/oB --arm --learn-from 127.0.0.1:$PORT --prior $PRIOR --seed $s --duration $SECONDS_ARMED --log "$R/$name.mpqlog" \
    --json --console none --report 0 > "$R/$name.json" 2> "$R/$name.err" & C_PID=$!
  sleep $STOP_AT; kill -TERM $T_PID; wait $T_PID   # SIGTERM: a background job has SIGINT ignored; the host stops on either
  sleep $((RESTART_AT - STOP_AT)); serve
  wait $C_PID; echo "$name rc=$?" >> "$R/done.txt"
  kill -TERM $T_PID; wait $T_PID
  kill $F_PID; sleep 1; kill $S; sleep 1
done
