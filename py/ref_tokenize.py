"""Reference token ids from Hugging Face transformers, one JSON list per input line.

--model DIR   AutoTokenizer of a model folder (tokenizer.json when present)
--vocab FILE  BertTokenizer (the Rust-backed one in transformers 5) from a folder holding only vocab.txt
"""
import argparse, json, os, shutil, tempfile

p = argparse.ArgumentParser()
p.add_argument("--model")
p.add_argument("--vocab")
p.add_argument("--lowercase", default="true")
p.add_argument("--input", required=True)
p.add_argument("--output", required=True)
p.add_argument("--max-length", type=int, default=None)
a = p.parse_args()

from transformers import AutoTokenizer, BertTokenizer

if a.model:
    tok = AutoTokenizer.from_pretrained(a.model)
else:
    d = tempfile.mkdtemp()
    shutil.copy(a.vocab, os.path.join(d, "vocab.txt"))
    tok = BertTokenizer.from_pretrained(d, do_lower_case=a.lowercase == "true")
with open(a.input, encoding="utf-8") as f:
    lines = f.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
kw = dict(truncation=True, max_length=a.max_length) if a.max_length else {}
with open(a.output, "w", encoding="utf-8") as out:
    for s in lines:
        e = tok(s, **kw)
        out.write(json.dumps({"ids": e["input_ids"], "type_ids": e.get("token_type_ids")}) + "\n")
