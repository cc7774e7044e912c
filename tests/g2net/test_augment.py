"""G2Net augmentations and test-time views: label-preserving, what they claim, per sample; the H1/L1 swap
after each detector's own whitening."""
import numpy as np
import pytest
import torch

from common.errors import UserError
from common.g2net import synth
from common.g2net.augment import (MAX_SHIFT, VIEWS, StrainBatch, View, apply_view, augment_batch, flip_sign,
                                  swap_ligo, swap_where, time_shift, tta_views)
from common.g2net.config import Config
from common.g2net.frontend import FrontEnd, average_spectrum


def batch(b=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, 3, 4096, generator=g), torch.arange(b, dtype=torch.float32) % 2


def test_ops_are_what_they_claim():
    x, _ = batch()
    s = swap_ligo(x)
    assert torch.equal(s[:, 0], x[:, 1]) and torch.equal(s[:, 1], x[:, 0]) and torch.equal(s[:, 2], x[:, 2])
    assert torch.equal(flip_sign(x), -x)


def test_views_keep_labels_and_prefixes():
    assert tta_views(1) == [View(False, False)]
    assert tta_views(2) == list(VIEWS[:2]) and tta_views(4) == list(VIEWS)
    assert tta_views(2, "cqt") == list(VIEWS[:2])
    assert len(set(VIEWS)) == 4
    with pytest.raises(ValueError, match="tta=3 is not one of 1, 2, 4"):
        tta_views(3)
    with pytest.raises(ValueError, match=r"tta=4 is not one of 1, 2 \(front_end=cqt\)"):
        tta_views(4, "cqt")  # the sign-flip views of a CQT image are its other views, bit for bit
    x, _ = batch()
    assert torch.equal(apply_view(x, VIEWS[0]), x)
    assert torch.equal(apply_view(x, View(False, True)), -x)
    for view, sign in ((View(True, False), 1), (View(True, True), -1)):  # the front end swaps, after whitening
        out = apply_view(x, view)
        assert isinstance(out, StrainBatch) and torch.equal(out.strain, sign * x) and out.swapped.all()
        assert torch.equal(swap_where(out.strain, out.swapped), sign * swap_ligo(x))


def test_config_views_per_front_end():
    from common.g2net import competition

    assert Config().tta in (1, 2) and Config(front_end="wave", tta=4).tta == 4
    with pytest.raises(UserError, match="tta=4 is not one of 1, 2 for front_end=cqt"):
        Config(tta=4).validate()
    # the count evaluate.py's --tta N asks for is the count it gets, whatever the default
    assert [len(competition.tta_views(Config(), n)) for n in (1, 2)] == [1, 2]
    assert len(competition.tta_views(Config(front_end="wave"), 4)) == 4


def test_time_shift_moves_all_detectors_together():
    x, _ = batch(3)
    shift = torch.tensor([5, -7, 0])
    out = time_shift(x, shift)
    assert out.shape == x.shape
    assert torch.equal(out[0, :, 5:], x[0, :, :-5]) and torch.equal(out[1, :, :-7], x[1, :, 7:])
    assert torch.equal(out[2], x[2])
    # the vacated ends are odd reflections about the edge sample (no jump), the same in every detector
    torch.testing.assert_close(out[0, :, 4], 2 * x[0, :, 0] - x[0, :, 1])
    torch.testing.assert_close(out[1, :, -1], 2 * x[1, :, -1] - x[1, :, -8])
    for c in range(3):  # each detector shifted exactly as it would be alone
        assert torch.equal(out[:, c:c + 1], time_shift(x[:, c:c + 1], shift))
    with pytest.raises(ValueError, match="smaller than the 4096 samples"):
        time_shift(x, 4096)


