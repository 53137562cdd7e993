"""Reference token ids from transformers' AutoTokenizer for several model folders in one process.

Writes one JSON object: {folder: {"pad_id", "type_ids" (whether the model returns token_type_ids),
"ids": [[...] per line], "ids_max": [[...] per line, truncation=True, max_length=N],
"raw_differs": lines where tokenizers.Tokenizer.from_file(tokenizer.json) gives other ids}}.

usage: ref_tokenize_models.py --input SENTENCES.json --output FILE --max-length N DIR...
"""
import argparse, json, os

from tokenizers import Tokenizer
from transformers import AutoTokenizer

p = argparse.ArgumentParser()
p.add_argument("--input", required=True)
p.add_argument("--output", required=True)
p.add_argument("--max-length", type=int, required=True)
p.add_argument("models", nargs="+")
a = p.parse_args()

with open(a.input, encoding="utf-8") as f:
    lines = json.load(f)  # JSON, not lines: sentences may hold \r, \u2028 and other line breaks

out = {}
for d in a.models:
    tok = AutoTokenizer.from_pretrained(d)
    raw = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    full = tok(lines)
    ids = full["input_ids"]
    raw_ids = [e.ids for e in raw.encode_batch(lines)]
    out[d] = {
        "pad_id": tok.pad_token_id,
        "type_ids": "token_type_ids" in full,
        "ids": ids,
        "ids_max": tok(lines, truncation=True, max_length=a.max_length)["input_ids"],
        "raw_differs": [i for i, (x, y) in enumerate(zip(ids, raw_ids)) if x != y],
    }
with open(a.output, "w", encoding="utf-8") as f:
    json.dump(out, f)
