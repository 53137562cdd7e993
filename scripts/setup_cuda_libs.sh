#!/usr/bin/env bash
# Unpacks the CUDA 12 libraries TensorFlow's GPU build dlopens (the nvidia-*-cu12
# wheels that the tensorflow wheel's "and-cuda" extra names, same version bounds)
# into node_modules/@tensorflow/tfjs-node-gpu/deps/nvidia/<lib>/lib. TensorFlow
# dlopens them from deps/lib/libtensorflow_framework.so.2, whose RUNPATH holds
# $ORIGIN/../nvidia/<lib>/lib (the pip layout), so they are found with no
# LD_LIBRARY_PATH. They are ~2.7 GB of wheels (4.2 GB unpacked), so by default (DISTILL_CUDA_LIBS
# unset or auto) all of them only where an NVIDIA driver is installed; elsewhere
# only the CUDA runtime (3.5 MB), so CPU-only CI still checks that TensorFlow
# finds a CUDA library through that RUNPATH. 1 forces all, 0 skips all.
# Idempotent: a stamp holds the requirement list last unpacked.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode="${DISTILL_CUDA_LIBS:-auto}"
tf_version="${TF_WHEEL_VERSION:-2.21.0}"
deps="$root/node_modules/@tensorflow/tfjs-node-gpu/deps"
cache="$root/.cache/wheels"
python="${PYTHON:-python3}"

driver_present() {
  [ -e /dev/nvidiactl ] || { command -v ldconfig >/dev/null && ldconfig -p | grep -q 'libcuda\.so\.1 '; } || /sbin/ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 '
}
which=all
case "$mode" in
  0) echo "setup_cuda_libs: DISTILL_CUDA_LIBS=0, skipping the CUDA 12 libraries"; exit 0 ;;
  1) ;;
  auto)
    if ! driver_present; then
      which=runtime
      echo "setup_cuda_libs: no NVIDIA driver here (no /dev/nvidiactl, no libcuda.so.1): only the CUDA runtime, not the ~2.7 GB of CUDA wheels (DISTILL_CUDA_LIBS=1 fetches them anyway). TensorFlow runs on the CPU."
    fi ;;
  *) echo "setup_cuda_libs: DISTILL_CUDA_LIBS must be auto, 1 or 0, not '$mode'" >&2; exit 1 ;;
esac

[ -d "$deps/lib" ] || { echo "setup_cuda_libs: $deps/lib is missing; build the GPU binding first (scripts/setup_tfjs_node.sh tfjs-node-gpu tensorflow)" >&2; exit 1; }
whl=$(ls "$cache"/tensorflow-"$tf_version"-*.whl | head -1)
reqs=$(unzip -p "$whl" "tensorflow-$tf_version.dist-info/METADATA" | sed -n 's/^Requires-Dist: \(nvidia-[^;]*\); extra == "and-cuda"$/\1/p')
[ -n "$reqs" ] || { echo "setup_cuda_libs: $whl names no and-cuda requirements" >&2; exit 1; }
[ "$which" = all ] || reqs=$(echo "$reqs" | grep '^nvidia-cuda-runtime-cu12')
stamp="$deps/nvidia/.requirements"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$reqs" ]; then
  echo "setup_cuda_libs: CUDA 12 libraries already in $deps/nvidia"
  exit 0
fi

t0=$SECONDS
dl=$(mktemp -d "$cache/cuda.XXXXXX")
trap 'rm -rf "$dl"' EXIT
echo "setup_cuda_libs: fetching $(echo "$reqs" | wc -l) CUDA 12 wheels into $cache"
# shellcheck disable=SC2086
"$python" -m pip download --quiet --no-deps --only-binary=:all: --find-links "$cache" -d "$dl" $(echo "$reqs" | sed 's/ //g')
rm -rf "$deps/nvidia"
for w in "$dl"/*.whl; do
  unzip -q -o "$w" 'nvidia/*' -d "$deps"
  mv -f "$w" "$cache/"
done
# Static libraries and headers are for compiling against CUDA, not for running it.
find "$deps/nvidia" \( -name '*.a' -o -name include -prune \) -exec rm -rf {} +
# dlopen searches only the RUNPATH of the library that calls it. TensorFlow's
# loader (tsl DsoLoader) lives in libtensorflow_framework.so.2, whose RUNPATH
# lacks nvidia/cusolver/lib (only libtensorflow_cc.so.2's has it), so the
# library is linked into a directory the framework does search. Its own RUNPATH
# ($ORIGIN/../../cublas/lib, ...) resolves the same from there: same depth.
if [ -e "$deps/nvidia/cusolver/lib/libcusolver.so.11" ]; then
  ln -sfn ../../cusolver/lib/libcusolver.so.11 "$deps/nvidia/cuda_runtime/lib/libcusolver.so.11"
fi
echo "$reqs" > "$stamp"
echo "setup_cuda_libs: $(du -sh "$deps/nvidia" | cut -f1) of CUDA 12 libraries in $deps/nvidia ($((SECONDS - t0)) s)"
