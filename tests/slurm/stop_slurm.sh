#!/usr/bin/env bash
# Stop the single-node SLURM started by start_slurm.sh (its daemons, by their pid files).
set -uo pipefail
STATE="${1:-/tmp/eo-naslib-slurm}"
for name in slurmd slurmctld; do
  pidfile="$STATE/run/$name.pid"
  [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
exit 0
