"""Samplers that stay correct under DDP: one shared index stream, each drawn index to one process."""
import math

import numpy as np
import torch
from sklearn.utils.class_weight import compute_sample_weight
from torch.utils.data import Sampler


def balanced_weights(targets) -> torch.Tensor:
    """Per-sample weights that give both classes (targets rounded) the same total weight (sklearn's
    "balanced": n / (classes * count of the sample's class))."""
    labels = np.asarray(targets).round().astype(int)
    return torch.as_tensor(compute_sample_weight("balanced", labels), dtype=torch.double)


class DistributedSampler(Sampler):
    """Draws `num_samples` indices per epoch (weighted with replacement, or a shuffle when weights is
    None) from a generator seeded by (seed, epoch) that every process shares, then gives process
    `rank` the indices rank, rank + world, ...: every drawn sample of an epoch goes to exactly one
    process, and the union over processes does not depend on the number of processes."""

    def __init__(self, n: int, weights: torch.Tensor | None = None, num_replicas: int = 1, rank: int = 0,
                 seed: int = 0):
        self.n, self.weights, self.num_replicas, self.rank, self.seed = n, weights, num_replicas, rank, seed
        self.total = math.ceil(n / num_replicas) * num_replicas
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def draw(self) -> torch.Tensor:
        """The epoch's global index stream (the same on every process)."""
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        if self.weights is not None:
            return torch.multinomial(self.weights, self.total, replacement=True, generator=g)
        perm = torch.randperm(self.n, generator=g)
        return torch.cat([perm, perm[: self.total - self.n]])

    def __iter__(self):
        return iter(self.draw()[self.rank :: self.num_replicas].tolist())

    def __len__(self):
        return self.total // self.num_replicas
