"""torch.optim.AdamW + transformers' linear warmup schedule + clip_grad_norm_ on given gradients:
the reference trajectory for our optimizer."""
import json, sys
import torch
from transformers import get_linear_schedule_with_warmup

inp = json.load(open(sys.argv[1]))
params = {k: torch.nn.Parameter(torch.tensor(v, dtype=torch.float32)) for k, v in inp["params"].items()}
decay = [p for k, p in params.items() if not (k.endswith(".bias") or "LayerNorm" in k)]
no_decay = [p for k, p in params.items() if k.endswith(".bias") or "LayerNorm" in k]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": inp["wd"]}, {"params": no_decay, "weight_decay": 0.0}],
                        lr=inp["lr"], eps=inp["eps"])
sched = get_linear_schedule_with_warmup(opt, inp["warmup"], inp["total"])
norms = []
for step_grads in inp["grads"]:
    for k, g in step_grads.items():
        params[k].grad = torch.tensor(g, dtype=torch.float32)
    norms.append(torch.nn.utils.clip_grad_norm_(list(params.values()), inp["max_norm"]).item())
    opt.step()
    sched.step()
    opt.zero_grad()
json.dump({"params": {k: p.detach().tolist() for k, p in params.items()}, "norms": norms}, open(sys.argv[2], "w"))
