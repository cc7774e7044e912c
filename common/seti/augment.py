"""Training augmentations of cadence batches on the device: the cadence ops, their per-sample choices, and
batch mixing. Only the albumentations steps (`build_image_transform`, cv2) run in the loader workers, before
these.

A cadence is a tensor (..., 6, T, F) = (scan, time, frequency) in ABACAD order: ON scans at 0, 2, 4,
OFF scans at 1, 3, 5. A needle (target 1) is a drifting narrowband line in the ON scans only; scan s
covers the global times s * T ... (s + 1) * T - 1, so a drifting needle is one straight track over the
global time of the ON scans.

What each op preserves (checked in tests/seti/test_augment.py and test_tta.py):

    op              label                   a drifting line's straight track
    flip_freq       kept                    kept (drift sign flips)
    reverse_time    kept                    kept for ON-only and OFF-only lines (drift sign flips);
                                            an all-scan drifting RFI line gets an offset of 2 * T * drift
                                            between its ON and OFF parts (still in all six scans)
    permute_scans   kept (ON stays ON)      broken unless the order is the identity or the drift is 0:
                                            the ON segments jump by up to 4 scans of drift (the log's
                                            shuffle_cons; a synthetic needle drifts up to 35 channels/scan)
    swap_on_off     positive -> negative    kept for ON-only lines (they move to the OFF slots and shift
                    (applied to target 1    by one scan in time); applied to a negative it could make an
                    only)                   ON-only signal, so apply_choices never does that
    draw_line       -> 1                    the drawn line is straight over the ON scans' global time
    add_noise       kept                    kept

`augment_cadences` applies them to a batch (B, 6, T, F) in that order (config keys flip_freq, flip_time,
shuffle_cons, shuffle_inv, line_aug, noise_aug), each sample drawing each op with the key's probability:
`draw_choices` draws the per-sample masks and scan orders, `apply_choices` applies them with torch.where and
a per-sample scan gather, on x's device. The albumentations steps ran before, in the workers: a drawn line is
not blurred or masked by them, and added noise also covers masked areas.
"""
from typing import NamedTuple

import albumentations as A
import torch

from common.seti.cadence import OFF_SCANS, ON_SCANS


def flip_freq(x: torch.Tensor) -> torch.Tensor:
    """Mirror the frequency axis."""
    return x.flip(-1)


# the time reversal's scan order: ON slots get ON scans 4, 2, 0 and OFF slots OFF scans 5, 3, 1
TIME_REVERSED_SCANS = (4, 5, 2, 3, 0, 1)


def reverse_time(x: torch.Tensor) -> torch.Tensor:
    """The cadence played backwards with ON scans kept in ON slots: time reversed within each scan and the
    order of the ON scans (and of the OFF scans) reversed. A line f(t) drawn over the ON scans' global time
    becomes f(5T - 1 - t), still straight; the config key `flip_time` applies this.

    (Reversing the whole cadence, t -> 6T - 1 - t, would put the ON scans in the OFF slots; reversing time
    within each scan alone breaks a drifting track into a zigzag of up to one scan's drift per scan.)
    """
    return x[..., TIME_REVERSED_SCANS, :, :].flip(-2)


def permute_scans(x: torch.Tensor, on_order, off_order) -> torch.Tensor:
    """Reorder ON scans among themselves and OFF scans among themselves.

    New ON scan i is old ON scan on_order[i] (orders are permutations of 0, 1, 2); likewise for OFF.
    """
    index = [0] * 6
    for slots, order in ((ON_SCANS, on_order), (OFF_SCANS, off_order)):
        order = [int(i) for i in order]
        if sorted(order) != [0, 1, 2]:
            raise ValueError(f"scan order {order} is not a permutation of (0, 1, 2)")
        for slot, source in zip(slots, order):
            index[slot] = slots[source]
    return x[..., index, :, :]


def permute_scans_per_sample(x: torch.Tensor, on_order: torch.Tensor, off_order: torch.Tensor) -> torch.Tensor:
    """permute_scans with each sample's own orders: x (B, 6, T, F), on_order and off_order (B, 3) permutations
    of 0, 1, 2 on x's device (not checked). One gather, no host round trip."""
    # ABACAD: ON scan j is scan 2j, OFF scan j is scan 2j + 1; slots alternate ON, OFF
    index = torch.stack([2 * on_order, 2 * off_order + 1], dim=-1).flatten(1)  # (B, 6) source scan per slot
    return x[torch.arange(x.shape[0], device=x.device)[:, None], index]


