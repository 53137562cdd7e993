"""Embeddings from sentence-transformers' own ONNX backend (optimum + onnxruntime) for exported folders.

Runs under .venv-onnx (py/requirements-onnx.txt). Each argument is FOLDER or FOLDER=FILE, FILE being
the ONNX file inside it to load (`model_kwargs={"file_name": FILE}`); without one, sentence-transformers
picks its default (onnx/model.onnx). The --input lines' embeddings go to <folder>[.<file stem>].f32 (raw
float32), and one JSON line per folder says what was loaded: the optimum class, the file onnxruntime
opened and its input names, so a test can tell the ONNX graph ran and not a PyTorch fallback.
"""
import argparse, json, os
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--input", required=True)
p.add_argument("folders", nargs="+", help="FOLDER or FOLDER=onnx/FILE.onnx")
a = p.parse_args()

from sentence_transformers import SentenceTransformer

lines = open(a.input, encoding="utf-8").read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
for spec in a.folders:
    d, _, file_name = spec.partition("=")
    kwargs = {"file_name": file_name} if file_name else {}
    m = SentenceTransformer(d, device="cpu", backend="onnx", model_kwargs=kwargs)
    e = m.encode(lines, convert_to_numpy=True, show_progress_bar=False)
    stem = "." + os.path.splitext(os.path.basename(file_name))[0] if file_name else ""
    out = d.rstrip("/") + stem + ".f32"
    np.ascontiguousarray(e, dtype="<f4").tofile(out)
    ort_model = m[0].auto_model
    print(json.dumps({
        "folder": d,
        "output": out,
        "rows": int(e.shape[0]),
        "dim": int(e.shape[1]),
        "class": type(ort_model).__name__,
        "file": os.path.relpath(str(ort_model.path), d),
        "inputs": [i.name for i in ort_model.model.get_inputs()],
        "modules": [type(mod).__name__ for mod in m],
    }))
