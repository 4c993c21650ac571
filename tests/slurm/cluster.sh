# tests/slurm/cluster.sh - a one-node Slurm cluster for one test, sourced.
#
# cluster_start DIR: munge with a fresh key, a generated slurm.conf with
# free ports, slurmctld and slurmd, all under DIR, running as root; waits
# until the node takes jobs. Exports SLURM_CONF so that sbatch, squeue and
# the rest (and budgetopt's calls to them) talk to it. Returns 77 after
# printing why when it cannot (not root, a program missing).
# cluster_stop: cancels every job, stops the daemons it started (by their
# pids), keeps the logs in DIR.
#
# No accounting daemon (slurmdbd needs a database server): sacct answers
# "accounting storage is disabled" and budgetopt falls back on scontrol and
# its job script's own measurements, as documented in docs/study-file.md.

BO_SLURM_PIDS=""

cluster_skip() {
	echo "SKIP: $*"
	return 77
}

cluster_start() {
	local dir=$1 p prog node conf ports tries
	for prog in munged slurmctld slurmd sbatch squeue scontrol scancel sinfo python3; do
		command -v "$prog" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$prog" >/dev/null 2>&1 ||
			{ cluster_skip "$prog is not installed (Debian: apt-get install slurm-wlm munge)"; return 77; }
	done
	PATH=$PATH:/usr/sbin:/sbin
	[ "$(id -u)" = 0 ] || { cluster_skip "starting slurmd needs root"; return 77; }
	mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
	chmod 0700 "$dir/munge"
	dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
	chmod 0400 "$dir/munge/munge.key"
	munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.sock" \
		--pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
		--seed-file="$dir/munge/munged.seed" || { echo "munged failed to start"; return 1; }
	BO_SLURM_PIDS="$BO_SLURM_PIDS $(cat "$dir/munge/munged.pid")"
	ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1",0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
	node=botest$$
	# This machine as slurmd sees it (CPUs, memory), under the test's name.
	conf=$(slurmd -C | head -1 | sed "s/^NodeName=[^ ]*/NodeName=$node NodeHostname=$(hostname) NodeAddr=127.0.0.1/; s/ UpTime=.*//")
	cat > "$dir/slurm.conf" <<CONF
ClusterName=botest$$
SlurmctldHost=$(hostname)(127.0.0.1)
SlurmctldPort=${ports% *}
SlurmdPort=${ports#* }
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=600
KillWait=2
SchedulerParameters=sched_interval=1
$conf
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
	export SLURM_CONF=$dir/slurm.conf
	slurmctld -c -i -f "$SLURM_CONF" || { echo "slurmctld failed: $(tail -5 "$dir/slurmctld.log")"; return 1; }
	for tries in $(seq 200); do [ -s "$dir/slurmctld.pid" ] && break; sleep 0.05; done
	BO_SLURM_PIDS="$BO_SLURM_PIDS $(cat "$dir/slurmctld.pid")"
	slurmd -f "$SLURM_CONF" -N "$node" || { echo "slurmd failed: $(tail -5 "$dir/slurmd.log")"; return 1; }
	for tries in $(seq 200); do [ -s "$dir/slurmd.pid" ] && break; sleep 0.05; done
	BO_SLURM_PIDS="$BO_SLURM_PIDS $(cat "$dir/slurmd.pid")"
	# Waits on the node: idle means it takes jobs.
	for tries in $(seq 600); do
		case "$(sinfo -h -n "$node" -o %T 2>/dev/null)" in
		idle*|mixed*|allocated*) return 0 ;;
		esac
		sleep 0.1
	done
	echo "the Slurm node never became idle: $(sinfo -h -o '%T %E' 2>&1)"
	tail -20 "$dir/slurmctld.log" "$dir/slurmd.log"
	return 1
}

cluster_stop() {
	local p
	[ -n "${SLURM_CONF:-}" ] && scancel --full --signal=KILL --me >/dev/null 2>&1
	[ -n "${SLURM_CONF:-}" ] && scancel --me >/dev/null 2>&1
	for p in $BO_SLURM_PIDS; do kill "$p" 2>/dev/null; done
	for p in $BO_SLURM_PIDS; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$p" 2>/dev/null
	done
	BO_SLURM_PIDS=""
}
