"""Test-time augmentation: label-preserving views of a cadence batch (B, 6, T, F), made on the device.

Every view keeps ON scans in ON slots and OFF scans in OFF slots, so a needle stays ON-only.
"""
from typing import NamedTuple

import torch

from common.seti.augment import flip_freq, flip_time, permute_scans

IDENTITY = (0, 1, 2)
CYCLIC = (1, 2, 0)
# (on_order, off_order), most different from the identity first so that 8 views already differ in order
SCAN_ORDERS = ((IDENTITY, IDENTITY), (CYCLIC, CYCLIC), (CYCLIC, IDENTITY), (IDENTITY, CYCLIC))
VIEW_COUNTS = (1, 2, 4, 8, 16)


class View(NamedTuple):
    freq_flip: bool
    time_flip: bool
    on_order: tuple[int, int, int]
    off_order: tuple[int, int, int]


# view i: bit 0 = frequency flip, bit 1 = time flip, bits 2-3 = scan order; the first n are as diverse as
# n allows (1: identity, 2: + frequency flip, 4: all flips, 8: x two scan orders, 16: all)
VIEWS = tuple(View(bool(i & 1), bool(i & 2), *SCAN_ORDERS[i >> 2]) for i in range(16))


def tta_views(n: int) -> list[View]:
    """The first n of VIEWS; n is 1, 2, 4, 8 or 16."""
    if n not in VIEW_COUNTS:
        raise ValueError(f"tta={n!r} is not one of {', '.join(map(str, VIEW_COUNTS))}")
    return list(VIEWS[:n])


def apply_view(x: torch.Tensor, view: View) -> torch.Tensor:
    """View `view` of a cadence (batch) x (..., 6, T, F)."""
    if view.freq_flip:
        x = flip_freq(x)
    if view.time_flip:
        x = flip_time(x)
    return permute_scans(x, view.on_order, view.off_order)
