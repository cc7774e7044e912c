"""Training augmentations: cadence ops on tensors, the per-sample transforms and batch mixing.

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
                    only)                   ON-only signal, so CadenceTransform never does that
    draw_line       -> 1                    the drawn line is straight over the ON scans' global time
    add_noise       kept                    kept
"""
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


def swap_on_off(x: torch.Tensor) -> torch.Tensor:
    """Exchange each ON scan with the OFF scan that follows it (a needle becomes OFF-only)."""
    return x[..., [1, 0, 3, 2, 5, 4], :, :]


def _chance(p: float) -> bool:
    """True with probability p (torch's global RNG)."""
    return p > 0 and torch.rand(()).item() < p


def _rand(shape, generator, like: torch.Tensor) -> torch.Tensor:
    """Uniform [0, 1) numbers of `shape` from `generator` (or torch's global RNG), on like's device."""
    device = generator.device if generator is not None else like.device
    return torch.rand(shape, generator=generator, device=device).to(like)


def _per_cadence(bounds, generator, x: torch.Tensor) -> torch.Tensor:
    """One uniform draw from the range `bounds` per cadence of x, shaped to broadcast against x."""
    low, high = bounds
    return low + (high - low) * _rand(x.shape[:-3] + (1, 1, 1), generator, x)


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
    noise = -torch.log1p(-_rand(x.shape, generator, x)) - 1.0
    return x + sigma * noise


class CadenceTransform:
    """Per-sample cadence augmentations, each applied with its config probability (torch's global RNG).

    shuffle_inv is drawn for every sample but applied to hard positives (target 1) only: their swap is an
    OFF-only signal, a true negative; a negative's swap can be an ON-only signal (an OFF-only negative), and
    a soft target's cannot be told, so those pass unchanged.
    """

    KEYS = ("flip_freq", "flip_time", "shuffle_cons", "shuffle_inv", "line_aug", "noise_aug")

    def __init__(self, cfg):
        self.p = {key: getattr(cfg, key) for key in self.KEYS}

    def __call__(self, x: torch.Tensor, y: float) -> tuple[torch.Tensor, float]:
        if _chance(self.p["flip_freq"]):
            x = flip_freq(x)
        if _chance(self.p["flip_time"]):
            x = reverse_time(x)
        if _chance(self.p["shuffle_cons"]):
            x = permute_scans(x, torch.randperm(3).tolist(), torch.randperm(3).tolist())
        if _chance(self.p["shuffle_inv"]) and y == 1.0:  # a swapped negative may be an ON-only signal
            x, y = swap_on_off(x), 0.0
        if _chance(self.p["line_aug"]):
            x, y = draw_line(x), 1.0
        if _chance(self.p["noise_aug"]):
            x = add_noise(x)
        return x, y


def build_cadence_transform(cfg):
    """The `(x (6, T, F), y) -> (x, y)` cadence augmentation of `cfg`, or None when all are off."""
    transform = CadenceTransform(cfg)
    return transform if any(p > 0 for p in transform.p.values()) else None


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
