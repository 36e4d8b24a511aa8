"""The torch backend of `simulations.pruned_two_layer` (the optional extra [torch]; imported only here).

`torch_ops(device)` returns the `Ops` that run the NumPy module's arithmetic on torch tensors in float64 with
TF32 off, so the batched training of P1–P4 runs unchanged on a GPU. Given the same initial weights, masks
and data (NumPy arrays, converted here), both backends perform the same float64 operations; they differ
only by the order of summation inside the matrix products.

Device: "auto" (CUDA when available, else the CPU), "cpu", "cuda" or "cuda:i".
"""

from __future__ import annotations

import re

import numpy as np
import torch

from simulations.pruned_two_layer import Ops


def resolve_device(device: str = "auto") -> torch.device:
    """The torch device named by `device`; ValueError when it is malformed or absent on this machine."""
    if not isinstance(device, str) or not re.fullmatch(r"auto|cpu|cuda(:\d+)?", device):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:i', got {device!r}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda"):
        index = int(device.partition(":")[2] or 0)
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r} is not available on this machine "
                             f"({torch.cuda.device_count()} CUDA devices)")
    return torch.device(device)


def torch_ops(device: str = "auto") -> Ops:
    """float64 torch arithmetic on `device`, TF32 matrix products off (verification precision)."""
    target = resolve_device(device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False

    def asarray(values):
        return torch.as_tensor(np.asarray(values, dtype=np.float64), device=target)

    return Ops(asarray=asarray, to_numpy=lambda tensor: tensor.detach().cpu().numpy(),
               expit=torch.special.expit, softplus=lambda x: torch.logaddexp(x, torch.zeros_like(x)),
               concat=lambda arrays, axis: torch.cat(arrays, dim=axis), contiguous=lambda x: x.contiguous(), step=lambda z: (z > 0).to(z.dtype))
