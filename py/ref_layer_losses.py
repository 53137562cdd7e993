"""PyTorch reference for hidden_mse (masked MSE over real tokens, mean over mapped layers),
attention transfer (KL of distributions / MSE of scores over real query-key positions) and
MarginMSE, with gradients w.r.t. the student inputs."""
import json, sys
import torch

inp = json.load(open(sys.argv[1]))
t = lambda k: torch.tensor(inp[k], dtype=torch.float64)
mask = t("mask")                       # [B, L]
out = {}

hs = [torch.tensor(h, dtype=torch.float64, requires_grad=True) for h in inp["student_hidden"]]
ht = [torch.tensor(h, dtype=torch.float64) for h in inp["teacher_hidden"]]
m = mask.unsqueeze(-1)
terms = [(((hs[s] - ht[t_]) ** 2) * m).sum() / (m.sum() * ht[0].shape[-1]) for s, t_ in inp["hidden_map"]]
loss = sum(terms) / len(terms)
loss.backward()
out["hidden_mse"] = loss.item()
out["hidden_mse_grad"] = [h.grad.tolist() for h in hs]

mq = mask[:, None, :, None]
mk = mask[:, None, None, :]
def softmax_masked(scores):
    return torch.softmax(scores + (1 - mk) * -1e9, dim=-1)
ss = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inp["student_scores"]]
ts = [torch.tensor(x, dtype=torch.float64) for x in inp["teacher_scores"]]
H = ss[0].shape[1]
kl_terms, mse_terms = [], []
for s, t_ in inp["attn_map"]:
    p, q = softmax_masked(ts[t_]), softmax_masked(ss[s])
    kl = (p * (torch.log(p + 1e-12) - torch.log(q + 1e-12)) * mk).sum(-1, keepdim=True) * mq
    kl_terms.append(kl.sum() / (mq.sum() * H))
    d = (ss[s] - ts[t_]) * mq * mk
    mse_terms.append((d ** 2).sum() / ((mq * mk).sum() * H))
kl = sum(kl_terms) / len(kl_terms)
kl.backward(retain_graph=True)
out["attention_kl"] = kl.item()
out["attention_kl_grad"] = [x.grad.tolist() for x in ss]
for x in ss:
    x.grad = None
mse = sum(mse_terms) / len(mse_terms)
mse.backward()
out["attention_mse"] = mse.item()
out["attention_mse_grad"] = [x.grad.tolist() for x in ss]

S = t("S").requires_grad_(True)
T = t("T")
def margin(e):
    q, p, n = e[0::3], e[1::3], e[2::3]
    return (q * p).sum(-1) - (q * n).sum(-1)
mm = torch.nn.functional.mse_loss(margin(S), margin(T))
mm.backward()
out["margin_mse"] = mm.item()
out["margin_mse_grad"] = S.grad.tolist()
json.dump(out, open(sys.argv[2], "w"))
