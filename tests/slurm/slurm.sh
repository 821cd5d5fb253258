#!/usr/bin/env bash
# slurm.sh QETBENCH SRC - scripts/slurm-sweep on a real Slurm: a single-node cluster on localhost
# (Debian 12's slurmctld, slurmd, munge: installed here when missing, as root), private to this
# test (its own slurm.conf, ports and state directory), stopped by PID at the end.
#   1. a sweep of 3 shards: the merged rows equal a local run, --setup lines run in every job
#   2. a shard cancelled mid-run: the merge (afterany) fails loudly, naming the shard and printing
#      the command that resumes; --status says failed; that command reruns only the shard and
#      completes the sweep, rows equal to a local run
#   3. shards held in the queue: rerunning the command cancels the stale merge, submits a fresh one
#      (without the shards' sbatch options) and resubmits nothing; released, the sweep completes
# and no job is left in the queue. Skipped (77) where Slurm cannot be started: not root, or the
# packages missing and not installable.
source "$(dirname "$0")/../paper/lib.sh"
skip() {
    echo "SKIP: $*"
    exit 77
}
SWEEP=$SRC/scripts/slurm-sweep
T0=$(date +%s%N)
elapsed() {
    local ds=$((($(date +%s%N) - T0) / 100000000))
    echo "$((ds / 10)).$((ds % 10)) s"
}
say() { echo "[$(elapsed)] $*"; }

# ---- Slurm: the packages, munge, slurmctld and slurmd ----

PKGS="slurmctld slurmd slurm-client munge"
missing=()
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || skip "not root and ${missing[*]} not installed (as root: apt-get install -y ${missing[*]})"
    echo "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$TMP/apt.log" 2>&1 ||
        skip "apt-get could not install ${missing[*]}: $(tail -n 2 "$TMP/apt.log" | tr '\n' ' ')"
fi
[ "$(id -u)" = 0 ] || skip "not root: slurmd must start jobs as their users, and munged as munge"
say "packages present"

