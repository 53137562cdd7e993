"""Tiny random BERT sentence models saved by the installed sentence-transformers, plus their embeddings.

Each --spec is one model's options (one process builds them all, importing torch once):
--dense N adds a Dense module (pooled width -> N, --activation) before Normalize.
--legacy rewrites modules.json and 1_Pooling/config.json the way sentence-transformers 2.x wrote
them (module paths `sentence_transformers.models.*`, `pooling_mode_*_tokens` booleans).
--prompts adds prompts and a similarity function to config_sentence_transformers.json;
--default-prompt NAME makes one of them the prompt every sentence gets.
With --input, writes each model's embeddings of those lines (raw float32) to <out>.ref.f32.
"""
import argparse, json, os, shlex

top = argparse.ArgumentParser()
top.add_argument("--spec", action="append", required=True, help='e.g. "--out DIR --dense 16 --normalize"')
top.add_argument("--input")
t = top.parse_args()

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--pooling", default="mean", help="mode or comma-separated modes, in 6.x names")
p.add_argument("--dense", type=int, default=0)
p.add_argument("--activation", default="torch.nn.modules.activation.Tanh")
p.add_argument("--no-dense-bias", action="store_true")
p.add_argument("--normalize", action="store_true")
p.add_argument("--legacy", action="store_true")
p.add_argument("--prompts", action="store_true")
p.add_argument("--default-prompt", help="name of the prompt sentence-transformers prefixes by default")

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.modules.dense import Dense
from sentence_transformers.base.modules.normalize import Normalize
from sentence_transformers.base.modules.transformer import Transformer
from sentence_transformers.sentence_transformer.modules.pooling import Pooling
from sentence_transformers.util import import_from_string
from transformers import BertConfig, BertModel, BertTokenizerFast


def build(a):
    torch.manual_seed(a.seed)
    words = ("the a an is are man woman dog cat plays playing guitar runs field snow on in of and to "
             "what capital france hello quick brown fox jumps over lazy sat mat two slicing onion").split()
    chars = "abcdefghijklmnopqrstuvwxyz0123456789.,?!'"
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words + list(chars) + [f"##{c}" for c in chars]
    src = a.out + ".src"
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    BertTokenizerFast(os.path.join(src, "vocab.txt"), do_lower_case=True).save_pretrained(src)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64, max_position_embeddings=64, type_vocab_size=2)
    bert = BertModel(cfg, add_pooling_layer=False)
    with torch.no_grad():
        for n, prm in bert.named_parameters():
            if "LayerNorm" in n or n.endswith("bias"):
                prm.add_(torch.randn_like(prm) * 0.1)
    bert.save_pretrained(src, safe_serialization=True)

    modes = a.pooling.split(",")
    modules = [Transformer(src, max_seq_length=48), Pooling(32, pooling_mode=modes[0] if len(modes) == 1 else tuple(modes))]
    if a.dense:
        dense = Dense(32 * len(modes), a.dense, bias=not a.no_dense_bias, activation_function=import_from_string(a.activation)())
        with torch.no_grad():
            dense.linear.weight.normal_(0, 0.3)
            if dense.linear.bias is not None:
                dense.linear.bias.normal_(0, 0.1)
        modules.append(dense)
    if a.normalize:
        modules.append(Normalize())
    kw = {"prompts": {"query": "query: ", "passage": "passage: "}, "similarity_fn_name": "dot"} if a.prompts else {}
    if a.default_prompt:
        kw["default_prompt_name"] = a.default_prompt
    model = SentenceTransformer(modules=modules, device="cpu", **kw)
    model.save(a.out, create_model_card=False)

    if a.legacy:
        mpath = os.path.join(a.out, "modules.json")
        mods = json.load(open(mpath))
        for m in mods:
            m["type"] = "sentence_transformers.models." + m["type"].rsplit(".", 1)[1]
        json.dump(mods, open(mpath, "w"), indent=2)
        ppath = os.path.join(a.out, "1_Pooling", "config.json")
        pc = json.load(open(ppath))
        legacy = {"cls": "pooling_mode_cls_token", "mean": "pooling_mode_mean_tokens", "max": "pooling_mode_max_tokens",
                  "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens"}
        old = {"word_embedding_dimension": pc["embedding_dimension"]}
        for mode, key in legacy.items():
            old[key] = mode in modes
        json.dump(old, open(ppath, "w"), indent=2)
        os.remove(os.path.join(a.out, "config_sentence_transformers.json"))

    if t.input:
        lines = open(t.input, encoding="utf-8").read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        # Load back from disk, so the reference is what the saved folder gives.
        e = SentenceTransformer(a.out, device="cpu").encode(lines, convert_to_numpy=True, show_progress_bar=False)
        np.ascontiguousarray(e, dtype="<f4").tofile(a.out + ".ref.f32")
        print(e.shape[0], e.shape[1])


for spec in t.spec:
    build(p.parse_args(shlex.split(spec)))
