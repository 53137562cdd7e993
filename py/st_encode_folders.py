"""Embeddings from the installed sentence-transformers for several model folders in one process.

Each folder's embeddings of the --input lines go to <folder>.f32 (raw float32); a folder that
fails to load is an error with its traceback.
"""
import argparse
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--input", required=True)
p.add_argument("folders", nargs="+")
a = p.parse_args()

from sentence_transformers import SentenceTransformer

lines = open(a.input, encoding="utf-8").read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
for d in a.folders:
    m = SentenceTransformer(d, device="cpu")
    e = m.encode(lines, convert_to_numpy=True, show_progress_bar=False)
    np.ascontiguousarray(e, dtype="<f4").tofile(d.rstrip("/") + ".f32")
    print(d, e.shape[0], e.shape[1], m.similarity_fn_name, sorted(m.prompts))
