"""PyTorch side of bench:train: one distillation step (student forward + MSE to cached teacher
embeddings + backward + clip + AdamW).

Seed shape (default): a 4 x 768 BERT student, random weights, one fixed batch.
Quickstart shape (--batches FILE): the sentence-transformers model named in FILE cut to its
keep_layers, trained on FILE's batches in order (the same token ids and masks the TypeScript side
times), through the whole sentence-transformers pipeline (pooling, normalisation)."""
import argparse, json, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, default=4)
p.add_argument("--hidden", type=int, default=768)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--seq", type=int, default=128)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--batches", help="JSON from bench/quickstart_shape.ts: model, keep_layers, teacher_dim, batches")
p.add_argument("--warmup", type=int, default=1)
p.add_argument("--threads", type=int, required=True)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


def seed_shape():
    from transformers import BertConfig, BertModel
    cfg = BertConfig(hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=a.hidden // 64,
                     intermediate_size=4 * a.hidden, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = BertModel(cfg, add_pooling_layer=False)
    ids = torch.randint(1000, 20000, (a.batch, a.seq))
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)

    def embed(i):
        h = model(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float()
        return (h * m).sum(1) / m.sum(1)
    return model, embed, [torch.randn(a.batch, a.hidden)], [a.batch]


def quickstart_shape():
    from sentence_transformers import SentenceTransformer
    spec = json.load(open(a.batches))
    model = SentenceTransformer(spec["model"], device="cpu")
    enc = model[0].auto_model
    enc.encoder.layer = torch.nn.ModuleList([enc.encoder.layer[i] for i in spec["keep_layers"]])
    enc.config.num_hidden_layers = len(spec["keep_layers"])
    for m in model.modules():  # the TypeScript trainer has no dropout
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    feats = [{"input_ids": torch.tensor(b["input_ids"]).view(b["batch"], b["seq"]),
              "attention_mask": torch.tensor(b["attention_mask"]).view(b["batch"], b["seq"]),
              "token_type_ids": torch.zeros(b["batch"], b["seq"], dtype=torch.long)} for b in spec["batches"]]

    def embed(i):
        return model(dict(feats[i]))["sentence_embedding"]
    return model, embed, [torch.rand(b["batch"], spec["teacher_dim"]) - 0.5 for b in spec["batches"]], [b["batch"] for b in spec["batches"]]


model, embed, targets, sizes = quickstart_shape() if a.batches else seed_shape()
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, eps=1e-6, weight_decay=0.01)


def step(i):
    loss = torch.nn.functional.mse_loss(embed(i), targets[i])
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad()


def peak_rss_mb():
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over exec, so a child of the
    # Node benchmark would report Node's own peak at fork time whenever that is higher.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024


order = list(range(len(targets))) if a.batches else [0] * a.steps
for i in order[: a.warmup]:
    step(i)
t0 = time.perf_counter()
for i in order:
    step(i)
dt = time.perf_counter() - t0
sentences = sum(sizes[i] for i in order)
print(json.dumps({"seconds_per_step": dt / len(order), "sentences_per_second": sentences / dt, "steps": len(order), "torch": torch.__version__,
                  "threads": torch.get_num_threads(), "peak_rss_mb": peak_rss_mb()}))