def swap_on_off(x: torch.Tensor) -> torch.Tensor:
    """Exchange each ON scan with the OFF scan that follows it (a needle becomes OFF-only)."""
    return x[..., [1, 0, 3, 2, 5, 4], :, :]


def _chance(p: float) -> bool:
    """True with probability p (torch's global RNG)."""
    return p > 0 and torch.rand(()).item() < p


def _rand(shape, generator, device) -> torch.Tensor:
    """Uniform [0, 1) float32 numbers of `shape` from `generator` (or torch's global RNG), on `device`."""
    gen_device = generator.device if generator is not None else device
    return torch.rand(shape, generator=generator, device=gen_device).to(device)


def _per_cadence(bounds, generator, x: torch.Tensor) -> torch.Tensor:
    """One uniform draw from the range `bounds` per cadence of x, shaped to broadcast against x."""
    low, high = bounds
    return low + (high - low) * _rand(x.shape[:-3] + (1, 1, 1), generator, x.device).to(x)


def _sample_std(x: torch.Tensor) -> torch.Tensor:
    """Standard deviation of each cadence, shaped to broadcast against x."""
    return x.std(dim=(-3, -2, -1), keepdim=True)


def draw_line(x: torch.Tensor, generator=None, snr=(1.0, 4.0), drift=(-1.0, 1.0),
              width=(0.5, 2.0)) -> torch.Tensor:
    """Add a drifting narrowband line to the ON scans of each cadence.

    The line's frequency moves linearly along the cadence's global time axis (row t of scan s sits at
    s * T + t), by `drift` times the band width over the whole cadence, and stays inside the band. Its
    profile across frequency is a Gaussian with std `width` bins and peak `snr` times the cadence's
    standard deviation. Each bound pair is a uniform range drawn per cadence.
    """
    scans, t_len, f_len = x.shape[-3:]
    total = _per_cadence(drift, generator, x) * (f_len - 1)
    start = (-total).clamp(min=0) + _per_cadence((0.0, 1.0), generator, x) * (f_len - 1 - total.abs())
    rows = torch.arange(scans * t_len, device=x.device, dtype=x.dtype).view(scans, t_len, 1)
    on_rows = rows[list(ON_SCANS)] / (scans * t_len - 1)
    centre = start + total * on_rows
    freqs = torch.arange(f_len, device=x.device, dtype=x.dtype)
    line = torch.exp(-0.5 * ((freqs - centre) / _per_cadence(width, generator, x)) ** 2)
    out = x.clone()
    out[..., list(ON_SCANS), :, :] += _per_cadence(snr, generator, x) * _sample_std(x) * line
    return out


def add_noise(x: torch.Tensor, generator=None, scale=(0.1, 0.5)) -> torch.Tensor:
    """Add chi-square-like noise (a standardised exponential, i.e. chi-square with 2 degrees of freedom,
    as in power spectra) with std `scale` (a uniform range drawn per cadence) times the cadence's std."""
    sigma = _per_cadence(scale, generator, x) * _sample_std(x)
    noise = -torch.log1p(-_rand(x.shape, generator, x.device).to(x)) - 1.0
    return x + sigma * noise


AUG_KEYS = ("flip_freq", "flip_time", "shuffle_cons", "shuffle_inv", "line_aug", "noise_aug")  # in order


class CadenceChoices(NamedTuple):
    """The cadence augmentations each sample of a batch gets: (B,) boolean masks (None: no sample, the op's
    probability is 0, and the batch is not touched) and each sample's scan orders for shuffle_cons, (B, 3)
    permutations of 0, 1, 2 (permute_scans's on_order and off_order; None without shuffle_cons).

    shuffle_inv is drawn for every sample but applied to hard positives (target exactly 1) only: their swap is
    an OFF-only signal, a true negative; a negative's swap can be an ON-only signal (an OFF-only negative), and
    a soft target's cannot be told, so those pass unchanged.
    """
    flip_freq: torch.Tensor | None
    flip_time: torch.Tensor | None
    shuffle_cons: torch.Tensor | None
    shuffle_inv: torch.Tensor | None
    line_aug: torch.Tensor | None
    noise_aug: torch.Tensor | None
    on_order: torch.Tensor | None = None
    off_order: torch.Tensor | None = None


