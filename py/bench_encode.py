"""PyTorch side of bench:encode: sentence-transformers encode throughput, same sentences, batch and threads."""
import argparse, json, time

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--input", required=True)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--threads", type=int, required=True)
p.add_argument("--repeats", type=int, default=2)
a = p.parse_args()

import torch
from sentence_transformers import SentenceTransformer

torch.set_num_threads(a.threads)
m = SentenceTransformer(a.model, device="cpu")
sentences = [l for l in open(a.input, encoding="utf-8").read().split("\n") if l]
m.encode(sentences[: a.batch * 4], batch_size=a.batch)  # warm-up
best = float("inf")
with torch.inference_mode():
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        m.encode(sentences, batch_size=a.batch, show_progress_bar=False)
        best = min(best, time.perf_counter() - t0)
print(json.dumps({"sentences": len(sentences), "seconds": best, "sentences_per_second": len(sentences) / best,
                  "torch": torch.__version__, "threads": torch.get_num_threads()}))
