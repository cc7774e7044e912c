"""Test-time augmentation: label-preserving views of a cadence batch (B, 6, T, F), made on the device.

Every view keeps ON scans in ON slots and OFF scans in OFF slots, so a needle stays ON-only (the label
is kept). Whether a view also keeps a drifting needle's straight track over the cadence's global time
(what a real cadence looks like) depends on its parts:

    frequency flip       keeps it (the drift changes sign)
    time reversal        keeps it for ON-only and OFF-only lines (common.seti.augment.reverse_time)
    scan order           the identity keeps it; a cyclic order of the ON scans breaks it (the ON segments
                         jump by up to four scans' drift), a cyclic order of the OFF scans alone leaves ON
                         tracks straight but breaks OFF ones

The default views (`tta=0`) are those the experiment trained on: the frequency flip only if it trained
with `flip_freq`, the time reversal only with `flip_time`, the other scan orders only with
`shuffle_cons`. `tta=N` (or `evaluate.py --tta N`) takes the first N of VIEWS instead.
"""
from typing import NamedTuple

import torch

from common.seti.augment import flip_freq, permute_scans, reverse_time

IDENTITY = (0, 1, 2)
CYCLIC = (1, 2, 0)
# (on_order, off_order), most different from the identity first so that 8 views already differ in order
SCAN_ORDERS = ((IDENTITY, IDENTITY), (CYCLIC, CYCLIC), (CYCLIC, IDENTITY), (IDENTITY, CYCLIC))
VIEW_COUNTS = (1, 2, 4, 8, 16)


class View(NamedTuple):
    freq_flip: bool
    time_reverse: bool
    on_order: tuple[int, int, int]
    off_order: tuple[int, int, int]

    def __str__(self) -> str:
        parts = [name for name, on in (("freq flip", self.freq_flip), ("time reversal", self.time_reverse)) if on]
        if (self.on_order, self.off_order) != (IDENTITY, IDENTITY):
            parts.append(f"ON order {''.join(map(str, self.on_order))} OFF order {''.join(map(str, self.off_order))}")
        return " + ".join(parts) or "identity"


# view i: bit 0 = frequency flip, bit 1 = time reversal, bits 2-3 = scan order; the first n are as diverse as
# n allows (1: identity, 2: + frequency flip, 4: both flips, 8: x two scan orders, 16: all)
VIEWS = tuple(View(bool(i & 1), bool(i & 2), *SCAN_ORDERS[i >> 2]) for i in range(16))


def tta_views(n: int) -> list[View]:
    """The first n of VIEWS; n is 1, 2, 4, 8 or 16."""
    if n not in VIEW_COUNTS:
        raise ValueError(f"tta={n!r} is not one of {', '.join(map(str, VIEW_COUNTS))}")
    return list(VIEWS[:n])


def trained_views(cfg) -> list[View]:
    """The views consistent with cfg's training augmentations (identity first)."""
    return [v for v in VIEWS if (cfg.flip_freq > 0 or not v.freq_flip) and (cfg.flip_time > 0 or not v.time_reverse)
            and (cfg.shuffle_cons > 0 or (v.on_order, v.off_order) == (IDENTITY, IDENTITY))]


def apply_view(x: torch.Tensor, view: View) -> torch.Tensor:
    """View `view` of a cadence (batch) x (..., 6, T, F)."""
    if view.freq_flip:
        x = flip_freq(x)
    if view.time_reverse:
        x = reverse_time(x)
    return permute_scans(x, view.on_order, view.off_order)
