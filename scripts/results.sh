#!/usr/bin/env bash
# Reproduces the README results: runs every runnable recipe with the same budget, then
# evaluates each best checkpoint and benchmarks teacher vs students. Logs go to results/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
mkdir -p results
configs=(quickstart minilm-6to2-mse minilm-6to3-ibkd minilm-6to3-ibkd-mse minilm-6to3-tinybert minilm-6to3-margin-mse)
for c in "${configs[@]}"; do
  out="checkpoints/results-$c"
  if [ -f "$out/summary.json" ]; then echo "[results] $c done already ($out)"; continue; fi
  rm -rf "$out"
  echo "[results] training $c"
  node dist/src/cli/main.js train --config "configs/$c.yaml" --set "output_dir=$out" > "results/$c.log" 2>&1
  tail -12 "results/$c.log"
done
models=(.cache/models/all-MiniLM-L6-v2)
for c in "${configs[@]}"; do models+=("checkpoints/results-$c/best"); done
node dist/src/cli/main.js eval $(printf -- '--model %s ' "${models[0]}") --data data/en/stsb-dev.tsv --json > results/eval-teacher.json
for c in "${configs[@]}"; do
  node dist/src/cli/main.js eval --model "checkpoints/results-$c/best" --data data/en/stsb-dev.tsv --json > "results/eval-$c.json"
done
node dist/src/cli/main.js bench $(printf -- '--model %s ' .cache/models/all-MiniLM-L6-v2 checkpoints/results-quickstart/best checkpoints/results-minilm-6to2-mse/best) --runtime tfjs --batch 16 --seq 256 | tee results/bench-tfjs.txt
node dist/src/cli/main.js bench $(printf -- '--model %s ' .cache/models/all-MiniLM-L6-v2 checkpoints/results-quickstart/best checkpoints/results-minilm-6to2-mse/best) --runtime onnx --batch 16 --seq 256 | tee results/bench-onnx.txt
