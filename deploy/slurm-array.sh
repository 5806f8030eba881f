#!/usr/bin/env bash
# Run one tabletop batch as a Slurm job array of N shards, then merge them in a dependent job.
#
#   deploy/slurm-array.sh SCENARIO.ron [RUNS] [SEED] [SHARDS] [OUT] [-- extra batch flags]
#
# Each array task i (0-based) runs `tabletop batch --shard (i+1)/N --out OUT/shards/(i+1)`;
# when all succeed, `tabletop merge` writes OUT/merged, byte-identical (manifest times aside)
# to the same batch on one machine. OUT must be on a file system every node sees.
# Environment: TABLETOP (binary, default `tabletop`), PARTITION, TIME (per task, default
# 02:00:00), CPUS (per task, default 8).
set -euo pipefail

if [[ $# -lt 1 ]]; then
    sed -n '2,12p' "$0"
    exit 2
fi
SCENARIO=$(realpath "$1")
RUNS=${2:-10000}
SEED=${3:-1}
N=${4:-8}
OUT=$(realpath -m "${5:-output/$(basename "${SCENARIO%.*}")/batch-${SEED}}")
shift $(( $# < 5 ? $# : 5 ))
[[ ${1:-} == "--" ]] && shift
EXTRA=("$@")
TABLETOP=${TABLETOP:-tabletop}
CPUS=${CPUS:-8}
TIME=${TIME:-02:00:00}
PART=()
[[ -n ${PARTITION:-} ]] && PART=(--partition "$PARTITION")

mkdir -p "$OUT/shards" "$OUT/logs"
printf -v EXTRA_Q ' %q' "${EXTRA[@]+"${EXTRA[@]}"}"

ARRAY_ID=$(sbatch --parsable "${PART[@]}" \
    --job-name=tabletop-batch \
    --array=0-$((N - 1)) \
    --cpus-per-task="$CPUS" \
    --time="$TIME" \
    --output="$OUT/logs/shard-%a.out" \
    --wrap="set -e; K=\$((SLURM_ARRAY_TASK_ID + 1)); \
D=$(printf %q "$OUT")/shards/\$K; \
if [ -f \"\$D/progress.json\" ]; then R=--resume; else R=--force; fi; \
$(printf %q "$TABLETOP") batch $(printf %q "$SCENARIO") --runs $RUNS --seed $SEED \
--jobs \$SLURM_CPUS_PER_TASK --shard \$K/$N --out \"\$D\" \$R --no-report$EXTRA_Q")

SHARD_DIRS=""
for k in $(seq 1 "$N"); do SHARD_DIRS+=" $(printf %q "$OUT/shards/$k")"; done

MERGE_ID=$(sbatch --parsable "${PART[@]}" \
    --job-name=tabletop-merge \
    --dependency=afterok:"$ARRAY_ID" \
    --cpus-per-task=1 \
    --time=01:00:00 \
    --output="$OUT/logs/merge.out" \
    --wrap="$(printf %q "$TABLETOP") merge$SHARD_DIRS --out $(printf %q "$OUT/merged") --force")

echo "array job $ARRAY_ID ($N shards), merge job $MERGE_ID → $OUT/merged"
