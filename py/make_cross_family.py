"""A tiny RoBERTa teacher and a tiny BERT student base, each with its own real tokenizer, saved by sentence-transformers.

teacher/: RoBERTa (byte-level BPE trained here on the shipped sentences), mean pooling + Normalize.
student-base/: BERT (WordPiece trained here on the same sentences), mean pooling.
Widths differ (48 vs 32) so mse needs its projection; vocabularies differ so each model tokenises its own text.
"""
import argparse, os

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--sentences", required=True, help="the shipped train-sentences.tsv (header, then source<TAB>sentence)")
a = p.parse_args()

import torch
from tokenizers import ByteLevelBPETokenizer, BertWordPieceTokenizer
from transformers import BertConfig, BertModel, BertTokenizerFast, RobertaConfig, RobertaModel, RobertaTokenizerFast
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.modules.normalize import Normalize
from sentence_transformers.base.modules.transformer import Transformer
from sentence_transformers.sentence_transformer.modules.pooling import Pooling

lines = [l.split("\t")[-1] for l in open(a.sentences, encoding="utf-8").read().split("\n")[1:] if l][:5000]


def perturb(model):
    # Random init has LayerNorm = identity and zero biases; perturb them so nothing is trivially equal.
    with torch.no_grad():
        for n, prm in model.named_parameters():
            if "LayerNorm" in n or n.endswith("bias"):
                prm.add_(torch.randn_like(prm) * 0.1)


def save(src, out, normalize):
    t = Transformer(src, max_seq_length=64)
    modules = [t, Pooling(t.get_embedding_dimension(), "mean")] + ([Normalize()] if normalize else [])
    SentenceTransformer(modules=modules).save(out)


torch.manual_seed(0)
src = os.path.join(a.out, "teacher.src")
os.makedirs(src, exist_ok=True)
bpe = ByteLevelBPETokenizer()
bpe.train_from_iterator(lines, vocab_size=600, min_frequency=2, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
bpe.save_model(src)
tok = RobertaTokenizerFast(os.path.join(src, "vocab.json"), os.path.join(src, "merges.txt"), model_max_length=64)
tok.save_pretrained(src)
cfg = RobertaConfig(vocab_size=len(tok), hidden_size=48, num_hidden_layers=3, num_attention_heads=4, intermediate_size=96,
                    max_position_embeddings=66, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2)
m = RobertaModel(cfg, add_pooling_layer=False)
perturb(m)
m.save_pretrained(src, safe_serialization=True)
save(src, os.path.join(a.out, "teacher"), normalize=True)

torch.manual_seed(1)
src = os.path.join(a.out, "student.src")
os.makedirs(src, exist_ok=True)
wp = BertWordPieceTokenizer(lowercase=True)
wp.train_from_iterator(lines, vocab_size=500, min_frequency=2, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
wp.save_model(src)
tok = BertTokenizerFast(os.path.join(src, "vocab.txt"), do_lower_case=True, model_max_length=64)
tok.save_pretrained(src)
cfg = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=4, num_attention_heads=4, intermediate_size=64,
                 max_position_embeddings=64, type_vocab_size=2)
m = BertModel(cfg, add_pooling_layer=False)
perturb(m)
m.save_pretrained(src, safe_serialization=True)
save(src, os.path.join(a.out, "student-base"), normalize=False)
print("ok")
