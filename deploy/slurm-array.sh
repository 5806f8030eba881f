#!/usr/bin/env bash
# Run one tabletop batch as a Slurm job array of N shards, then merge them in a dependent job.
#
#   deploy/slurm-array.sh [--] SCENARIO.ron [RUNS] [SEED] [SHARDS] [OUT] [-- extra batch flags]
#
# Each array task i (0-based) runs `tabletop batch --shard (i+1)/N --out OUT/shards/(i+1)`;
# when all succeed, `tabletop merge` writes OUT/merged, byte-identical (manifest times aside)
# to the same batch on one machine. OUT must be on a file system every node sees.
# Defaults: RUNS 10000, SEED 1, SHARDS 8, OUT output/<scenario>/batch-<SEED>.
# Environment: TABLETOP (binary, default `tabletop`), PARTITION, TIME (per task, default
# 02:00:00), CPUS (per task; default: 8, or fewer when the partition's largest node has
# fewer; a CPUS larger than every node is refused instead of leaving tasks pending).
# Submitting again on the same OUT skips shards that already finished this batch, resumes
# interrupted ones, and removes locks left by array jobs that are no longer queued.
#
# A sensitivity study shards the same way (docs/batch.md, "Sensitivity studies in shards"):
#   J=$(sbatch --parsable --array=1-8 --wrap 'tabletop sensitivity s.ron --method sobol --seed 4 --shard $SLURM_ARRAY_TASK_ID/8 --out sens/$SLURM_ARRAY_TASK_ID')
#   sbatch --dependency=afterok:$J --kill-on-invalid-dep=yes --wrap 'tabletop merge sens/[1-8] --out sens/merged --seed 4 --scenario s.ron'
set -euo pipefail

usage() { sed -n '2,14p' "$0" >&2; }
die() {
    echo "slurm-array.sh: $*" >&2
    exit 2
}

