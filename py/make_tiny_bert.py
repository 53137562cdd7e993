"""A tiny random encoder (BERT, RoBERTa, XLM-R, DistilBERT, MPNet) in sentence-transformers layout plus PyTorch reference outputs.

The TypeScript layer tests load the folder, run the same ids, and compare every
hidden state, attention map and pooled output against reference.json.
"""
import argparse, json, os
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--hidden", type=int, default=32)
p.add_argument("--layers", type=int, default=2)
p.add_argument("--heads", type=int, default=4)
p.add_argument("--intermediate", type=int, default=64)
p.add_argument("--act", default="gelu")
p.add_argument("--arch", default="bert", choices=["bert", "roberta", "xlm-roberta", "distilbert", "mpnet"])
p.add_argument("--sinusoidal", action="store_true", help="DistilBERT: sinusoidal_pos_embds")
p.add_argument("--lengths", default="7,5,3", help="tokens per row, longest first (MPNet's relative buckets go log-spaced from 8)")
a = p.parse_args()

import torch
import transformers

torch.manual_seed(a.seed)
vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(95)]
# Per family: config and model class, pad id, rows of the token type table, positions used up by padding_idx.
FAMILY = {
    "bert": (transformers.BertConfig, transformers.BertModel, 0, 2, 0),
    "roberta": (transformers.RobertaConfig, transformers.RobertaModel, 1, 1, 2),
    "xlm-roberta": (transformers.XLMRobertaConfig, transformers.XLMRobertaModel, 1, 1, 2),
    "mpnet": (transformers.MPNetConfig, transformers.MPNetModel, 1, 0, 2),
}
lengths = [int(n) for n in a.lengths.split(",")]
B, L = len(lengths), lengths[0]
if a.arch == "distilbert":
    # Own config keys, no token types and no pooler.
    pad, n_types = 0, 0
    cfg = transformers.DistilBertConfig(vocab_size=len(vocab), dim=a.hidden, n_layers=a.layers, n_heads=a.heads,
                                        hidden_dim=a.intermediate, max_position_embeddings=max(64, L), activation=a.act,
                                        pad_token_id=pad, sinusoidal_pos_embds=a.sinusoidal, attn_implementation="eager")
    model = transformers.DistilBertModel(cfg).eval()
else:
    Config, Model, pad, n_types, pos_offset = FAMILY[a.arch]
    # MPNet has no token types; its special tokens are <s> <pad> </s>.
    types_kw = {"type_vocab_size": n_types} if n_types else {}
    if a.arch == "mpnet":
        vocab = ["<s>", "<pad>", "</s>", "<unk>", "[UNK]", "<mask>"] + vocab[6:]
    cfg = Config(vocab_size=len(vocab), hidden_size=a.hidden, num_hidden_layers=a.layers,
                 num_attention_heads=a.heads, intermediate_size=a.intermediate, max_position_embeddings=max(64, L) + pos_offset,
                 hidden_act=a.act, pad_token_id=pad, attn_implementation="eager", **types_kw)
    model = Model(cfg, add_pooling_layer=True).eval()
# Random init has LayerNorm = identity and zero biases; perturb them so the test sees them.
with torch.no_grad():
    for n, prm in model.named_parameters():
        if "LayerNorm" in n or "layer_norm" in n or n.endswith("bias"):
            prm.add_(torch.randn_like(prm) * 0.1)
os.makedirs(a.out, exist_ok=True)
model.save_pretrained(a.out, safe_serialization=True)
if a.arch == "mpnet":
    # tokenizer.json, so sentence-transformers and we both read MPNet's <s> ... </s> template.
    transformers.MPNetTokenizer(vocab={w: i for i, w in enumerate(vocab)}).save_pretrained(a.out)
else:
    with open(os.path.join(a.out, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    json.dump({"do_lower_case": True}, open(os.path.join(a.out, "tokenizer_config.json"), "w"))

gen = np.random.default_rng(a.seed)
ids = gen.integers(6 if a.arch == "mpnet" else 5, len(vocab), size=(B, L))
cls, sep = (0, 2) if a.arch == "mpnet" else (2, 3)
ids[:, 0] = cls
mask = np.zeros((B, L), dtype=np.int64)
for b, n in enumerate(lengths):
    mask[b, :n] = 1
    ids[b, n - 1] = sep
    ids[b, n:] = pad
types = np.zeros((B, L), dtype=np.int64)
if n_types > 1:
    types[0, 4:] = 1
with torch.no_grad():
    types_in = {"token_type_ids": torch.tensor(types)} if n_types else {}
    out = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), output_hidden_states=True,
                output_attentions=True, **types_in)
h = out.last_hidden_state
pooler = getattr(out, "pooler_output", None)
m = torch.tensor(mask, dtype=torch.float32).unsqueeze(-1)
mean = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
mx = (h + (1 - m) * -1e9).max(1).values
ref = {
    "input_ids": ids.tolist(), "attention_mask": mask.tolist(), "token_type_ids": types.tolist(),
    "hidden_states": [t.tolist() for t in out.hidden_states],
    "attentions": [t.tolist() for t in out.attentions],
    "mean": mean.tolist(), "cls": h[:, 0].tolist(), "max": mx.tolist(),
    "mean_normalized": torch.nn.functional.normalize(mean, dim=-1).tolist(),
    "pooler": None if pooler is None else pooler.tolist(),
}
json.dump(ref, open(os.path.join(a.out, "reference.json"), "w"))
