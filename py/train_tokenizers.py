"""Trains tiny tokenizers of every family the framework loads and saves each as a model folder.

Each folder holds tokenizer.json + tokenizer_config.json shaped like the real model's on the Hub,
so the TypeScript loader is tested on the same components (and the same quirks) as:

  roberta      byte-level BPE, RobertaProcessing, <s> <pad> </s> <unk> <mask> (roberta-base)
  xlmr         SentencePiece unigram (nmt_nfkc) converted by transformers' XLMRobertaTokenizer:
               Precompiled normalizer, WhitespaceSplit + Metaspace, <s> $A </s> (xlm-roberta-base)
  xlmr_spm     the same SentencePiece model through transformers' XLMRobertaConverter (SpmConverter):
               Precompiled + Strip + Replace normalizers, Metaspace alone
  mpnet        WordPiece whose template is <s> $A </s>, <pad> = 1 and a second [PAD] in the vocab (mpnet-base)
  distilbert   WordPiece, [CLS] $A [SEP], no token type ids (distilbert-base-uncased)

usage: train_tokenizers.py --out DIR --english FILE.tsv --chinese FILE.txt [--vocab-size N]
"""
import argparse, json, os, tempfile

from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--english", required=True, help="tsv with a header and the sentence in column 2")
p.add_argument("--chinese", required=True, help="tsv whose first two columns are sentences")
p.add_argument("--vocab-size", type=int, default=3000)
a = p.parse_args()


def corpus():
    with open(a.english, encoding="utf-8") as f:
        lines = [l.split("\t")[1] for l in f.read().split("\n")[1:] if "\t" in l]
    with open(a.chinese, encoding="utf-8") as f:
        lines += [s for l in f.read().split("\n") if l for s in l.split("\t")[:2]]
    return lines


def save(tok, name, config):
    d = os.path.join(a.out, name)
    os.makedirs(d, exist_ok=True)
    tok.save(os.path.join(d, "tokenizer.json"))
    with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"model_max_length": 512, **config}, f, indent=2)


ROBERTA_SPECIALS = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
                    "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}


def roberta(lines):
    tok = Tokenizer(models.BPE(continuing_subword_prefix="", end_of_word_suffix="", fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<s>", "<pad>", "</s>", "<unk>", AddedToken("<mask>", lstrip=True, special=True)]
    tok.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=a.vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False))
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True, add_prefix_space=False)
    save(tok, "roberta", {"tokenizer_class": "RobertaTokenizer", "add_prefix_space": False, **ROBERTA_SPECIALS})


def sentencepiece_model(lines):
    import sentencepiece as spm
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "corpus.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    # XLM-R's own model: <unk> <s> </s> as pieces 0-2, no pad piece, nmt_nfkc normalisation.
    spm.SentencePieceTrainer.train(
        input=os.path.join(d, "corpus.txt"), model_prefix=os.path.join(d, "spm"), vocab_size=a.vocab_size,
        model_type="unigram", normalization_rule_name="nmt_nfkc", character_coverage=0.9995, minloglevel=2)
    return os.path.join(d, "spm.model")


def xlmr(spm_file):
    from transformers import XLMRobertaTokenizer
    d = tempfile.mkdtemp()
    os.link(spm_file, os.path.join(d, "sentencepiece.bpe.model"))
    tok = XLMRobertaTokenizer.from_pretrained(d, mask_token=AddedToken("<mask>", lstrip=True, special=True))
    save(tok.backend_tokenizer, "xlmr", {"tokenizer_class": "XLMRobertaTokenizer", **ROBERTA_SPECIALS})


def xlmr_spm(spm_file):
    from transformers.convert_slow_tokenizer import XLMRobertaConverter

    class Slow:  # what the converter reads from a slow XLMRobertaTokenizer
        vocab_file = spm_file
        add_prefix_space = True

        def convert_tokens_to_ids(self, t):
            return {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}[t]

    tok = XLMRobertaConverter(Slow()).converted()
    tok.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", AddedToken("<mask>", lstrip=True, special=True)])
    save(tok, "xlmr_spm", {"tokenizer_class": "PreTrainedTokenizerFast", **ROBERTA_SPECIALS})


def wordpiece(lines, specials, unk):
    tok = Tokenizer(models.WordPiece(unk_token=unk))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.train_from_iterator(lines, trainers.WordPieceTrainer(vocab_size=a.vocab_size, special_tokens=specials, show_progress=False))
    return tok


def mpnet(lines):
    # mpnet-base: <s> <pad> </s> <unk> first, BERT's [PAD] ... [MASK] after them; the model pads with <pad>.
    tok = wordpiece(lines, ["<s>", "<pad>", "</s>", "<unk>", "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], "[UNK]")
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    tok.post_processor = processors.TemplateProcessing(
        single="<s>:0 $A:0 </s>:0", pair="<s>:0 $A:0 </s>:0 </s>:0 $B:1 </s>:1", special_tokens=[("<s>", 0), ("</s>", 2)])
    save(tok, "mpnet", {"tokenizer_class": "MPNetTokenizer", "do_lower_case": True, **ROBERTA_SPECIALS, "unk_token": "[UNK]"})


def distilbert(lines):
    tok = wordpiece(lines, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], "[UNK]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    save(tok, "distilbert", {"tokenizer_class": "DistilBertTokenizer", "do_lower_case": True, "cls_token": "[CLS]",
                             "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]"})


lines = corpus()
roberta(lines)
spm_file = sentencepiece_model(lines)
xlmr(spm_file)
xlmr_spm(spm_file)
mpnet(lines)
distilbert(lines)