def draw_choices(cfg, batch: int, device, generator=None) -> CadenceChoices:
    """Each of `batch` samples draws each op of AUG_KEYS with cfg's probability, and for shuffle_cons an ON
    and an OFF scan order (independent, uniform over the 6 permutations); random numbers from `generator` (any
    device) or torch's global RNG, results on `device`. Nothing is drawn when every probability is 0."""
    probs = [getattr(cfg, key) for key in AUG_KEYS]
    if not any(p > 0 for p in probs):
        return CadenceChoices(*[None] * len(AUG_KEYS))
    u = _rand((len(AUG_KEYS), batch), generator, device)
    masks = [u[i] < p if p > 0 else None for i, p in enumerate(probs)]
    orders = _rand((2, batch, 3), generator, device).argsort(dim=-1) if cfg.shuffle_cons > 0 else (None, None)
    return CadenceChoices(*masks, *orders)


def _where(mask, op, x: torch.Tensor) -> torch.Tensor:
    """op(x) for the samples of x where mask, x elsewhere; x itself when mask is None."""
    return x if mask is None else torch.where(mask.view(-1, 1, 1, 1), op(x), x)


def _on_chosen(mask, op, x: torch.Tensor) -> torch.Tensor:
    """op applied to the samples of x where mask only (its random draws are theirs), x elsewhere; x itself when
    mask is None or no sample is chosen. Finding them reads the mask's count on the host, one sync per op and
    batch on a GPU, and saves drawing lines or noise for the other samples (5x less work at line_aug=0.25)."""
    index = None if mask is None else mask.nonzero().squeeze(1)
    return x if index is None or index.numel() == 0 else x.index_copy(0, index, op(x[index]))


def apply_choices(x: torch.Tensor, y: torch.Tensor, c: CadenceChoices, generator=None,
                  line_snr=(1.0, 4.0)) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply choices c to a cadence batch x (B, 6, T, F) with targets y (B,), in AUG_KEYS's order, on x's
    device: shuffle_inv sets swapped targets (exactly 1) to 0, line_aug sets targets to 1 (its lines' peaks
    drawn from `line_snr`, see draw_line). draw_line and add_noise run on the chosen samples only, drawing
    from `generator` or torch's global RNG."""
    x = _where(c.flip_freq, flip_freq, x)
    x = _where(c.flip_time, reverse_time, x)
    x = _where(c.shuffle_cons, lambda v: permute_scans_per_sample(v, c.on_order, c.off_order), x)
    if c.shuffle_inv is not None:
        swap = c.shuffle_inv & (y == 1.0)  # a swapped negative may be an ON-only signal
        x, y = _where(swap, swap_on_off, x), torch.where(swap, 0.0, y)
    if c.line_aug is not None:
        x = _on_chosen(c.line_aug, lambda v: draw_line(v, generator, line_snr), x)
        y = torch.where(c.line_aug, 1.0, y)
    x = _on_chosen(c.noise_aug, lambda v: add_noise(v, generator), x)
    return x, y


