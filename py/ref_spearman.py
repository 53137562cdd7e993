"""scipy's Spearman and a brute-force best-threshold accuracy, the references for src/eval."""
import json, sys
from scipy.stats import spearmanr

d = json.load(open(sys.argv[1]))
a, b = d["a"], d["b"]
out = {"spearman": spearmanr(a, b).statistic}
if "labels" in d:
    sims, labels = d["sims"], d["labels"]
    cands = sorted(set(sims))
    ts = [cands[0] - 1] + [(x + y) / 2 for x, y in zip(cands, cands[1:])] + [cands[-1] + 1]
    out["accuracy"] = max(sum((s >= t) == (l == 1) for s, l in zip(sims, labels)) / len(labels) for t in ts) * 100
json.dump(out, open(sys.argv[2], "w"))
