"""Reference sentence embeddings from sentence-transformers on PyTorch (CPU), written as raw float32."""
import argparse
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--input", required=True, help="UTF-8, one sentence per line")
p.add_argument("--output", required=True, help="raw little-endian float32 [n, dim]")
p.add_argument("--batch", type=int, default=32)
p.add_argument("--threads", type=int, default=0)
a = p.parse_args()

import torch
from sentence_transformers import SentenceTransformer

if a.threads:
    torch.set_num_threads(a.threads)
m = SentenceTransformer(a.model, device="cpu")
with open(a.input, encoding="utf-8") as f:
    lines = f.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
e = m.encode(lines, batch_size=a.batch, convert_to_numpy=True, show_progress_bar=False)
np.ascontiguousarray(e, dtype="<f4").tofile(a.output)
print(e.shape[0], e.shape[1])
