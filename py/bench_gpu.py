"""PyTorch side of bench:gpu: encode (forward + mean pooling, no grad) and one distillation training
step (forward + MSE to fixed targets + backward + clip + AdamW) of a random BERT of the given shape,
on CUDA when PyTorch sees a GPU, else on the CPU (said in the output). Prints one JSON line."""
import argparse, json, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, required=True)
p.add_argument("--hidden", type=int, required=True)
p.add_argument("--batch", type=int, required=True)
p.add_argument("--seq", type=int, required=True)
p.add_argument("--steps", type=int, required=True)
p.add_argument("--vocab", type=int, default=30522)
a = p.parse_args()
torch.manual_seed(0)
cuda = torch.cuda.is_available()
dev = torch.device("cuda" if cuda else "cpu")

from transformers import BertConfig, BertModel  # noqa: E402

cfg = BertConfig(vocab_size=a.vocab, hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=max(1, a.hidden // 64),
                 intermediate_size=4 * a.hidden, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
model = BertModel(cfg, add_pooling_layer=False).to(dev)
ids = torch.randint(0, a.vocab, (a.batch, a.seq), device=dev)
mask = torch.ones(a.batch, a.seq, dtype=torch.long, device=dev)
target = torch.randn(a.batch, a.hidden, device=dev)


def embed():
    h = model(input_ids=ids, attention_mask=mask).last_hidden_state
    m = mask.unsqueeze(-1).float()
    return (h * m).sum(1) / m.sum(1)


def sync():
    if cuda:
        torch.cuda.synchronize()


def timed(f, n):
    f()
    sync()
    t0 = time.perf_counter()
    for _ in range(n):
        f()
    sync()
    return (time.perf_counter() - t0) / n


model.eval()
with torch.no_grad():
    enc = timed(lambda: embed().cpu(), a.steps)
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, eps=1e-6, weight_decay=0.01)


def step():
    loss = torch.nn.functional.mse_loss(embed(), target)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad()
    return loss.item()


train = timed(step, a.steps)
print(json.dumps({"device": torch.cuda.get_device_name(0) if cuda else "cpu", "cuda": cuda, "torch": torch.__version__, "threads": torch.get_num_threads(),
                  "encode_sentences_per_second": a.batch / enc, "train_sentences_per_second": a.batch / train,
                  "encode_seconds": enc, "train_seconds_per_step": train}))
