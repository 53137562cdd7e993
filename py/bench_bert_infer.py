"""PyTorch reference for bench:export: latency at batch 1 and throughput at batch 16, sequence 256,
of a random-weight BERT encoder + mean pooling (inference mode)."""
import argparse, json, time
import torch
from transformers import BertConfig, BertModel

p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, required=True)
p.add_argument("--hidden", type=int, default=768)
p.add_argument("--seq", type=int, default=256)
p.add_argument("--threads", type=int, required=True)
p.add_argument("--repeats", type=int, default=5)
a = p.parse_args()
torch.set_num_threads(a.threads)
model = BertModel(BertConfig(hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=a.hidden // 64, intermediate_size=4 * a.hidden), add_pooling_layer=False).eval()

def run(b):
    ids = torch.randint(1000, 20000, (b, a.seq))
    mask = torch.ones(b, a.seq, dtype=torch.long)
    with torch.inference_mode():
        h = model(input_ids=ids, attention_mask=mask).last_hidden_state
        return (h * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)

def timeit(b):
    run(b)
    best = float("inf")
    for _ in range(a.repeats):
        t0 = time.perf_counter(); run(b); best = min(best, time.perf_counter() - t0)
    return best

lat = timeit(1)
thr = 16 / timeit(16)
print(json.dumps({"latency_ms_b1": lat * 1000, "throughput_b16": thr, "params": sum(p.numel() for p in model.parameters()), "torch": torch.__version__}))
