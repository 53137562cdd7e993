"""A small real-vocabulary teacher for bench:scale: all-MiniLM-L6-v2 cut to its first --layers layers.

Keeps the real WordPiece tokenizer (so English sentences tokenise as in a real run), the 384 width,
mean pooling and normalisation; only the depth shrinks, so the teacher pass over millions of
sentences fits the bench.
"""
import argparse

p = argparse.ArgumentParser()
p.add_argument("--src", required=True)
p.add_argument("--out", required=True)
p.add_argument("--layers", type=int, default=1)
a = p.parse_args()

from sentence_transformers import SentenceTransformer

m = SentenceTransformer(a.src, device="cpu")
bert = m[0].auto_model
bert.encoder.layer = bert.encoder.layer[: a.layers]
bert.config.num_hidden_layers = a.layers
m.save(a.out, safe_serialization=True)
