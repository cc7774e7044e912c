"""Training augmentations: cadence ops on tensors, the per-sample transforms and batch mixing.

A cadence is a tensor (..., 6, T, F) = (scan, time, frequency) in ABACAD order: ON scans at 0, 2, 4,
OFF scans at 1, 3, 5. A needle (target 1) is a drifting narrowband line in the ON scans only.
"""
import albumentations as A
import torch

from common.seti.cadence import OFF_SCANS, ON_SCANS


def flip_freq(x: torch.Tensor) -> torch.Tensor:
    """Mirror the frequency axis."""
    return x.flip(-1)


def flip_time(x: torch.Tensor) -> torch.Tensor:
    """Reverse time within each scan."""
    return x.flip(-2)


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
    """Per-sample cadence augmentations, each applied with its config probability (torch's global RNG)."""

    KEYS = ("flip_freq", "flip_time", "shuffle_cons", "shuffle_inv", "line_aug", "noise_aug")

    def __init__(self, cfg):
        self.p = {key: getattr(cfg, key) for key in self.KEYS}

    def __call__(self, x: torch.Tensor, y: float) -> tuple[torch.Tensor, float]:
        if _chance(self.p["flip_freq"]):
            x = flip_freq(x)
        if _chance(self.p["flip_time"]):
            x = flip_time(x)
        if _chance(self.p["shuffle_cons"]):
            x = permute_scans(x, torch.randperm(3).tolist(), torch.randperm(3).tolist())
        if _chance(self.p["shuffle_inv"]):
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
        A.Affine(scale=(0.9, 1.1), translate_percent=(-0.0625, 0.0625), rotate=(-10, 10),
                 p=cfg.shift_scale_rotate),
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


def _mixup(x: torch.Tensor, partner: torch.Tensor, lam: float) -> torch.Tensor:
    """Blend lam of x with 1 - lam of `partner`."""
    return lam * x + (1.0 - lam) * partner


def _cutmix(x: torch.Tensor, partner: torch.Tensor, lam: float) -> torch.Tensor:
    """Paste a random box covering about 1 - lam of the image from `partner` into a copy of x."""
    height, width = x.shape[-2:]
    side = (1.0 - lam) ** 0.5
    cy, cx = (torch.rand(2) * torch.tensor([height, width])).tolist()
    top, bottom = int(max(cy - side * height / 2, 0)), int(min(cy + side * height / 2, height))
    left, right = int(max(cx - side * width / 2, 0)), int(min(cx + side * width / 2, width))
    out = x.clone()
    out[..., top:bottom, left:right] = partner[..., top:bottom, left:right]
    return out


def mix_batch(x: torch.Tensor, y: torch.Tensor, cfg, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mixup and CutMix of a batch x (B, C, H, W), y (B,) with the OR label rule.

    Each is applied with its own probability (cfg.mixup, cfg.cutmix; both may hit one batch), the
    partner of each sample a random permutation of the batch, lam ~ Beta(mixup_alpha, mixup_alpha).
    Both are off from epoch (1 - mix_off_frac) * epochs on (epochs counted from 0).
    """
    if epoch >= (1 - cfg.mix_off_frac) * cfg.epochs:
        return x, y
    for prob, mix in ((cfg.mixup, _mixup), (cfg.cutmix, _cutmix)):
        if _chance(prob):
            perm = torch.randperm(x.shape[0], device=x.device)
            lam = torch.distributions.Beta(cfg.mixup_alpha, cfg.mixup_alpha).sample().item()
            x, y = mix(x, x[perm], lam), _or_labels(y, y[perm])
    return x, y
