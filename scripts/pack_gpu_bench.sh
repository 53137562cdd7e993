#!/usr/bin/env bash
# Packs what `npm run bench:gpu` needs on a GPU machine that has no Node.js
# (the lent H100/H200 machines: python3 with torch + transformers, no
# internet, at most 64 MiB carried) into one folder:
#   node.xz          this machine's Node binary, xz-compressed
#   runtime.tar.xz   app/: the bench's dist files, pruned packages (tfjs, the
#                    webgpu backend, Dawn's linux-x64 dawn.node), py/bench_gpu.py,
#                    a tiny model with PyTorch's reference, and lib/: the Vulkan
#                    loader (libvulkan1 .deb contents)
#   run.sh           unpacks (once) and runs the bench; sets VK_DRIVER_FILES to
#                    the NVIDIA ICD file and LD_LIBRARY_PATH to the loader when
#                    the system has none
# The file list is traced from a real run of the bench (require.cache), so
# nothing it loads is missing and nothing it does not load is carried.
# Usage: scripts/pack_gpu_bench.sh [OUT_DIR]   (default .gpu_pack, git-ignored)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/.gpu_pack}
LIMIT=$((64 * 1024 * 1024))
cd "$ROOT"
[ -f dist/bench/gpu_bench.js ] || npx tsc -p tsconfig.json
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
APP=$STAGE/app
mkdir -p "$APP/py" "$APP/lib" "$OUT"

echo "pack: tiny model (py/make_tiny_bert.py, PyTorch reference included)"
.venv/bin/python py/make_tiny_bert.py --out "$APP/tiny" --seed 1 >/dev/null 2>&1

echo "pack: tracing the files a bench run loads (software adapter, smallest shape)"
TRACE=$STAGE/loaded.txt
cat > "$STAGE/trace.js" <<'JS'
process.on('exit', () => require('fs').writeFileSync(process.env.PACK_TRACE, Object.keys(require.cache).join('\n')));
JS
PACK_TRACE=$TRACE DISTILL_BACKEND=webgpu DISTILL_WEBGPU_ADAPTER=software BENCH_CHECK_MODEL="$APP/tiny" \
  BENCH_LAYERS=1 BENCH_HIDDEN=64 BENCH_BATCH=2 BENCH_SEQ=8 BENCH_STEPS=1 \
  node -r "$STAGE/trace.js" dist/bench/gpu_bench.js >/dev/null 2>"$STAGE/trace.err" || { cat "$STAGE/trace.err"; exit 1; }

NM=$(readlink -f node_modules)
while IFS= read -r f || [ -n "$f" ]; do
  case "$f" in
    "$ROOT"/dist/*) rel=${f#"$ROOT"/}; mkdir -p "$APP/$(dirname "$rel")"; cp "$f" "$APP/$rel" ;;
    "$NM"/*)
      rel=${f#"$NM"/}; mkdir -p "$APP/node_modules/$(dirname "$rel")"; cp "$f" "$APP/node_modules/$rel"
      pkg=$(echo "$rel" | awk -F/ '{ print ($1 ~ /^@/) ? $1"/"$2 : $1 }')
      cp "$NM/$pkg/package.json" "$APP/node_modules/$pkg/package.json" ;;
  esac
done < "$TRACE"
# The ESM entry of webgpu and Dawn's binary, whether or not require.cache listed them.
mkdir -p "$APP/node_modules/webgpu/dist/linux-x64"
cp "$NM/webgpu/index.js" "$NM/webgpu/package.json" "$APP/node_modules/webgpu/"
cp "$NM/webgpu/dist/linux-x64/dawn.node" "$APP/node_modules/webgpu/dist/linux-x64/"
cp py/bench_gpu.py "$APP/py/"
printf '{ "name": "bert-distill-gpu-bench", "private": true, "type": "commonjs" }\n' > "$APP/package.json"

echo "pack: Vulkan loader (libvulkan1 .deb contents)"
(cd "$STAGE" && apt-get download -qq libvulkan1 >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download -qq libvulkan1; })
dpkg-deb -x "$STAGE"/libvulkan1_*.deb "$STAGE/deb"
cp -a "$STAGE"/deb/usr/lib/x86_64-linux-gnu/libvulkan.so.1* "$APP/lib/"

echo "pack: compressing"
rm -f "$OUT/node.xz" "$OUT/runtime.tar.xz"
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$OUT/node.xz"
tar -C "$STAGE" -cf - app | xz -T0 -6 > "$OUT/runtime.tar.xz"
cat > "$OUT/run.sh" <<'SH'
#!/bin/sh
# Runs bench:gpu from this folder: no Node.js, npm or repository needed.
# Environment passes through (DISTILL_BACKEND, DISTILL_WEBGPU_ADAPTER, BENCH_*).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
W=${GPU_BENCH_WORK:-$HERE/work}
mkdir -p "$W/bin"
[ -x "$W/bin/node" ] || { xz -dc "$HERE/node.xz" > "$W/bin/node.tmp" && chmod +x "$W/bin/node.tmp" && mv "$W/bin/node.tmp" "$W/bin/node"; }
[ -f "$W/app/package.json" ] || xz -dc "$HERE/runtime.tar.xz" | tar -C "$W" -xf -
# Dawn's Vulkan backend needs the loader; carried, used only when the system has none.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  LD_LIBRARY_PATH="$W/app/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; export LD_LIBRARY_PATH
fi
# The NVIDIA driver's Vulkan ICD (the lent machines mount the driver under /usr/local/nvidia).
for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$f" ]; then VK_DRIVER_FILES=$f; export VK_DRIVER_FILES; fi
done
PATH="$W/bin:$PATH"; export PATH
DISTILL_BACKEND=${DISTILL_BACKEND:-webgpu}; export DISTILL_BACKEND
BENCH_CHECK_MODEL=${BENCH_CHECK_MODEL:-$W/app/tiny}; export BENCH_CHECK_MODEL
BENCH_PYTHON=${BENCH_PYTHON:-python3}; export BENCH_PYTHON
echo "node $(node --version) from $(command -v node); VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}" >&2
cd "$W/app" && exec node dist/bench/gpu_bench.js "$@"
SH
chmod +x "$OUT/run.sh"
size=$(du -cb "$OUT/node.xz" "$OUT/runtime.tar.xz" "$OUT/run.sh" | tail -1 | cut -f1)
echo "pack: $OUT: $(ls "$OUT" | tr '\n' ' ')- $((size / 1024)) KiB (limit $((LIMIT / 1024)) KiB)"
[ "$size" -lt "$LIMIT" ] || { echo "pack: over the 64 MiB limit" >&2; exit 1; }
