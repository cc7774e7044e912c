"""The Accelerator every script uses: one CPU, one GPU, many GPUs, machines or a TPU by launch config."""
import os
from pathlib import Path

import torch
from accelerate import Accelerator, PartialState

# Without an accelerator, processes started by `accelerate launch --multi_gpu --num_processes N` (torchrun)
# must be told they run on the CPU to form a gloo process group (accelerate's --cpu alone needs MPI for N > 1).
CPU_ONLY = not torch.accelerator.is_available()


def process_state() -> PartialState:
    return PartialState(cpu=CPU_ONLY)


def make_accelerator(cfg, log: bool = False) -> Accelerator:
    """Accelerator for cfg: fp16 falls back to fp32 without a GPU; wandb (when log and cfg.wandb)
    runs offline unless the user is logged in, so it never prompts."""
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
                       log_with=trackers)
