#!/usr/bin/env bash
# Every CUDA path of eo-naslib in one run (under 8 minutes on one H100/H200), for a lent GPU machine:
#   1. scripts/bench_train.py: training images/s of the median cell, fp32 / bf16 + channels_last /
#      torch.compile (ratios to fp32 in the same run);
#   2. 2 epochs of the training loop (`python -m eo_naslib train`, the seeds' network: stem 128,
#      3 stacks x 3 cells) on a SYNTHETIC So2Sat-layout file whose splits are held on the device;
#   3. the same 2 epochs data-parallel under torchrun with NCCL, one rank per GPU available;
#   4. `eo-naslib measure --device cuda` of the median cell.
# The last line of output is one JSON object of figures (a failed step is named there with its
# error and the script exits 1 after printing it). Without CUDA it says so in one line and exits 3.
# Usage (from a clone with `pip install -e .[dev]`): bash scripts/gpu_check.sh
# Environment: PYTHON (default python), GPU_CHECK_TRAIN (synthetic training images, default 20480).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python}"
N_TRAIN="${GPU_CHECK_TRAIN:-20480}"

if ! reason="$(timeout 120 "$PY" -c '
import sys
try:
    import torch
except ImportError as exc:
    sys.exit(f"torch is not importable ({exc})")
if not torch.cuda.is_available():
    sys.exit(f"torch {torch.__version__} sees no CUDA device")
' 2>&1)"; then
  echo "gpu_check.sh needs CUDA: ${reason:-the CUDA check did not finish}; run it on a machine with an NVIDIA GPU" >&2
  exit 3
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/eo-naslib-gpu-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export MPLBACKEND=Agg PYTHONUNBUFFERED=1
export EO_NASLIB_DATA="$WORK/benchmarks"
LOG="$WORK/log"
mkdir -p "$LOG" "$WORK/results"
GPUS="$("$PY" -c 'import torch; print(torch.cuda.device_count())')"
echo "gpu_check: $GPUS GPU(s); work folder $WORK" >&2

# one step: name, time limit (s), command...; its last output line (JSON) goes to results/NAME.json
step() {
  local name="$1" limit="$2"
  shift 2
  local began=$SECONDS status=0
  echo "gpu_check: $name ..." >&2
  timeout --kill-after=10 "$limit" "$@" >"$LOG/$name.out" 2>"$LOG/$name.err" || status=$?
  if [ "$status" -eq 0 ] && tail -n 1 "$LOG/$name.out" | "$PY" -c 'import json, sys; json.loads(sys.stdin.read())' 2>/dev/null; then
    tail -n 1 "$LOG/$name.out" >"$WORK/results/$name.json"
  else
    local why="exit $status"
    [ "$status" -eq 0 ] && why="exit 0 without a JSON last line"
    [ "$status" -eq 124 ] && why="timed out after ${limit} s"
    "$PY" -c 'import json, sys; print(json.dumps({"failed": sys.argv[1], "output_tail": sys.argv[2][-800:]}))' \
      "$why" "$(tail -n 5 "$LOG/$name.err" "$LOG/$name.out" 2>/dev/null)" >"$WORK/results/$name.json"
    echo "gpu_check: $name failed ($why); see the JSON line" >&2
  fi
  echo "gpu_check: $name took $((SECONDS - began)) s" >&2
}

step bench_train 240 "$PY" "$REPO/scripts/bench_train.py" --compile

# the median cell (as bench_train picks it) as --matrix/--ops (no space table needed), and the data
timeout 300 "$PY" - "$REPO/scripts" "$WORK" "$N_TRAIN" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from bench_train import median_cell
from eo_naslib.training.synthetic import write_synthetic_so2sat
cell, _ = median_cell(10)
with open(f"{sys.argv[2]}/cell.json", "w") as handle:
    json.dump({"matrix": cell.matrix.tolist(), "ops": list(cell.ops), "hash": cell.hash}, handle)
write_synthetic_so2sat(f"{sys.argv[2]}/synthetic_so2sat", int(sys.argv[3]), 2048, 2048, seed=0)
PY
MATRIX="$("$PY" -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["matrix"]))' "$WORK/cell.json")"
OPS="$("$PY" -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["ops"]))' "$WORK/cell.json")"
TRAIN_ARGS=(--matrix "$MATRIX" --ops "$OPS" --data "$WORK/synthetic_so2sat" --epochs 2
  --set subset_fraction=1.0 --set eval_every=1 --set latency_repeats=20)

step train_loop 150 "$PY" -m eo_naslib train "${TRAIN_ARGS[@]}" --device cuda --out "$WORK/train"
# DDP: torchrun, one rank per GPU; the entry point prints no JSON, so its record (one line) is the result
step ddp_nccl 180 bash -c '"$1" -m torch.distributed.run --standalone --nproc_per_node "$2" -m eo_naslib.training.ddp \
  "${@:4}" --out "$3" && "$1" -c "import json, sys; print(json.dumps(json.load(open(sys.argv[1]))))" "$3/record.json"' \
  _ "$PY" "$GPUS" "$WORK/ddp" "${TRAIN_ARGS[@]}"
step measure 120 "$PY" -m eo_naslib measure --matrix "$MATRIX" --ops "$OPS" --device cuda

"$PY" - "$WORK" "$GPUS" <<'PY'
import json, sys
from pathlib import Path
work, gpus = Path(sys.argv[1]), int(sys.argv[2])
steps = {p.stem: json.loads(p.read_text()) for p in sorted((work / "results").glob("*.json"))}
figures = {"gpus": gpus, "failed_steps": sorted(k for k, v in steps.items() if "failed" in v)}
for name in figures["failed_steps"]:
    figures[f"{name}_error"] = steps[name]
bench = steps.get("bench_train", {})
figures.update({k: v for k, v in bench.items() if k.startswith(("train_images_per_s", "ratios", "device", "cell", "params", "macs", "data_images"))})


def loop_rate(record: dict) -> dict:
    """Images/s of epoch 2 alone (epoch 1 holds the warm-up), from the record's curves."""
    curves, training = record["curves"], record["training"]
    seconds = curves[-1]["train_time_s"] - curves[-2]["train_time_s"]
    images = training["steps_per_epoch"] * training.get("global_batch", record["settings"]["batch_size"])
    return {"images_per_s_epoch2": round(images / seconds, 1), "world_size": training["world_size"],
            "bf16": training["bf16"], "channels_last": training["channels_last"], "device": training["device"],
            "val_accuracy_synthetic": record["metrics"]["val_accuracy"]}


if "record" in steps.get("train_loop", {}):
    figures["train_loop"] = loop_rate(json.loads(Path(steps["train_loop"]["record"]).read_text()))
if "curves" in steps.get("ddp_nccl", {}):
    figures["ddp_nccl"] = loop_rate(steps["ddp_nccl"])
    figures["ddp_nccl"]["nccl_exercised"] = gpus > 1  # one rank needs no process group
if "latency_ms" in steps.get("measure", {}):
    figures["measure"] = {k: steps["measure"][k] for k in ("latency_ms", "latency_std_ms", "throughput_images_per_s") if k in steps["measure"]}
rate = figures.get("train_images_per_s_bf16_channels_last_compile") or figures.get("train_images_per_s_bf16_channels_last")
if rate is not None:
    figures["goal_20000_images_per_s_met"] = rate >= 20_000
print(json.dumps(figures))
sys.exit(1 if figures["failed_steps"] else 0)
PY
