import dataclasses

import numpy as np
import pytest
import torch

from common.seti import competition as seti
from common.seti.augment import (AUG_KEYS, _or_labels, add_noise, apply_choices, augment_cadences,
                                 build_image_transform, cutmix_labels, draw_choices, draw_line, flip_freq,
                                 mix_batch, mixup_labels, permute_scans, permute_scans_per_sample, reverse_time,
                                 swap_on_off)
from common.seti.cadence import OFF_SCANS, ON_SCANS
from common.errors import UserError
from common.seti.config import Config

SHAPE = (6, 16, 32)


def cfg_with(**changes) -> Config:
    return dataclasses.replace(Config(), **changes)


def marked() -> torch.Tensor:
    """Scan s is filled with the value s."""
    return torch.arange(6.0).view(6, 1, 1).expand(SHAPE).clone()


def scan_values(x: torch.Tensor) -> list[float]:
    return x[:, 0, 0].tolist()


def needle() -> torch.Tensor:
    """Energy in the ON scans only."""
    x = torch.zeros(SHAPE)
    x[list(ON_SCANS)] = torch.rand(3, *SHAPE[1:]) + 0.1
    return x


def test_flips_are_exact():
    x = torch.randn(SHAPE)
    assert torch.equal(flip_freq(flip_freq(x)), x)
    assert torch.equal(reverse_time(reverse_time(x)), x)
    assert torch.equal(flip_freq(x)[:, :, 0], x[:, :, -1])
    # ON slots get ON scans 4, 2, 0 and OFF slots OFF scans 5, 3, 1, each played backwards
    assert scan_values(reverse_time(marked())) == [4, 5, 2, 3, 0, 1]
    assert torch.equal(reverse_time(x)[0, 0], x[4, -1]) and torch.equal(reverse_time(x)[3, 2], x[3, SHAPE[1] - 3])


def line_peaks(x: torch.Tensor, scans) -> tuple[np.ndarray, np.ndarray]:
    """Global rows (s * T + t) of `scans` and the frequency of x's peak in each."""
    t_len = x.shape[-2]
    rows = (torch.tensor(scans).view(-1, 1) * t_len + torch.arange(t_len)).flatten().numpy()
    return rows, x[list(scans)].argmax(dim=-1).flatten().numpy()


def straightness(x: torch.Tensor, scans) -> float:
    """Largest distance (channels) of x's peak track over `scans` from its least-squares straight line."""
    rows, peaks = line_peaks(x, scans)
    slope, start = np.polyfit(rows, peaks, 1)
    return float(np.abs(start + slope * rows - peaks).max())


def drifting_line(scans=ON_SCANS, t_len=64, f_len=256, slope=0.4) -> torch.Tensor:
    """A line in `scans` whose frequency moves `slope` channels per row of the cadence's global time."""
    x = torch.zeros(6, t_len, f_len)
    for s in scans:
        for t in range(t_len):
            x[s, t, int(round(20 + slope * (s * t_len + t)))] = 1.0
    return x


def test_reverse_time_keeps_a_drifting_track_straight():
    for scans in (ON_SCANS, OFF_SCANS):
        x = drifting_line(scans)
        assert straightness(x, scans) <= 1.0
        out = reverse_time(x)
        assert straightness(out, scans) <= 1.0, scans  # within-scan reversal alone: a zigzag of ~40 channels
        other = OFF_SCANS if scans == ON_SCANS else ON_SCANS
        assert out[list(other)].abs().sum() == 0  # ON-only stays ON-only, OFF-only stays OFF-only
    within_scans = drifting_line().flip(-2)
    assert straightness(within_scans, ON_SCANS) > 20  # what the old flip_time did
    drawn = draw_line(torch.randn(4, 6, 64, 128), generator=torch.Generator().manual_seed(2), snr=(50, 50),
                      drift=(0.5, 1.0), width=(0.5, 0.5))
    for cadence in reverse_time(drawn):
        assert straightness(cadence, ON_SCANS) <= 1.0


