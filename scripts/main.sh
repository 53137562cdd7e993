#!/usr/bin/env bash
# The main job on the embedded default: the real all-MiniLM-L6-v2 teacher
# (from its Python wheel) encodes every STS-B dev sentence shipped in data/,
# on native TensorFlow, and writes the embeddings as Arrow IPC.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
node dist/src/cli/main.js doctor
node dist/src/cli/main.js encode --model .cache/models/all-MiniLM-L6-v2 --input data/en/stsb-dev-sentences.txt --output export/stsb-dev-embeddings.arrow "$@"
