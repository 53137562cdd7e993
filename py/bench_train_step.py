"""PyTorch side of bench:train: one distillation step (student forward + MSE to cached teacher
embeddings + backward + clip + AdamW) for a 4 x 768 BERT student, random weights."""
import argparse, json, resource, time
import torch
from transformers import BertConfig, BertModel

p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, default=4)
p.add_argument("--hidden", type=int, default=768)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--seq", type=int, default=128)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--threads", type=int, required=True)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
cfg = BertConfig(hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=a.hidden // 64,
                 intermediate_size=4 * a.hidden, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
model = BertModel(cfg, add_pooling_layer=False)
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
ids = torch.randint(1000, 20000, (a.batch, a.seq))
mask = torch.ones(a.batch, a.seq, dtype=torch.long)
target = torch.randn(a.batch, a.hidden)

def step():
    h = model(input_ids=ids, attention_mask=mask).last_hidden_state
    m = mask.unsqueeze(-1).float()
    emb = (h * m).sum(1) / m.sum(1)
    loss = torch.nn.functional.mse_loss(emb, target)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad()

step()
t0 = time.perf_counter()
for _ in range(a.steps):
    step()
dt = (time.perf_counter() - t0) / a.steps
print(json.dumps({"seconds_per_step": dt, "sentences_per_second": a.batch / dt, "torch": torch.__version__, "threads": torch.get_num_threads(),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