def augment_cadences(cfg, x: torch.Tensor, y: torch.Tensor, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
    """cfg's cadence augmentations of a batch x (B, 6, T, F), y (B,), per sample, on x's device."""
    choices = draw_choices(cfg, x.shape[0], x.device, generator)
    return apply_choices(x, y, choices, generator, (cfg.line_snr_min, cfg.line_snr_max))


def build_image_transform(cfg):
    """Albumentations pipeline for the HWC float32 layout image (H = time, W = frequency), or None.

    Works on float32 images of any range and channel count (checked for 1 to 6 channels with
    albumentations 2.0.8, which splits cv2 calls on more than 4 channels into chunks). XYMasking
    masks up to 16 rows and 16 columns, so it needs images at least 16 pixels on each side.
    """
    steps = [
        # no rotation: it turns each scan about its own centre, so a drifting track jumps between scans by
        # about T * sin(angle) channels (47 at 10 degrees); a shift moves every scan alike and keeps it straight
        A.Affine(scale=(0.9, 1.1), translate_percent=(-0.0625, 0.0625), rotate=0, p=cfg.shift_scale_rotate),
        A.MotionBlur(blur_limit=(3, 7), p=cfg.motion_blur),
        A.OneOf([A.OpticalDistortion(distort_limit=0.1),
                 A.GridDistortion(distort_limit=0.2),
                 A.ElasticTransform(alpha=20, sigma=5)], p=cfg.distort),
        A.XYMasking(num_masks_x=(1, 2), num_masks_y=(1, 2), mask_x_length=(4, 16),
                    mask_y_length=(4, 16), p=cfg.spec_augment),
    ]
    steps = [step for step in steps if step.p > 0]
    return A.Compose(steps) if steps else None


def _or_labels(y: torch.Tensor, y_partner: torch.Tensor) -> torch.Tensor:
    """A mix holds a needle when either part does: y1 + y2 - y1 * y2 (soft labels too)."""
    return y + y_partner - y * y_partner


def _visible(weight: float) -> float:
    """How much of a needle's label survives when it is blended in with `weight`: all of it from weight 0.5
    on (it is at least as bright as the other part), in proportion below (a faint needle, a soft label)."""
    return min(1.0, 2.0 * weight)


def mixup_labels(y: torch.Tensor, y_partner: torch.Tensor, lam: float) -> torch.Tensor:
    """Label of lam * x + (1 - lam) * partner: the OR rule on labels scaled by how visible each part is."""
    return _or_labels(y * _visible(lam), y_partner * _visible(1.0 - lam))


def cutmix_labels(y: torch.Tensor, y_partner: torch.Tensor, kept: float) -> torch.Tensor:
    """Label of a cadence keeping a fraction `kept` of its frequency channels and the partner's in the rest.

    Where a needle sits is not known without metadata; a needle is narrow against the band and equally
    likely anywhere, so the sample's own needle survives with probability `kept` and the partner's is
    pasted in with 1 - kept: the OR rule on those probabilities (an area-weighted soft label).
    """
    return _or_labels(y * kept, y_partner * (1.0 - kept))


def _mixup(x: torch.Tensor, partner: torch.Tensor, lam: float) -> tuple[torch.Tensor, float]:
    """Blend lam of x with 1 - lam of `partner`; returns the mix and the weight of x."""
    return lam * x + (1.0 - lam) * partner, lam


def _cutmix(x: torch.Tensor, partner: torch.Tensor, lam: float) -> tuple[torch.Tensor, float]:
    """Paste a band of about 1 - lam of the frequency channels (the last axis) from `partner` into a copy of x,
    across every scan and time (so all-scan RFI stays in all scans, a needle stays ON-only); returns the
    mix and the fraction of x's channels kept."""
    width = x.shape[-1]
    band = int(round((1.0 - lam) * width))
    left = int(torch.randint(0, width - band + 1, ()).item())
    out = x.clone()
    out[..., left:left + band] = partner[..., left:left + band]
    return out, 1.0 - band / width


def mix_batch(x: torch.Tensor, y: torch.Tensor, cfg, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mixup and CutMix of a cadence batch x (B, 6, T, F), y (B,), labels following what the mix holds.

    Each is applied with its own probability (cfg.mixup, cfg.cutmix; both may hit one batch), the
    partner of each sample a random permutation of the batch, lam ~ Beta(mixup_alpha, mixup_alpha).
    Mixup labels: `mixup_labels` (a needle blended in below weight 0.5 counts in proportion); CutMix pastes
    a frequency band spanning all scans and times, labels `cutmix_labels` (area-weighted OR rule).
    Both are off from epoch (1 - mix_off_frac) * epochs on (epochs counted from 0).
    """
    if epoch >= (1 - cfg.mix_off_frac) * cfg.epochs:
        return x, y
    for prob, mix, labels in ((cfg.mixup, _mixup, mixup_labels), (cfg.cutmix, _cutmix, cutmix_labels)):
        if _chance(prob):
            perm = torch.randperm(x.shape[0], device=x.device)
            lam = torch.distributions.Beta(cfg.mixup_alpha, cfg.mixup_alpha).sample().item()
            x, kept = mix(x, x[perm], lam)
            y = labels(y, y[perm], kept)
    return x, y
