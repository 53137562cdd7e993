"""PyTorch reference for the distillation losses, written from losses.md independently of our code.
Reads a JSON of inputs, writes loss values and the gradient of each loss w.r.t. the student embedding inputs."""
import json, sys
import torch
import torch.nn.functional as F

inp = json.load(open(sys.argv[1]))
t = lambda k: torch.tensor(inp[k], dtype=torch.float64)
S, T = t("S"), t("T")
out = {}

if S.shape == T.shape:
    S1 = S.clone().requires_grad_(True)
    mse = F.mse_loss(S1, T)
    mse.backward()
    out["mse"], out["mse_grad"] = mse.item(), S1.grad.tolist()

    S2 = S.clone().requires_grad_(True)
    cos = (1 - F.cosine_similarity(S2, T, dim=1, eps=1e-8)).mean()
    cos.backward()
    out["cosine"], out["cosine_grad"] = cos.item(), S2.grad.tolist()

def rbf(x, gamma):
    d2 = torch.cdist(x, x) ** 2
    if gamma == "median":
        B = x.shape[0]
        off = d2[~torch.eye(B, dtype=torch.bool)].detach()
        med = off.sort().values[off.numel() // 2]
        gamma = 1.0 / med
    return torch.exp(-gamma * d2)

def hsic(K, M):
    # IBKD's expansion: [tr(KM)/B^2 + mean(K)mean(M) - 2 mean(KM)/B] * B^2/(B-1)^2
    B = K.shape[0]
    KM = K @ M
    return (torch.trace(KM) / B**2 + K.mean() * M.mean() - 2 * KM.mean() / B) * B**2 / (B - 1) ** 2

H0, mask, W, b = t("H0"), t("mask"), t("W"), t("b")
for name, gamma in (("ibkd_median", "median"), ("ibkd_gamma", inp["gamma"])):
    Z = S.clone().requires_grad_(True)
    m = mask.unsqueeze(-1)
    X = (H0 * m).sum(1) / m.sum(1).clamp(min=1e-9)
    P = Z @ W + b
    logits = F.cosine_similarity(P.unsqueeze(1), T.unsqueeze(0), dim=-1, eps=1e-8) / inp["tau"]
    nce = F.cross_entropy(logits, torch.arange(S.shape[0]))
    loss = nce + inp["lambda"] * hsic(rbf(X, gamma), rbf(Z, gamma))
    loss.backward()
    out[name], out[name + "_grad"] = loss.item(), Z.grad.tolist()
json.dump(out, open(sys.argv[2], "w"))
