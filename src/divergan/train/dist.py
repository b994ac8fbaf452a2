r"""Data parallelism over processes (``torchrun``): DistributedDataParallel with one global batch.

Design: every rank builds the same networks from the same seed and draws the **global** batch of B
samples (and B noise vectors) from the same ``torch.Generator``, then keeps its own contiguous slice
of B/W rows (:func:`local`). So the W ranks see exactly the two (or W) halves of what a single process
draws, all ranks keep identical RNG states, and a checkpoint does not depend on W: a run resumes under
any world size. DDP averages the gradients of the ranks' losses; every loss of divergan that is a batch
mean (all critic and generator losses except the MMD ones) then has the gradient of the global batch
mean, as in one process. The gradient penalty is computed by every rank on the global batch (its ε
come from the shared global RNG), so it too equals the single-process penalty, at the cost of
computing it W times. MMD losses (``mmd``, ``mmd-gan``) are U-statistics of the local batch: under
W > 1 they are unbiased estimates of the same quantity but not equal to the single-process value.

Only rank 0 writes the run folder. Backends: gloo on CPU, nccl on CUDA (one GPU per local rank).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import torch
import torch.distributed as td
from torch import Tensor, nn

from divergan.errors import UserError

T = TypeVar("T")


def world_size() -> int:
    return td.get_world_size() if td.is_available() and td.is_initialized() else 1


def rank() -> int:
    return td.get_rank() if td.is_available() and td.is_initialized() else 0


def is_main() -> bool:
    return rank() == 0


def launched() -> bool:
    """True inside ``torchrun`` with more than one process (WORLD_SIZE > 1 in the environment)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(device: str = "auto") -> None:
    """Join the process group torchrun describes (gloo on CPU, nccl for CUDA); no-op for one process."""
    if not launched() or td.is_initialized():
        return
    use_cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    if use_cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    td.init_process_group(backend="nccl" if use_cuda else "gloo")


def device_for(device: torch.device) -> torch.device:
    """Under torchrun each rank takes the CUDA device of its LOCAL_RANK."""
    if device.type == "cuda" and launched():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device


def check_batch(batch: int) -> None:
    if batch % world_size():
        raise UserError(f"batch {batch} must be divisible by the number of processes ({world_size()})")


def local(x: Tensor | None) -> Tensor | None:
    """This rank's contiguous slice (B/W, ...) of a global batch (B, ...); None stays None (no labels)."""
    w = world_size()
    if w == 1 or x is None:
        return x
    b = x.shape[0] // w
    return x[rank() * b : (rank() + 1) * b]


def wrap(module: nn.Module | None, device: torch.device) -> Any:
    """DDP around ``module`` when there is more than one process; else the module itself."""
    if module is None or world_size() == 1:
        return module
    ids = [device.index] if device.type == "cuda" else None
    # buffers (fixed Fourier frequencies) are equal on every rank by seeding: no syncing needed
    return nn.parallel.DistributedDataParallel(module, device_ids=ids, forward_sync_buffers=False)


def unwrap(module: Any) -> Any:
    return module.module if isinstance(module, nn.parallel.DistributedDataParallel) else module


# Collectives' Work objects (with the tensors they hold), kept until the process group is gone.
# Why: a gloo worker thread drops its reference to a finished Work a moment after ``wait()`` returns;
# if that is the last reference to a tensor made in Python, freeing it needs the GIL. Were the main
# thread by then destroying the process group (it joins the worker threads while holding the GIL),
# the two would wait for each other for ever. This was seen: 2 hangs in ~80 two-process runs on a
# loaded machine, main thread in ~ProcessGroupGloo, worker in ~AsyncWork waiting for the GIL. Held
# here, the worker's reference is never the last, and the main thread frees them in :func:`release`.
_works: list[Any] = []


def _wait(work: Any, *tensors: Tensor) -> None:
    work.wait()
    _works.append((work, tensors))


def release() -> None:
    """Forget the kept collectives (after the process group and the DDP wrappers are gone)."""
    _works.clear()


def mean(value: float) -> float:
    """The mean of a number over the ranks (for logging the global loss)."""
    if world_size() == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64)
    if td.get_backend() == "nccl":
        t = t.cuda()
    _wait(td.all_reduce(t, async_op=True), t)
    return float(t) / world_size()


def barrier() -> None:
    if world_size() > 1:
        _wait(td.barrier(async_op=True))


def on_main(fn: Callable[[], T]) -> T:
    """Run ``fn`` on rank 0 and give every rank its result; a UserError there is raised on every rank."""
    if world_size() == 1:
        return fn()
    box: list[Any] = [None]
    if is_main():
        try:
            box[0] = ("ok", fn())
        except UserError as exc:
            box[0] = ("error", str(exc))
    td.broadcast_object_list(box, src=0)
    status, value = box[0]
    if status == "error":
        raise UserError(value)
    return value


def teardown(sync: bool = False) -> None:
    """Leave the process group. ``sync`` (the normal end of training, reached by every rank): a barrier
    first, so no rank destroys the group while another still uses it; error and signal paths skip it."""
    if td.is_available() and td.is_initialized():
        if sync:
            barrier()
        td.destroy_process_group()