POS=()
EXTRA=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --)
            shift
            if [[ ${#POS[@]} -eq 0 ]]; then
                # `--` before the positionals only ends option parsing.
                while [[ $# -gt 0 && $1 != "--" ]]; do POS+=("$1"); shift; done
                [[ $# -gt 0 ]] && shift
            fi
            EXTRA=("$@")
            break
            ;;
        -h | --help) usage; exit 0 ;;
        -*) die "unknown option '$1': tabletop batch flags go after '--' (see --help)" ;;
        *) POS+=("$1"); shift ;;
    esac
done
[[ ${#POS[@]} -ge 1 ]] || { usage; exit 2; }
[[ ${#POS[@]} -le 5 ]] || die "at most 5 positional arguments, got ${#POS[@]} (${POS[*]}): put tabletop batch flags after '--'"

[[ -f ${POS[0]} ]] || die "scenario file '${POS[0]}' not found"
SCENARIO=$(realpath "${POS[0]}")
RUNS=${POS[1]:-10000}
SEED=${POS[2]:-1}
N=${POS[3]:-8}
for v in RUNS SEED N; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
[[ $N -ge 1 ]] || die "SHARDS must be at least 1"
[[ $RUNS -ge $N ]] || die "RUNS ($RUNS) must be at least SHARDS ($N)"
STEM=$(basename "${SCENARIO%.*}")
OUT=$(realpath -m "${POS[4]:-output/$STEM/batch-$SEED}")
TABLETOP=${TABLETOP:-tabletop}
TIME=${TIME:-02:00:00}
PART=()
[[ -n ${PARTITION:-} ]] && PART=(--partition "$PARTITION")

# CPUs per task: a request larger than every node would stay pending forever, silently.
MAXCPU=$(sinfo -h ${PARTITION:+-p "$PARTITION"} -o %c 2>/dev/null | tr -d '+' | sort -n | tail -1 || true)
if [[ ! $MAXCPU =~ ^[0-9]+$ ]]; then
    [[ -n ${CPUS:-} ]] || die "cannot read the CPUs per node from sinfo${PARTITION:+ (partition $PARTITION)}; set CPUS"
    echo "slurm-array.sh: warning: sinfo gave no CPUs per node; trusting CPUS=$CPUS" >&2
elif [[ -z ${CPUS:-} ]]; then
    CPUS=$((MAXCPU < 8 ? MAXCPU : 8))
elif [[ $CPUS -gt $MAXCPU ]]; then
    die "CPUS=$CPUS but the largest node${PARTITION:+ in partition $PARTITION} has $MAXCPU CPUs: the tasks would stay pending forever; set CPUS=$MAXCPU or less"
fi
[[ $CPUS =~ ^[1-9][0-9]*$ ]] || die "CPUS must be a positive whole number, got '$CPUS'"

mkdir -p "$OUT/shards" "$OUT/logs"

# Locks left by tasks of an array job that is no longer queued (cancelled, node lost).
for lock in "$OUT"/shards/*/tabletop.lock; do
    [[ -f $lock ]] || continue
    owner=$(sed -n 's/^owner=slurm:\([0-9]*\)_.*/\1/p' "$lock")
    if [[ -n $owner ]] && [[ -z $(squeue -h -j "$owner" -o %i 2>/dev/null || true) ]]; then
        echo "removing $lock: its array job $owner is no longer queued" >&2
        rm -f "$lock"
    fi
done

q() { printf %q "$1"; }
EXTRA_Q=""
for a in "${EXTRA[@]+"${EXTRA[@]}"}"; do EXTRA_Q+=" $(q "$a")"; done
# The variants among the batch flags: the merge checks that every shard ran these.
VARIANTS_Q=""
for ((i = 0; i < ${#EXTRA[@]}; i++)); do
    case ${EXTRA[i]} in
        --all-variants) VARIANTS_Q+=" --all-variants" ;;
        --variant) VARIANTS_Q+=" --variant $(q "${EXTRA[i + 1]:-}")" ;;
        --variant=*) VARIANTS_Q+=" $(q "${EXTRA[i]}")" ;;
    esac
done

# Finished shards of this very batch are kept (--skip-finished); interrupted ones resume.
ARRAY_ID=$(sbatch --parsable "${PART[@]+"${PART[@]}"}" \
    --job-name=tabletop-batch \
    --array=0-$((N - 1)) \
    --cpus-per-task="$CPUS" \
    --time="$TIME" \
    --output="$OUT/logs/shard-%a.out" \
    --wrap="set -e; K=\$((SLURM_ARRAY_TASK_ID + 1)); D=$(q "$OUT")/shards/\$K; \
export TABLETOP_LOCK_OWNER=slurm:\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}; \
if [ -f \"\$D/progress.json\" ]; then R=--resume; else R=--skip-finished; fi; \
exec $(q "$TABLETOP") batch $(q "$SCENARIO") --runs $RUNS --seed $SEED \
--jobs \${SLURM_CPUS_PER_TASK:-$CPUS} --shard \$K/$N --out \"\$D\" \$R --no-report$EXTRA_Q")
ARRAY_ID=${ARRAY_ID%%;*}

SHARD_DIRS=""
for k in $(seq 1 "$N"); do SHARD_DIRS+=" $(q "$OUT/shards/$k")"; done

# The merge checks every shard's manifest against this batch (seed, runs, scenario and
# the variants given after `--`); a
# failed shard cancels it (--kill-on-invalid-dep) instead of leaving it pending forever.
MERGE_ID=$(sbatch --parsable "${PART[@]+"${PART[@]}"}" \
    --job-name=tabletop-merge \
    --dependency=afterok:"$ARRAY_ID" \
    --kill-on-invalid-dep=yes \
    --cpus-per-task=1 \
    --time=01:00:00 \
    --output="$OUT/logs/merge.out" \
    --wrap="exec $(q "$TABLETOP") merge$SHARD_DIRS --out $(q "$OUT/merged") --force \
--seed $SEED --runs $RUNS --scenario $(q "$SCENARIO")$VARIANTS_Q")
MERGE_ID=${MERGE_ID%%;*}

echo "array job $ARRAY_ID ($N shards, $CPUS CPUs each), merge job $MERGE_ID → $OUT/merged"
