"""Rust tokenizers' normalizer output for each string of a JSON list (the normalizer of a tokenizer.json).

usage: ref_normalize.py --tokenizer tokenizer.json --input STRINGS.json --output OUT.json
"""
import argparse, json

from tokenizers import Tokenizer

p = argparse.ArgumentParser()
p.add_argument("--tokenizer", required=True)
p.add_argument("--input", required=True)
p.add_argument("--output", required=True)
a = p.parse_args()

norm = Tokenizer.from_file(a.tokenizer).normalizer
with open(a.input, encoding="utf-8") as f:
    texts = json.load(f)
with open(a.output, "w", encoding="utf-8") as f:
    json.dump([norm.normalize_str(t) for t in texts], f)
