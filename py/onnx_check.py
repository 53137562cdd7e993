"""Full onnx.checker pass on an exported model, then onnxruntime (Python) embeddings of the given
sentences, tokenized by transformers from the export folder, written as raw float32."""
import argparse, json
import numpy as np
import onnx, onnxruntime as ort
from transformers import AutoTokenizer

p = argparse.ArgumentParser()
p.add_argument("--dir", required=True)
p.add_argument("--file", default="onnx/model.onnx")
p.add_argument("--input", required=True)
p.add_argument("--output", required=True)
p.add_argument("--max-length", type=int, default=256)
a = p.parse_args()

path = f"{a.dir}/{a.file}"
onnx.checker.check_model(path, full_check=True)
m = onnx.load(path)
sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
tok = AutoTokenizer.from_pretrained(a.dir)
lines = [l for l in open(a.input, encoding="utf-8").read().split("\n") if l]
out = []
for i in range(0, len(lines), 16):
    enc = tok(lines[i:i + 16], padding=True, truncation=True, max_length=a.max_length, return_tensors="np")
    # Only the inputs the graph declares: token_type_ids exist only for models with more than one type.
    feeds = {i.name: enc[i.name].astype(np.int64) if i.name in enc else np.zeros_like(enc["input_ids"], dtype=np.int64) for i in sess.get_inputs()}
    out.append(sess.run(["sentence_embedding"], feeds)[0])
np.concatenate(out).astype("<f4").tofile(a.output)
print(json.dumps({"checked": True, "opset": m.opset_import[0].version, "inputs": [i.name for i in m.graph.input], "outputs": [o.name for o in m.graph.output]}))