def test_scan_permutations_break_a_drifting_track():
    """Why shuffle_cons and the scan-order views are not in any default: the track jumps between scans."""
    x = drifting_line()
    assert straightness(permute_scans(x, (1, 2, 0), (0, 1, 2)), ON_SCANS) > 20
    assert straightness(permute_scans(x, (0, 1, 2), (1, 2, 0)), ON_SCANS) <= 1.0  # OFF order: ON untouched


def test_permute_and_swap_scans():
    x = marked()
    assert torch.equal(permute_scans(x, (0, 1, 2), (0, 1, 2)), x)
    # new ON i = old ON on_order[i]: ON slots get scans (2, 4, 0), OFF slots get (5, 1, 3)
    assert scan_values(permute_scans(x, (1, 2, 0), (2, 0, 1))) == [2, 5, 4, 1, 0, 3]
    assert scan_values(swap_on_off(x)) == [1, 0, 3, 2, 5, 4]
    assert torch.equal(swap_on_off(swap_on_off(x)), x)
    with pytest.raises(ValueError):
        permute_scans(x, (0, 0, 1), (0, 1, 2))


@pytest.mark.parametrize("op", [flip_freq, reverse_time, swap_on_off,
                                lambda x: permute_scans(x, (2, 0, 1), (1, 0, 2))])
def test_batched_equals_per_sample(op):
    xb = torch.randn(3, *SHAPE)
    out = op(xb)
    assert all(torch.equal(out[i], op(xb[i])) for i in range(3))


@pytest.mark.parametrize("batch", [(), (4,)])
def test_draw_line_touches_on_scans_only(batch):
    x = torch.randn(*batch, *SHAPE)
    out = draw_line(x, generator=torch.Generator().manual_seed(0))
    diff = (out - x).abs().reshape(-1, *SHAPE)
    assert diff[:, list(OFF_SCANS)].max() == 0
    assert (diff[:, list(ON_SCANS)].amax(dim=(-2, -1)) > 0.1).all()  # visible in each ON scan of each cadence
    again = draw_line(x, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, again)


def test_draw_line_follows_one_straight_path_across_the_cadence():
    x = torch.randn(8, 6, 64, 128)
    line = draw_line(x, generator=torch.Generator().manual_seed(1), drift=(0.5, 1.0), width=(0.5, 0.5)) - x
    on = line[:, list(ON_SCANS)]  # (8, 3, T, F)
    peak_height = on.amax(dim=-1)
    assert (peak_height > 0.5 * peak_height.amax(dim=(1, 2), keepdim=True)).all()  # in band in every row
    rows = (torch.tensor(ON_SCANS).view(3, 1) * 64 + torch.arange(64)).flatten().float()  # global time
    for peaks in on.argmax(dim=-1).flatten(1).float():
        slope, start = np.polyfit(rows.numpy(), peaks.numpy(), 1)
        assert slope > 0.5 * 127 / (6 * 64) - 0.01
        assert np.abs(start + slope * rows.numpy() - peaks.numpy()).max() <= 1.0


