#!/usr/bin/env bash
# Start a single-node SLURM (munged + slurmctld + slurmd on this host) for the creation tests.
# Needs Debian's `slurm-wlm` and `munge` packages and root:  apt-get install -y slurm-wlm munge
# Usage: tests/slurm/start_slurm.sh [STATE_DIR]   (default /tmp/eo-naslib-slurm); prints the
# `export SLURM_CONF=...` line to use; `tests/slurm/stop_slurm.sh STATE_DIR` stops it again.
set -euo pipefail
STATE="${1:-/tmp/eo-naslib-slurm}"
HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM_MB="$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))"
mkdir -p "$STATE"/{spool,state,log,run}

command -v slurmctld >/dev/null || { echo "slurmctld not found: apt-get install -y slurm-wlm munge" >&2; exit 3; }
command -v munged >/dev/null || { echo "munged not found: apt-get install -y munge" >&2; exit 3; }

# munge: a key and a running daemon
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
if ! munge -n >/dev/null 2>&1; then
  munged --force 2>/dev/null || su -s /bin/sh munge -c "munged --force"
  for _ in $(seq 20); do munge -n >/dev/null 2>&1 && break; sleep 0.25; done
fi
munge -n | unmunge >/dev/null

cat > "$STATE/slurm.conf" <<CONF
ClusterName=eonaslib
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF="$STATE/slurm.conf"
# a cgroup.conf is read by slurmd even without cgroup plugins on some versions
echo "CgroupPlugin=autodetect" > "$STATE/cgroup.conf"

slurmctld -f "$SLURM_CONF" -i
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
echo "SLURM did not become ready; see $STATE/log/slurmctld.log and $STATE/log/slurmd.log" >&2
sinfo >&2 || true
tail -n 20 "$STATE/log/slurmctld.log" "$STATE/log/slurmd.log" >&2 || true
exit 4
