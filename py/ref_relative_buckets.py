"""transformers' MPNet relative_position_bucket for distances -1100..1100 under several (num_buckets, max_distance).

Prints JSON {"nb,md": [bucket per distance]}; the TypeScript relativeBucket must agree at every float32 boundary.
"""
import json
import torch
from transformers.models.mpnet.modeling_mpnet import MPNetEncoder

r = torch.arange(-1100, 1101)
out = {}
# (32, 72) has a distance (24) whose bucket only float32 arithmetic gets right.
configs = [(nb, md) for nb in [8, 16, 32, 64] for md in range(nb // 4 + 1, 300, 11)] + [(32, 72)]
for nb, md in configs:
    out[f"{nb},{md}"] = MPNetEncoder.relative_position_bucket(r, num_buckets=nb, max_distance=md).tolist()
print(json.dumps(out))