MUNGED= CTLD= SLURMD=
stop_all() {
    set +e
    if [ -n "$CTLD" ]; then
        scancel -u "$(id -un)" 2>/dev/null
        sleep 0.5
    fi
    for pid in $SLURMD $CTLD $MUNGED; do kill "$pid" 2>/dev/null; done
    for pid in $SLURMD $CTLD $MUNGED; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    done
    rm -rf "$TMP" "${MDIR:-}"
}
trap stop_all EXIT
dump_logs() {
    for f in "$TMP"/slurm/*.log; do echo "--- $f" && tail -n 15 "$f"; done >&2
}

# munged: our own, on its own socket (another test, or the machine's, may stop theirs at any time),
# started as the munge user; Slurm reaches it through AuthInfo.
MDIR=/run/qetbench-munge-$$
install -d -o munge -g munge -m 0755 "$MDIR"
MSOCK=$MDIR/munge.socket
[ -s /etc/munge/munge.key ] || runuser -u munge -- mungekey -c -f
runuser -u munge -- /usr/sbin/munged --socket="$MSOCK" --pid-file="$MDIR/munged.pid" \
    --seed-file="$MDIR/munged.seed" --log-file="$MDIR/munged.log" || fail "munged did not start"
MUNGED=$(cat "$MDIR/munged.pid")
for _ in $(seq 1 50); do munge -S "$MSOCK" -n >/dev/null 2>&1 && break; sleep 0.1; done
munge -S "$MSOCK" -n >/dev/null 2>&1 || fail "munged (pid $MUNGED) does not answer on $MSOCK"

# Two free ports for slurmctld and slurmd, away from Slurm's defaults (a cluster may run here).
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for base in 16817 17817 18817 19817 20817; do
    port_free "$base" && port_free $((base + 1)) && break
done
port_free "$base" || fail "no free pair of ports found for slurmctld and slurmd"
mkdir -p "$TMP/slurm/state" "$TMP/slurm/spool"
export SLURM_CONF=$TMP/slurm/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=qbtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MSOCK
StateSaveLocation=$TMP/slurm/state
SlurmdSpoolDir=$TMP/slurm/spool
SlurmctldPidFile=$TMP/slurm/slurmctld.pid
SlurmdPidFile=$TMP/slurm/slurmd.pid
SlurmctldLogFile=$TMP/slurm/slurmctld.log
SlurmdLogFile=$TMP/slurm/slurmd.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
NodeName=qbnode NodeHostname=$(hostname) NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=qbtest Nodes=qbnode Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -f "$SLURM_CONF" >"$TMP/slurm/slurmctld.out.log" 2>&1 &
CTLD=$!
slurmd -D -f "$SLURM_CONF" -N qbnode >"$TMP/slurm/slurmd.out.log" 2>&1 &
SLURMD=$!
for _ in $(seq 1 150); do
    [ "$(sinfo -h -n qbnode -o %t 2>/dev/null)" = idle ] && break
    kill -0 "$SLURMD" 2>/dev/null || break # slurmd gave up: its log says why
    sleep 0.2
done
if [ "$(sinfo -h -n qbnode -o %t 2>/dev/null)" != idle ]; then
    # slurmd 22.05 needs a cgroup filesystem even with proctrack/linuxproc; a chroot may have none
    if grep -q 'No filesystem mounted on /sys/fs/cgroup' "$TMP/slurm/slurmd.out.log" 2>/dev/null; then
        skip "slurmd cannot start here: no cgroup filesystem is mounted on /sys/fs/cgroup"
    fi
    dump_logs
    fail "the node is not idle after 30 s"
fi
say "cluster up: slurmctld $CTLD, slurmd $SLURMD, munged $MUNGED, ports $base-$((base + 1))"

# ---- helpers ----

# Waits until none of our jobs is queued (at most $1 seconds).
drain() {
    local t=$(($1 * 5))
    while [ -n "$(squeue -h -o %i)" ] && [ $t -gt 0 ]; do
        sleep 0.2
        t=$((t - 1))
    done
    [ -z "$(squeue -h -o %i)" ] || { squeue >&2; dump_logs; fail "jobs still queued after $1 s"; }
}
same_rows() { # local run, merged dir
    diff <(strip_timing "$1/results.csv") <(strip_timing "$2/results.csv") >"$TMP/diff" ||
        fail "merged rows differ from the local run: $(head -5 "$TMP/diff")"
}
rows() { echo $(($(wc -l <"$1/results.csv") - 1)); }

cat >"$TMP/exp.lua" <<'LUA'
return {
  name = "small", seeds = 2,
  datasets = { { name = "synthetic", n = 256, d = 64 } },
  methods = { "rtn", "pq", "qet" },
  subspaces = { 8, 16 }, iterations = { 1, 2 }, ratios = { 4, 8 },
}
LUA
# Cells of about 0.3 s, so a shard runs for seconds and can be cancelled mid-run.
cat >"$TMP/slow.lua" <<'LUA'
return {
  name = "slow", seeds = 4,
  datasets = { { name = "synthetic", n = 8192, d = 64 } },
  methods = { "rtn", "pq", "qet" },
  subspaces = { 8 }, iterations = { 1, 2 }, ratios = { 4, 8 },
}
LUA
"$QB" run "$TMP/exp.lua" --out "$TMP/local-small" --threads 2 2>/dev/null
"$QB" run "$TMP/slow.lua" --out "$TMP/local-slow" --threads 2 2>/dev/null
say "local runs: $(rows "$TMP/local-small") and $(rows "$TMP/local-slow") rows"
cd "$TMP"

# ---- 1. a sweep of 3 shards, paths with a space ----

OUT="$TMP/happy out"
"$SWEEP" exp.lua 3 --out "$OUT" --binary "$QB" --cpus 1 --time 5:00 --setup 'echo "setup line ran"' \
    >"$TMP/submit.log" || fail "submission failed: $(cat "$TMP/submit.log")"
grep -q "^pre-flight: $(rows "$TMP/local-small") cells in 3 shards" "$TMP/submit.log" ||
    fail "pre-flight: $(cat "$TMP/submit.log")"
drain 60
same_rows "$TMP/local-small" "$OUT"
[ -s "$OUT/claims.md" ] && [ -s "$OUT/headline.md" ] || fail "the merge wrote no tables"
ls "$OUT"/slurm/shard-*_[0-2].log >/dev/null || fail "no per-attempt shard logs (shard-JOB_I.log)"
[ "$(grep -l "setup line ran" "$OUT"/slurm/shard-*.log | wc -l)" = 3 ] || fail "--setup did not run in every shard"
"$SWEEP" exp.lua 3 --out "$OUT" --status >"$TMP/status" || fail "--status failed"
[ "$(grep -c '^shard [0-2]/3  done ' "$TMP/status")" = 3 ] || fail "--status: $(cat "$TMP/status")"
say "1. sweep of 3 shards merged: $(rows "$OUT") rows, equal to the local run"

# ---- 2. a shard cancelled mid-run; the same command resumes ----

OUT=$TMP/fault
cmd=("$SWEEP" slow.lua 3 --out "$OUT" --binary "$QB" --cpus 1 --time 5:00)
"${cmd[@]}" >"$TMP/submit.log" || fail "submission failed: $(cat "$TMP/submit.log")"
# The shard with most cells is the one cancelled.
victim=$(for i in 0 1 2; do echo "$(sed -n 's/.*: \([0-9]*\) of .*/\1/p;q' "$OUT/shard-$i-of-3/shard.cells") $i"; done |
    sort -n | tail -1 | cut -d' ' -f2)