def test_augment_batch_probabilities():
    x, y = batch(8)
    out, y_out = augment_batch(x, y, 1.0, 1.0, 0.0)
    assert torch.equal(out.strain, -x) and out.swapped.all() and torch.equal(y_out, y)
    out, y_out = augment_batch(x, y, 0.0, 0.0, 0.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, x) and torch.equal(y_out, y)
    out, _ = augment_batch(x, y, 0.0, 0.0, 1.0, max_shift=MAX_SHIFT, generator=torch.Generator().manual_seed(0))
    moved = [not torch.equal(out[b], x[b]) for b in range(8)]
    assert sum(moved) >= 7  # a zero shift has chance 1/201 per sample


def test_augment_batch_choices_are_per_sample_and_seeded():
    x, y = batch(32)
    runs = [augment_batch(x, y, 0.5, 0.5, 0.0, generator=torch.Generator().manual_seed(1))[0] for _ in range(2)]
    assert all(torch.equal(a, b) for a, b in zip(*runs))  # reproducible with a seeded generator
    out = swap_where(*runs[0])
    kinds = set()
    for b in range(32):
        for view in VIEWS:
            expected = apply_view(x[b:b + 1], view)
            if torch.equal(out[b:b + 1], swap_where(*expected) if view.swap else expected):
                kinds.add(view)
    assert len(kinds) == 4  # all four swap/sign combinations occur within one batch
    shifted = augment_batch(x, y, 0.0, 0.0, 0.5, max_shift=50, generator=torch.Generator().manual_seed(2))[0]
    same = [torch.equal(shifted[b], x[b]) for b in range(32)]
    assert 4 < sum(same) < 28
    middle = slice(50, -50)
    for b in range(32):  # each a shift within max_shift
        assert any(torch.equal(shifted[b, :, middle], x[b, :, 50 - s:4096 - 50 - s]) for s in range(-50, 51))


def test_time_shift_reads_nothing_back_from_the_device():
    """A meta tensor has no values: any host read (the range check's bool, .item()) would raise. On a GPU that read
    waited for the device at every batch."""
    x = torch.zeros(2, 3, 4096, device="meta")
    assert time_shift(x, torch.zeros(2, dtype=torch.long, device="meta")).shape == x.shape


@pytest.fixture(scope="module")
def ligo_noise(tmp_path_factory):
    """The generator's noise (H1 and L1 from distinct PSDs): 8 samples x1e20, and the spectrum of 32 others."""
    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp("negatives")
    paths = [folder / f"{i}.npy" for i in range(32)]
    for path in paths:
        np.save(path, synth.colored_noise(rng))
    x = torch.tensor(np.stack([synth.colored_noise(rng) for _ in range(8)]) * 1e20, dtype=torch.float32)
    return x, average_spectrum(paths, progress=False)


def test_swap_whitens_each_detector_by_its_own_spectrum(ligo_noise):
    """Swapped before whitening, L1's data would be whitened by H1's spectrum and H1's by L1's (std per
    detector [0.54, 2.07, 1.04] here); swapped after, every detector keeps unit variance."""
    x, spectrum = ligo_noise
    wave, cqt = FrontEnd("wave", spectrum), FrontEnd("cqt", spectrum, image_size=0)
    plain = wave(x)
    assert torch.allclose(plain.std(dim=(0, 2)), torch.ones(3), atol=0.1)
    trained, _ = augment_batch(x, torch.zeros(8), 1.0, 0.0, 0.0)
    for swapped in (trained, apply_view(x, View(True, False))):
        out = wave(swapped)
        torch.testing.assert_close(out, swap_ligo(plain))
        assert torch.allclose(out.std(dim=(0, 2)), torch.ones(3), atol=0.1)
        torch.testing.assert_close(cqt(swapped), cqt(x)[:, [1, 0, 2]])  # the images of the swapped detectors


def test_sign_flip_views_of_a_cqt_are_bit_identical(ligo_noise):
    x, spectrum = ligo_noise
    cqt = FrontEnd("cqt", spectrum, image_size=0)
    assert torch.equal(cqt(apply_view(x, View(False, True))), cqt(x))
    assert torch.equal(cqt(apply_view(x, View(True, True))), cqt(apply_view(x, View(True, False))))
