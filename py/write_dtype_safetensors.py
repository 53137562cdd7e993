"""Writes F16/BF16/F32/I64 tensors with the safetensors library and their float32 values as JSON."""
import json, sys
import torch
from safetensors.torch import save_file

torch.manual_seed(0)
base = torch.randn(3, 5) * 10
t = {"f32": base, "f16": base.half(), "bf16": base.bfloat16(), "i64": torch.arange(6, dtype=torch.int64).reshape(2, 3)}
save_file(t, sys.argv[1])
json.dump({k: v.float().tolist() for k, v in t.items()}, open(sys.argv[2], "w"))