def test_add_noise_keeps_shape_and_is_reproducible():
    x = torch.randn(2, *SHAPE)
    out = add_noise(x, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape and torch.isfinite(out).all() and not torch.equal(out, x)
    assert torch.equal(out, add_noise(x, generator=torch.Generator().manual_seed(0)))


ALL_HALF = dict.fromkeys(AUG_KEYS, 0.5)
# every kind of target: hard negatives and positives, soft labels, one just below 1
TARGETS = torch.tensor([0.0, 1.0, 0.4, 1.0, 0.0, 0.999, 1.0, 0.0])


def batch_of(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, *SHAPE, generator=g), TARGETS.repeat(n // len(TARGETS) + 1)[:n].clone()


def per_sample(x: torch.Tensor, y: torch.Tensor, c) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference: the single-cadence ops applied to one sample at a time with that sample's choices
    (line_aug and noise_aug only set the label here: their draws are checked apart)."""
    xs, ys = [], []
    for i in range(len(x)):
        xi, yi = x[i], float(y[i])
        chose = {key: mask is not None and bool(mask[i]) for key, mask in zip(AUG_KEYS, c)}
        if chose["flip_freq"]:
            xi = flip_freq(xi)
        if chose["flip_time"]:
            xi = reverse_time(xi)
        if chose["shuffle_cons"]:
            xi = permute_scans(xi, c.on_order[i].tolist(), c.off_order[i].tolist())
        if chose["shuffle_inv"] and yi == 1.0:
            xi, yi = swap_on_off(xi), 0.0
        if chose["line_aug"]:
            yi = 1.0
        xs.append(xi)
        ys.append(yi)
    return torch.stack(xs), torch.tensor(ys)


def test_no_cadence_augmentation_by_default():
    assert draw_choices(Config(), 4, "cpu") == (None,) * 8
    x, y = batch_of(4)
    out, y_out = augment_cadences(Config(), x, y)
    assert out is x and y_out is y


def test_permute_scans_per_sample_equals_permute_scans():
    x = torch.randn(5, *SHAPE)
    orders = torch.rand(2, 5, 3).argsort(dim=-1)
    out = permute_scans_per_sample(x, orders[0], orders[1])
    for i in range(5):
        assert torch.equal(out[i], permute_scans(x[i], orders[0, i].tolist(), orders[1, i].tolist()))


def test_batched_choices_equal_the_per_sample_ops():
    torch.manual_seed(0)
    x, y = batch_of(64)
    cfg = cfg_with(**dict(ALL_HALF, line_aug=0.0, noise_aug=0.0))
    for _ in range(3):
        c = draw_choices(cfg, len(x), x.device)
        out, y_out = apply_choices(x, y, c)
        ref, y_ref = per_sample(x, y, c)
        assert torch.equal(out, ref) and torch.equal(y_out, y_ref)


def test_line_and_noise_change_exactly_the_chosen_samples():
    torch.manual_seed(1)
    x, y = batch_of(64)
    c = draw_choices(cfg_with(**ALL_HALF), len(x), x.device)
    out, y_out = apply_choices(x, y, c, generator=torch.Generator().manual_seed(5))
    again, _ = apply_choices(x, y, c, generator=torch.Generator().manual_seed(5))
    assert torch.equal(out, again)  # the same choices and generator seed: the same batch
    ref, y_ref = per_sample(x, y, c)
    assert torch.equal(y_out, y_ref)
    changed = (out != ref).flatten(2).any(dim=-1)  # (B, 6): which scans differ from the reference
    assert torch.equal(changed[:, list(ON_SCANS)].all(dim=1), c.line_aug | c.noise_aug)
    assert torch.equal(changed[:, list(OFF_SCANS)].any(dim=1), c.noise_aug)  # a line touches ON scans only
    assert 0 < c.line_aug.sum() < 64 and 0 < c.noise_aug.sum() < 64


@pytest.mark.parametrize("key, op", [("line_aug", draw_line), ("noise_aug", add_noise)])
def test_line_and_noise_draw_for_the_chosen_samples_only(key, op):
    x, y = batch_of(16)
    c = draw_choices(cfg_with(**{key: 0.5}), 16, x.device, generator=torch.Generator().manual_seed(3))
    chosen = getattr(c, key)
    out, _ = apply_choices(x, y, c, generator=torch.Generator().manual_seed(4))
    assert torch.equal(out[chosen], op(x[chosen], generator=torch.Generator().manual_seed(4)))  # the same numbers
    assert torch.equal(out[~chosen], x[~chosen])
    none = c._replace(**{key: torch.zeros(16, dtype=torch.bool)})
    assert apply_choices(x, y, none)[0] is x  # no sample chosen: the op does not run


def test_each_op_is_drawn_with_its_probability():
    probs = dict(zip(AUG_KEYS, (0.1, 0.3, 0.5, 0.7, 0.9, 0.2)))
    c = draw_choices(cfg_with(**probs), 20000, "cpu", generator=torch.Generator().manual_seed(0))
    for key, p in probs.items():
        assert abs(getattr(c, key).float().mean().item() - p) < 0.02, key  # std 0.0035 at most
    for order in (c.on_order, c.off_order):
        counts = torch.unique(order, dim=0, return_counts=True)[1]
        assert len(counts) == 6 and (counts / 20000 - 1 / 6).abs().max() < 0.02  # all six, uniformly
    assert abs((c.on_order == c.off_order).all(dim=1).float().mean().item() - 1 / 6) < 0.02  # independent
    x, y = batch_of(4000)
    out, y_out = augment_cadences(cfg_with(shuffle_inv=0.5), x, y)
    swapped = (y == 1.0) & (y_out == 0.0)
    assert abs(swapped.float().mean().item() - 0.5 * (y == 1.0).float().mean().item()) < 0.03


def test_shuffle_inv_turns_hard_positives_into_negatives_only():
    x, y = batch_of(16)
    x[y == 1.0] = torch.stack([needle() for _ in range(int((y == 1.0).sum()))])
    out, y_out = augment_cadences(cfg_with(shuffle_inv=1.0), x, y)
    positive = y == 1.0
    assert (y_out[positive] == 0.0).all() and torch.equal(out[positive], swap_on_off(x[positive]))
    assert out[positive][:, list(ON_SCANS)].abs().sum() == 0  # the needle now sits in the OFF scans only
    # negatives (a swap could make an ON-only signal) and soft labels (0.4, 0.999) pass unchanged
    assert torch.equal(out[~positive], x[~positive]) and torch.equal(y_out[~positive], y[~positive])


def test_shuffle_cons_keeps_label_and_on_off_sets():
    torch.manual_seed(0)
    x, y = marked().expand(32, *SHAPE).clone(), TARGETS.repeat(4)
    out, y_out = augment_cadences(cfg_with(shuffle_cons=1.0), x, y)
    assert torch.equal(y_out, y)
    values = out[:, :, 0, 0]
    assert (values[:, 0::2].sort(dim=1).values == torch.tensor([0.0, 2, 4])).all()
    assert (values[:, 1::2].sort(dim=1).values == torch.tensor([1.0, 3, 5])).all()
    assert len(torch.unique(values, dim=0)) > 1  # each sample its own order


def test_line_aug_sets_target_and_touches_on_only():
    torch.manual_seed(0)
    x, y = batch_of(8)
    out, y_out = augment_cadences(cfg_with(line_aug=1.0), x, y)
    assert (y_out == 1.0).all()
    assert torch.equal(out[:, list(OFF_SCANS)], x[:, list(OFF_SCANS)])
    assert (out[:, list(ON_SCANS)] != x[:, list(ON_SCANS)]).flatten(1).any(dim=1).all()


@pytest.mark.parametrize("low, high", [(0.25, 0.5), (3.0, 4.0)])
def test_line_aug_peaks_follow_the_configured_snr_range(low, high):
    torch.manual_seed(0)
    x = torch.randn(64, 6, 16, 256)
    out, _ = augment_cadences(cfg_with(line_aug=1.0, line_snr_min=low, line_snr_max=high), x, torch.zeros(64))
    peaks = ((out - x).amax(dim=(1, 2, 3)) / x.std(dim=(1, 2, 3))).numpy()
    assert peaks.max() <= high * 1.001
    assert peaks.min() >= low * 0.6  # a line of std 0.5 bins centred between two bins peaks at 0.61 of its value


def test_line_snr_range_must_be_ordered():
    with pytest.raises(UserError, match="line_snr_min"):
        cfg_with(line_snr_min=2.0, line_snr_max=1.0).validate()


def test_augment_batch_runs_the_cadence_ops_then_the_mix():
    cfg = cfg_with(**ALL_HALF, mixup=1.0)
    x, y = batch_of(16)
    torch.manual_seed(2)
    out, y_out = seti.augment_batch(cfg, x, y, epoch=0)
    torch.manual_seed(2)
    expected = mix_batch(*apply_choices(x, y, draw_choices(cfg, 16, x.device)), cfg, 0)
    assert torch.equal(out, expected[0]) and torch.equal(y_out, expected[1])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cadence_augmentations_run_on_the_batch_device():
    x, y = batch_of(16)
    cfg = cfg_with(**ALL_HALF)
    c = draw_choices(cfg, 16, "cuda")
    out, y_out = apply_choices(x.cuda(), y.cuda(), c)
    assert out.device.type == "cuda" and y_out.device.type == "cuda"
    cpu_choices = type(c)(*(t.cpu() for t in c))
    ref, y_ref = apply_choices(x, y, cpu_choices._replace(line_aug=None, noise_aug=None))
    keep = ~(c.line_aug | c.noise_aug).cpu()
    assert torch.equal(out.cpu()[keep], ref[keep]) and torch.equal(y_out.cpu()[keep], y_ref[keep])


def test_no_image_transform_by_default():
    assert build_image_transform(Config()) is None


@pytest.mark.parametrize("shape", [(96, 32, 1), (48, 32, 2), (16, 32, 6)])
def test_image_transform_any_channel_count(shape):
    transform = build_image_transform(cfg_with(shift_scale_rotate=1.0, motion_blur=1.0, distort=1.0,
                                               spec_augment=1.0))
    image = (np.random.default_rng(0).standard_normal(shape) * 30 - 5).astype(np.float32)
    for _ in range(3):
        out = transform(image=image)["image"]
        assert out.shape == shape and out.dtype == np.float32 and np.isfinite(out).all()


def test_or_label_rule():
    y1 = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5, 0.2])
    y2 = torch.tensor([0.0, 0.0, 1.0, 1.0, 0.5, 0.6])
    assert torch.allclose(_or_labels(y1, y2), torch.tensor([0.0, 1.0, 1.0, 1.0, 0.75, 0.68]))


def one_hot_batch(n: int = 6, size: int = 16) -> torch.Tensor:
    """Sample i is constant 1 in channel i and 0 elsewhere, so its mixing partner can be read back."""
    return torch.eye(n).view(n, n, 1, 1).expand(n, n, size, size).clone()


def partners(out: torch.Tensor) -> list[int]:
    """The partner of each sample: the other channel it holds, or itself."""
    result = []
    for i, sample in enumerate(out):
        others = [c for c in range(len(sample)) if c != i and sample[c].abs().sum() > 0]
        assert len(others) <= 1
        result.append(others[0] if others else i)
    return result


def test_mix_label_rules():
    y1, y2 = torch.tensor([0.0, 1.0, 0.0, 1.0]), torch.tensor([0.0, 0.0, 1.0, 1.0])
    assert torch.allclose(mixup_labels(y1, y2, 0.5), _or_labels(y1, y2))  # both parts at least half bright
    assert torch.allclose(mixup_labels(y1, y2, 0.9), torch.tensor([0.0, 1.0, 0.2, 1.0]))  # faint partner needle
    assert torch.allclose(mixup_labels(y1, y2, 0.1), torch.tensor([0.0, 0.2, 1.0, 1.0]))
    # CutMix: own needle kept with the kept fraction of the band, the partner's pasted with the rest
    assert torch.allclose(cutmix_labels(y1, y2, 0.75), torch.tensor([0.0, 0.75, 0.25, 1 - 0.25 * 0.75]))
    assert torch.equal(cutmix_labels(y1, y2, 1.0), y1) and torch.equal(cutmix_labels(y1, y2, 0.0), y2)


def test_mixup_labels_follow_the_weights():
    torch.manual_seed(3)
    x, y = one_hot_batch(), torch.tensor([0.0, 1.0, 0.0, 1.0, 0.3, 0.6])
    out, y_out = mix_batch(x, y, cfg_with(mixup=1.0), epoch=0)
    partner = torch.tensor(partners(out))
    assert (partner != torch.arange(6)).any()
    lam = out[0, 0, 0, 0].item()  # sample i keeps weight lam in its own channel
    assert torch.allclose(out.sum(dim=1), torch.ones(6, 16, 16))  # lam + (1 - lam) everywhere
    assert torch.allclose(y_out, mixup_labels(y, y[partner], lam))


def test_cutmix_pastes_a_frequency_band_across_all_scans_and_times():
    torch.manual_seed(1)
    x, y = one_hot_batch(), torch.tensor([0.0, 1.0, 0.0, 1.0, 0.3, 0.6])
    out, y_out = mix_batch(x, y, cfg_with(cutmix=1.0), epoch=0)
    partner = torch.tensor(partners(out))
    assert (partner != torch.arange(6)).any()
    assert torch.equal(out.sum(dim=1), torch.ones(6, 16, 16))  # every pixel from the sample or its partner
    pasted = [out[i, j] == 1 for i, j in enumerate(partner.tolist()) if j != i]
    for band in pasted:
        assert torch.equal(band, pasted[0])  # one band for the batch
        columns = band.any(dim=0)
        assert band[:, columns].all() and not band[:, ~columns].any()  # whole columns: all times
        index = columns.nonzero().flatten().tolist()
        assert index == list(range(index[0], index[-1] + 1))  # one contiguous band of frequencies
    kept = 1 - pasted[0].any(dim=0).float().mean().item()
    assert torch.allclose(y_out, cutmix_labels(y, y[partner], kept))


def test_mix_batch_identity_when_off():
    x, y = torch.randn(4, 2, 8, 8), torch.tensor([0.0, 1.0, 0.0, 1.0])
    on = cfg_with(mixup=1.0, cutmix=1.0, epochs=10, mix_off_frac=0.2)
    for epoch in (8, 9):
        out, y_out = mix_batch(x, y, on, epoch)
        assert torch.equal(out, x) and torch.equal(y_out, y)
    assert not torch.equal(mix_batch(x, y, on, 7)[0], x)
    out, y_out = mix_batch(x, y, cfg_with(mixup=0.0, cutmix=0.0), 0)
    assert torch.equal(out, x) and torch.equal(y_out, y)


def test_affine_moves_every_scan_alike_and_keeps_a_drifting_track_straight():
    """The albumentations steps see the cadence as a 6-channel image (H = time, W = frequency): content
    never crosses scans, and the affine (shift and scale, no rotation) keeps a track straight."""
    transform = build_image_transform(cfg_with(shift_scale_rotate=1.0))
    marks = np.broadcast_to(np.arange(1.0, 7.0, dtype=np.float32), (273, 256, 6)).copy()
    t_len, slope = 273, 10 / 273  # 10 channels per scan
    rows = np.arange(6 * t_len).reshape(6, t_len)
    freqs = np.arange(256)
    track = np.exp(-0.5 * ((freqs - 60 - slope * rows[..., None]) / 1.5) ** 2).astype(np.float32)  # (6, T, F)
    track[list(OFF_SCANS)] = 0
    np.random.seed(0)
    transform.set_random_seed(0)
    worst = []
    for _ in range(10):
        out = transform(image=marks)["image"]
        for s in range(6):
            values = out[..., s]  # scan s's mark, or a blend of it with the zero border: never another scan's
            assert values.max() <= s + 1 + 1e-3 and np.median(values[values > 0]) == pytest.approx(s + 1)
        moved = torch.from_numpy(transform(image=track.transpose(1, 2, 0).copy())["image"]).permute(2, 0, 1)
        on = moved[list(ON_SCANS)]
        visible = (on.amax(dim=-1) > 0.5).flatten().numpy()  # rows not shifted out of the scan
        global_rows = rows[list(ON_SCANS)].flatten()[visible]
        peaks = on.argmax(dim=-1).flatten().numpy()[visible]
        fit = np.polyval(np.polyfit(global_rows, peaks, 1), global_rows)
        worst.append(np.abs(fit - peaks).max())
    assert max(worst) <= 2.0, worst  # a 10-degree rotation would jump ~47 channels between scans
