"""Data-parallel training over processes (``torchrun --nproc_per_node K``; gloo on CPU, nccl on GPU).

Gradients are averaged with one coalesced all-reduce per optimiser step and BatchNorm/spectral-norm
buffers are broadcast from rank 0 after each step — the same arithmetic as
``DistributedDataParallel(broadcast_buffers=True)``. The explicit form is used instead of the DDP
wrapper because GAN recipes call a discriminator several times per step with its parameters frozen
for the generator update and phases switch networks on and off (GLCIC trains D alone, then jointly;
PConv freezes encoder BatchNorm for fine-tuning), which the DDP reducer's fixed hook set does not
allow without ``find_unused_parameters`` and re-wrapping.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import torch
import torch.distributed as dist
from torch import nn

from training.errors import TrainingError


def init_from_env(device: str = "cpu") -> tuple[int, int]:
    """(rank, world size); initialises the process group when launched by torchrun: NCCL when the
    run trains on GPUs (``device`` cuda…), gloo on CPU."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if device.startswith("cuda") and os.environ.get("INPAINT_BACKEND") != "gloo" else "gloo"
        dist.init_process_group(backend=backend)
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def process_device(device: str) -> torch.device:
    """The torch device this process trains on: ``device`` ("cpu", "cuda", "cuda:N"); plain "cuda"
    under torchrun is the process's own GPU (LOCAL_RANK), so K processes use K GPUs. A clear error
    when torch sees no GPU."""
    if device == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise TrainingError(f"--device {device}: torch sees no CUDA GPU on this machine (use --device cpu)")
    if device == "cuda" and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    dev = torch.device(device)
    if dev.index is not None:
        torch.cuda.set_device(dev)  # NCCL and new tensors without a device go to this GPU
    return dev


def module_device(module: nn.Module) -> torch.device:
    """The device ``module``'s parameters are on (the CPU for a module without any)."""
    param = next(module.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def average_gradients(params: Iterable[nn.Parameter]) -> None:
    """All-reduce (mean) the gradients of ``params`` that have one, as a single flat buffer."""
    if not is_distributed():
        return
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= dist.get_world_size()
    offset = 0
    for g in grads:
        n = g.numel()
        g.copy_(flat[offset : offset + n].view_as(g))
        offset += n


def broadcast_module(module: nn.Module, params: bool = True) -> None:
    """Copy rank 0's buffers (and parameters when ``params``) to every rank."""
    if not is_distributed():
        return
    with torch.no_grad():
        tensors = list(module.buffers()) + (list(module.parameters()) if params else [])
        for t in tensors:
            data = t.data
            if data.is_contiguous():
                dist.broadcast(data, src=0)
            else:  # channels_last weights: collectives need a dense buffer
                buf = data.contiguous()
                dist.broadcast(buf, src=0)
                data.copy_(buf)


def gather_objects(obj: object) -> list[object]:
    """Every rank's ``obj`` (list indexed by rank); [obj] when not distributed."""
    if not is_distributed():
        return [obj]
    out: list[object] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def cleanup() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
