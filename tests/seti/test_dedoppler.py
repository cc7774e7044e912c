import dataclasses

import pytest
import torch

from common.seti.baseline import scan_peaks
from common.seti.competition import in_channels, make_front_end
from common.seti.config import Config
from common.seti.cadence import OFF_SCANS, ON_SCANS
from common.seti.dedoppler import PEAK_FEATURES, dedoppler, follow_through, on_off_score, peak_features


def _line(rows=64, chans=96, drift=7, start=30, amplitude=1.0, seed=0):
    """Noise scans (2, rows, chans) with a faint straight line of `drift` channels per scan in scan 0."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, rows, chans, generator=g)
    t = torch.arange(rows)
    x[0, t, start + torch.round(drift * t / rows).long()] += amplitude
    return x


@pytest.mark.parametrize("drift", [-9, 0, 7])
def test_the_plane_peaks_at_the_line_drift_and_start(drift):
    max_drift = 12
    planes = dedoppler(_line(drift=drift), max_drift)
    assert planes.shape == (2, 2 * max_drift + 1, 96)
    d, f = divmod(planes[0].argmax().item(), 96)
    assert (d - max_drift, f) == (drift, 30)
    # the line's amplitude summed over 64 rows in noise sigmas: about 1.0 * sqrt(64) = 8, far above the noise scan
    assert planes[0].max() > 6 and planes[0].max() > planes[1].max() + 2


def test_noise_planes_are_in_noise_sigmas():
    planes = dedoppler(torch.randn(4, 128, 128), 8)
    assert abs(planes.mean().item()) < 0.05 and 0.9 < planes.std().item() < 1.1


def test_scan_peaks_is_the_planes_maximum():
    x = _line().unsqueeze(0)
    assert torch.equal(scan_peaks(x, 12), dedoppler(x, 12).amax((-2, -1)))


def test_dedoppler_channels_follow_the_layout_channels():
    cadence = torch.randn(2, 6, 273, 256)
    plain = make_front_end(Config(layout="aaa_bcd", image_size=32))
    cfg = Config(layout="aaa_bcd", image_size=32, dedoppler_channels=True)
    img = make_front_end(cfg)(cadence)
    assert img.shape == (2, 4, 32, 32) and in_channels(cfg) == 4
    assert torch.equal(img[:, :2], plain(cadence))
    assert img[:, 2:].std() > 2 * img[:, :2].std()  # line sums in sigmas: the planes are not the averaged scans
    native = make_front_end(Config(layout="on", dedoppler_channels=True))(cadence)
    assert native.shape == (2, 2, 3 * 273, 256)  # the shorter planes are padded to the scans' height


def test_follow_through_adds_a_line_continuing_from_scan_to_scan():
    rows, chans, drift, start = 64, 128, 5, 20
    g = torch.Generator().manual_seed(1)
    x = torch.randn(6, rows, chans, generator=g)
    t = torch.arange(rows)
    for k in ON_SCANS:  # the same line through the cadence: scan k starts where scan k - 1 ended
        x[k, t, start + drift * k + torch.round(drift * t / rows).long()] += 0.7
    planes = dedoppler(x, 8)
    on, off = follow_through(planes, ON_SCANS), follow_through(planes, OFF_SCANS)
    assert on.shape == (17, chans)
    d, f = divmod(on.argmax().item(), chans)
    assert (d - 8, f) == (drift, start)
    # sqrt(3) times one scan's line SNR (0.7 * sqrt(64) = 5.6): above every single scan's peak
    assert on.max() > planes[list(ON_SCANS)].amax() + 2 and off.max() < on.max() - 4


def test_cadence_dedoppler_adds_the_on_and_off_planes_last():
    cadence = torch.randn(2, 6, 273, 256)
    cfg = Config(layout="aaa_bcd", image_size=32, dedoppler_channels=True, cadence_dedoppler=True)
    img = make_front_end(cfg)(cadence)
    assert img.shape == (2, 6, 32, 32) and in_channels(cfg) == 6
    assert torch.equal(img[:, :4], make_front_end(Config(layout="aaa_bcd", image_size=32, dedoppler_channels=True))(cadence))
    alone = make_front_end(Config(layout="on", cadence_dedoppler=True))(cadence)
    assert alone.shape == (2, 3, 3 * 273, 256) and in_channels(Config(layout="on", cadence_dedoppler=True)) == 3
    assert alone[:, 1:, 2 * 48 + 1:].abs().max() == 0  # native planes (97 drifts) padded to the scans' height


def test_dedoppler_pool_keeps_the_planes_peak_where_the_resize_spreads_it():
    cadence = torch.randn(2, 6, 273, 256)
    cfg = Config(layout="aaa_bcd", image_size=64, dedoppler_channels=True, cadence_dedoppler=True)
    native = make_front_end(dataclasses.replace(cfg, image_size=0))(cadence)[:, 2:]
    pooled = make_front_end(dataclasses.replace(cfg, dedoppler_pool=True))(cadence)
    resized = make_front_end(cfg)(cadence)
    assert torch.equal(pooled[:, :2], resized[:, :2])  # the scans are resized as before
    assert torch.equal(pooled[:, 2:].amax((-2, -1)), native.amax((-2, -1)))
    assert (resized[:, 2:].amax((-2, -1)) < native.amax((-2, -1)) - 0.5).all()


def _cadence_with(scans, amplitude=0.7, rows=64, chans=128, drift=5, start=20, seed=2):
    """Noise cadence (6, rows, chans) with one straight line continuing through `scans` (as in the data)."""
    x = torch.randn(6, rows, chans, generator=torch.Generator().manual_seed(seed))
    t = torch.arange(rows)
    for k in scans:
        x[k, t, start + drift * k + torch.round(drift * t / rows).long()] += amplitude
    return x


def _unlog(v):
    return v.sign() * v.abs().expm1()


def test_peak_features_are_the_classical_statistics():
    planes = dedoppler(torch.stack([_cadence_with(ON_SCANS), _cadence_with(range(6))]), 8)
    v = peak_features(planes)
    assert v.shape == (2, PEAK_FEATURES)
    peaks = planes.amax((-2, -1))
    assert torch.allclose(_unlog(v[:, :6]), peaks[:, [0, 2, 4, 1, 3, 5]], atol=1e-4)
    assert torch.allclose(_unlog(v[:, 8]), on_off_score(peaks), atol=1e-4)
    needle, rfi = _unlog(v[:, 9])  # followed-through ON peak (sqrt(3) * 5.6) - OFF peak (noise, about 4)
    assert needle > 4 and abs(rfi) < 2  # a line in all six scans is as strong through the OFF scans


def test_dedoppler_peaks_returns_the_features_beside_the_image():
    cadence = torch.randn(2, 6, 273, 256)
    cfg = Config(layout="aaa_bcd", image_size=32, dedoppler_channels=True)
    img, side = make_front_end(dataclasses.replace(cfg, dedoppler_peaks=True))(cadence)
    assert torch.equal(img, make_front_end(cfg)(cadence)) and in_channels(cfg) == 4
    assert torch.allclose(side, peak_features(dedoppler(cadence)))  # the front end passes its on_off_planes


def test_shift_tables_are_built_once_per_shape_and_device(monkeypatch):
    """The 97 drifts' tables come from the cache after the first forward pass (they were built on the host and
    copied to the device on every pass)."""
    from common.seti import dedoppler as module

    built = []
    real = torch.unique_consecutive
    monkeypatch.setattr(module.torch, "unique_consecutive", lambda *a, **k: built.append(1) or real(*a, **k))
    module.shift_tables.cache_clear()
    x = _line(rows=40, chans=50).unsqueeze(0)
    first = dedoppler(x, 6)
    assert len(built) == 13  # one table per drift, -6 .. 6
    assert torch.equal(dedoppler(x, 6), first) and len(built) == 13
    dedoppler(x[..., :30], 6)  # another shape: its own tables
    assert len(built) == 26
