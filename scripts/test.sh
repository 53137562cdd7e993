#!/usr/bin/env bash
# The test command: set-up (idempotent), build, then every test file.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# The GPU binding too: test/backend/tensorflow_gpu.test.ts runs the parity tests on it (CPU fallback without a GPU).
DISTILL_GPU="${DISTILL_GPU:-1}" bash scripts/setup.sh
files=$(find dist/test -name '*.test.js' | sort)
if [ -n "${1:-}" ]; then files=$(echo "$files" | grep -- "$1"); fi
node --test --test-concurrency=1 $files