total=$(sed -n 's/.*: \([0-9]*\) of .*/\1/p;q' "$OUT/shard-$victim-of-3/shard.cells")
for _ in $(seq 1 300); do
    [ -f "$OUT/shard-$victim-of-3/results.csv" ] && [ "$(rows "$OUT/shard-$victim-of-3")" -ge 1 ] && break
    sleep 0.1
done
task=$(squeue -h -r -n qetbench-slow -o '%i' | grep "_$victim\$") || fail "shard $victim is not in the queue"
scancel "$task"
sleep 1
done_cells=$(rows "$OUT/shard-$victim-of-3")
[ "$done_cells" -ge 1 ] && [ "$done_cells" -lt "$total" ] ||
    fail "shard $victim was not cancelled mid-run ($done_cells of $total cells)"
drain 60
log=$(ls "$OUT"/slurm/merge-*.log)
grep -q "MERGE FAILED" "$log" || fail "the merge did not fail loudly: $(cat "$log")"
grep -q "shard-$victim-of-3: shard $victim/3 of 'slow' is incomplete: $done_cells of $total cells" "$log" ||
    fail "the merge log does not name shard $victim: $(cat "$log")"
[ ! -e "$OUT/results.csv" ] || fail "a failed merge wrote results"
"${cmd[@]}" --status >"$TMP/status"
grep -q "^shard $victim/3  failed    $done_cells/$total cells" "$TMP/status" || fail "--status: $(cat "$TMP/status")"
resume=$(grep -A1 "To resume" "$log" | tail -n 1)
say "2. shard $victim cancelled at $done_cells of $total cells; the merge failed and printed: $resume"
eval "$resume" >"$TMP/resume.log" || fail "the resume command failed: $(cat "$TMP/resume.log")"
grep -q "^submitted shards $victim of 3 as job" "$TMP/resume.log" || fail "resume: $(cat "$TMP/resume.log")"
drain 60
same_rows "$TMP/local-slow" "$OUT"
[ "$(ls "$OUT"/slurm/shard-*_"$victim".log | wc -l)" = 2 ] || fail "the first attempt's log of shard $victim is gone"
say "2. resumed: only shard $victim rerun, $(rows "$OUT") rows equal to the local run"

# ---- 3. shards held: a rerun replaces the stale merge, submits no shard ----

OUT=$TMP/held
cmd=("$SWEEP" exp.lua 2 --out "$OUT" --binary "$QB" --cpus 1 --time 5:00 -- --hold)
"${cmd[@]}" >"$TMP/submit.log" || fail "submission failed: $(cat "$TMP/submit.log")"
stale=$(sed -n 's/^merge job \([0-9]*\).*/\1/p' "$TMP/submit.log")
"${cmd[@]}" >"$TMP/resume.log" || fail "resubmission failed: $(cat "$TMP/resume.log")"
grep -q "^cancelled the stale merge job $stale$" "$TMP/resume.log" || fail "stale merge: $(cat "$TMP/resume.log")"
! grep -q "^submitted shards" "$TMP/resume.log" || fail "queued shards were resubmitted: $(cat "$TMP/resume.log")"
fresh=$(sed -n 's/^merge job \([0-9]*\).*/\1/p' "$TMP/resume.log")
[ "$(squeue -h -j "$fresh" -o %r)" = Dependency ] || fail "the fresh merge is not waiting on the shards: $(squeue)"
[ -z "$(squeue -h -j "$stale" -o %T 2>/dev/null | grep -v CANCELLED)" ] || fail "the stale merge $stale is still queued"
scontrol release "$(squeue -h -n qetbench-exp -o %F | sort -u)"
drain 60
same_rows "$TMP/local-small" "$OUT"
[ "$(ls "$OUT"/slurm/merge-*.log)" = "$OUT/slurm/merge-$fresh.log" ] || fail "merge logs: $(ls "$OUT"/slurm/)"
say "3. held shards: stale merge $stale cancelled, merge $fresh merged $(rows "$OUT") rows"
[ -z "$(squeue -h -o %i)" ] || fail "jobs left in the queue"
echo "slurm: 3 sweeps on a real Slurm, no job left in the queue, $(elapsed) in all"
