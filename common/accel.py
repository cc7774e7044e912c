"""The Accelerator every script uses: one CPU, one GPU, many GPUs, machines or a TPU by launch config."""
import os
from datetime import timedelta
from pathlib import Path

import torch
from accelerate import Accelerator, PartialState
from accelerate.utils import InitProcessGroupKwargs

# Without an accelerator, processes started by `accelerate launch --multi_gpu --num_processes N` (torchrun)
# must be told they run on the CPU to form a gloo process group (accelerate's --cpu alone needs MPI for N > 1).
CPU_ONLY = not torch.accelerator.is_available()
# How long a process waits in a collective (a barrier, a broadcast) for the others: long enough for the main
# process's preprocessing while the others wait (G2Net's whitening spectrum is a pass over ~280,000 files
# on the real data), instead of NCCL's 10 minutes.
PROCESS_GROUP_TIMEOUT = timedelta(hours=3)


def process_state() -> PartialState:
    """The process group, formed with PROCESS_GROUP_TIMEOUT (the Accelerators made later share it)."""
    return PartialState(cpu=CPU_ONLY, **InitProcessGroupKwargs(timeout=PROCESS_GROUP_TIMEOUT).to_kwargs())


def make_accelerator(cfg, log: bool = False) -> Accelerator:
    """Accelerator for cfg: fp16 falls back to fp32 without a GPU; wandb (when log and cfg.wandb)
    runs offline unless the user is logged in, so it never prompts; the process group (when this forms it)
    with PROCESS_GROUP_TIMEOUT."""
    mixed = cfg.mixed_precision
    if mixed == "fp16" and not torch.cuda.is_available():
        mixed = "no"
    trackers = None
    if log and cfg.wandb:
        netrc = Path.home() / ".netrc"
        logged_in = os.environ.get("WANDB_API_KEY") or (netrc.is_file() and "api.wandb.ai" in netrc.read_text())
        os.environ.setdefault("WANDB_MODE", "online" if logged_in else "offline")
        os.environ.setdefault("WANDB_SILENT", "true")
        trackers = "wandb"
    return Accelerator(cpu=CPU_ONLY, mixed_precision=mixed, gradient_accumulation_steps=cfg.grad_accum,
                       log_with=trackers, kwargs_handlers=[InitProcessGroupKwargs(timeout=PROCESS_GROUP_TIMEOUT)])
