#!/usr/bin/env bash
# Builds @tensorflow/tfjs-node against the TensorFlow C library shipped in the
# tensorflow-cpu wheel. Its own installer downloads libtensorflow from a host
# this machine cannot reach; the wheel comes from the Python package index.
# Idempotent: does nothing when the binding already loads.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pkg="${1:-tfjs-node}"                 # tfjs-node | tfjs-node-gpu
wheel_name="${2:-tensorflow-cpu}"     # tensorflow-cpu | tensorflow (CUDA build, for tfjs-node-gpu)
tf_version="${TF_WHEEL_VERSION:-2.21.0}"
mod="$root/node_modules/@tensorflow/$pkg"
cache="$root/.cache/wheels"
python="${PYTHON:-python3}"

[ -d "$mod" ] || { echo "setup_tfjs_node: $mod is missing; run npm install first" >&2; exit 1; }

if node -e "require('$mod')" >/dev/null 2>&1; then
  echo "setup_tfjs_node: $pkg already built"
  exit 0
fi

mkdir -p "$cache"
whl=$(ls "$cache"/${wheel_name//-/_}-"$tf_version"-*.whl 2>/dev/null | head -1 || true)
if [ -z "$whl" ]; then
  echo "setup_tfjs_node: fetching $wheel_name==$tf_version wheel (TensorFlow C library)"
  "$python" -m pip download --quiet --no-deps --only-binary=:all: -d "$cache" "$wheel_name==$tf_version"
  whl=$(ls "$cache"/${wheel_name//-/_}-"$tf_version"-*.whl | head -1)
fi

deps="$mod/deps"
rm -rf "$deps"
mkdir -p "$deps/lib" "$deps/include"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unzip -q "$whl" 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' \
  'tensorflow/include/tensorflow/c/*' 'tensorflow/include/tensorflow/core/platform/*' \
  'tensorflow/include/tsl/*' 'tensorflow/include/xla/tsl/*' -d "$tmp" 2>/dev/null || \
unzip -q "$whl" 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' \
  'tensorflow/include/tensorflow/c/*' 'tensorflow/include/tensorflow/core/platform/*' -d "$tmp"
mv "$tmp/tensorflow/libtensorflow_cc.so.2" "$tmp/tensorflow/libtensorflow_framework.so.2" "$deps/lib/"
cp -r "$tmp/tensorflow/include/." "$deps/include/"
ln -sf libtensorflow_cc.so.2 "$deps/lib/libtensorflow.so"
ln -sf libtensorflow_cc.so.2 "$deps/lib/libtensorflow.so.2"
ln -sf libtensorflow_framework.so.2 "$deps/lib/libtensorflow_framework.so"
# The package's install script checks for this exact file name before building.
touch "$deps/lib/libtensorflow.so.2.9.1"

nodedir="$(dirname "$(dirname "$(command -v node)")")"
echo "setup_tfjs_node: building the $pkg binding (node headers from $nodedir)"
build() {
  if [ "$pkg" = tfjs-node-gpu ]; then
    # Its npm install script passes "download", which deletes deps/ and fetches
    # libtensorflow from the internet; without that argument it builds against deps/.
    (cd "$mod" && PATH="$root/node_modules/.bin:$PATH" node scripts/install.js gpu)
  else
    (cd "$root" && npm rebuild "@tensorflow/$pkg")
  fi
}
(export npm_config_nodedir="$nodedir" npm_config_build_from_source=true; build >"$root/.cache/$pkg-build.log" 2>&1) || {
  echo "setup_tfjs_node: build failed; log: $root/.cache/$pkg-build.log" >&2; tail -30 "$root/.cache/$pkg-build.log" >&2; exit 1; }
node -e "const tf=require('$mod'); console.log('setup_tfjs_node: $pkg ready, TensorFlow ' + tf.version['tfjs-node'] + ' / C library ' + tf.backend().binding.TF_Version)"
