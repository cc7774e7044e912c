"""Batch augmentations and test-time views of the strain batch (B, 3, 4096) = (sample, detector H1/L1/V1,
time), x1e20 and not yet whitened, on the device. All keep the label: a merger stays a merger.

- swap_ligo: exchange H1 and L1 (the two LIGO detectors have nearly opposite orientation; the swapped
  sample looks like a wave from another sky position). V1 stays. The swap happens AFTER whitening, in the
  front end: each detector is whitened by its own spectrum, then the rows are exchanged. Their noise
  differs (on the real data and the synthetic set), so a swap of the raw strain would whiten L1's data by
  H1's spectrum. augment_batch and apply_view therefore leave the strain as it is and return a
  StrainBatch that says which samples the front end swaps.
- flip_sign: x -> -x (a polarisation/phase change of the wave); commutes with the (linear) whitening.
- time_shift: move every detector of a sample by the same number of samples (inter-detector delays kept).
"""
from typing import NamedTuple

import torch

from common.g2net.config import VIEW_COUNTS  # per front end: a CQT image has no sign-flip views

N_SAMPLES = 4096
# Default shift range, +-100 samples = +-49 ms: mergers sit at 1.5-1.9 s of the 2 s window, so a shifted
# one stays at 1.45-1.95 s, inside the window with its ringdown (which lasts a few tens of ms).
MAX_SHIFT = 100


class StrainBatch(NamedTuple):
    """Raw strain (B, 3, T) and the samples (B,) bool whose H1 and L1 the front end exchanges after
    whitening each by its own spectrum (common.g2net.frontend.FrontEnd)."""
    strain: torch.Tensor
    swapped: torch.Tensor


def swap_ligo(x: torch.Tensor) -> torch.Tensor:
    """Exchange channels 0 and 1 (H1, L1) of (..., 3, T); V1 stays. Only on whitened strain (see above)."""
    return x[..., [1, 0, 2], :]


def swap_where(x: torch.Tensor, swapped: torch.Tensor) -> torch.Tensor:
    """x (B, 3, T) with H1 and L1 exchanged in the samples where swapped (B,) is True."""
    return torch.where(swapped.view(-1, *([1] * (x.dim() - 1))), swap_ligo(x), x)


def flip_sign(x: torch.Tensor) -> torch.Tensor:
    """Multiply the strain by -1."""
    return -x


def time_shift(x: torch.Tensor, shift) -> torch.Tensor:
    """Shift each sample of x (B, C, T) later in time by shift[b] samples (negative: earlier), the same
    for all C detectors of a sample, so their relative delays are kept; `shift` is an int or a (B,) tensor
    with |shift| < T (checked for an int or a CPU tensor: on an accelerator the check would wait for the
    device at every batch; augment_batch draws its shifts within max_shift).

    Not a circular roll: raw strain is dominated by low-frequency noise, so its two ends differ by about
    the noise amplitude and a roll would put that jump inside the window, where whitening turns it into
    a broadband click. The samples shifted out are dropped and the vacated end is filled by odd
    reflection about the edge sample (2 x[edge] - mirror; value and slope stay continuous), the same
    extension the whitening applies at the ends.
    """
    b, _, t = x.shape
    shift = torch.as_tensor(shift).long()
    if shift.device.type == "cpu" and shift.numel() and shift.abs().max() >= t:
        raise ValueError(f"time shifts must be smaller than the {t} samples (got up to {shift.abs().max().item()})")
    shift = shift.to(x.device).expand(b)
    src = torch.arange(t, device=x.device) - shift[:, None]  # (B, T) source sample of each output sample
    before, after = src < 0, src > t - 1
    src = torch.where(before, -src, torch.where(after, 2 * (t - 1) - src, src))
    out = x.gather(-1, src[:, None, :].expand_as(x))
    out = torch.where(before[:, None, :], 2 * x[..., :1] - out, out)
    return torch.where(after[:, None, :], 2 * x[..., -1:] - out, out)


def _uniform(shape, generator, device) -> torch.Tensor:
    """Uniform [0, 1) numbers from `generator` (or torch's global RNG), moved to `device`."""
    gen_device = generator.device if generator is not None else device
    return torch.rand(shape, generator=generator, device=gen_device).to(device)


def augment_batch(x: torch.Tensor, y: torch.Tensor, p_swap: float, p_sign: float, p_shift: float,
                  max_shift: int = MAX_SHIFT, generator=None) -> tuple[torch.Tensor | StrainBatch, torch.Tensor]:
    """Each sample of x (B, 3, T) independently: H1/L1 swap with probability p_swap, sign flip with p_sign,
    a time shift uniform in [-max_shift, max_shift] samples with p_shift. Labels y unchanged. Random
    numbers come from `generator` (any device) or torch's global RNG; the work happens on x's device.
    With p_swap > 0 the strain comes back as StrainBatch(strain, swapped): the front end swaps after
    whitening."""
    b = x.shape[0]
    u = _uniform((3, b), generator, x.device)
    if p_sign > 0:
        x = x * torch.where(u[1] < p_sign, -1.0, 1.0).to(x.dtype)[:, None, None]
    if p_shift > 0 and max_shift > 0:
        shift = (_uniform(b, generator, x.device) * (2 * max_shift + 1)).floor().long() - max_shift
        x = time_shift(x, torch.where(u[2] < p_shift, shift, 0))
    return (StrainBatch(x, u[0] < p_swap) if p_swap > 0 else x), y


class View(NamedTuple):
    swap: bool  # H1 <-> L1 (after whitening)
    sign: bool  # x -> -x


# the first n are as diverse as n allows: 1 identity, 2 + swap, 4 all combinations
VIEWS = (View(False, False), View(True, False), View(False, True), View(True, True))


def tta_views(n: int, front_end: str = "wave") -> list[View]:
    """The first n of VIEWS; n is one of VIEW_COUNTS[front_end]."""
    if n not in VIEW_COUNTS[front_end]:
        raise ValueError(f"tta={n!r} is not one of {', '.join(map(str, VIEW_COUNTS[front_end]))} "
                         f"(front_end={front_end})")
    return list(VIEWS[:n])


def apply_view(x: torch.Tensor, view: View) -> torch.Tensor | StrainBatch:
    """View `view` of a strain batch x (B, 3, T); a swap comes back as a StrainBatch (the front end swaps)."""
    if view.sign:
        x = flip_sign(x)
    if view.swap:
        return StrainBatch(x, torch.ones(x.shape[0], dtype=torch.bool, device=x.device))
    return x
