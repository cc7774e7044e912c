"""G2Net augmentations and test-time views: label-preserving, what they claim, per sample."""
import pytest
import torch

from common.g2net.augment import (MAX_SHIFT, VIEWS, View, apply_view, augment_batch, flip_sign, swap_ligo,
                                  time_shift, tta_views)


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
    assert len(set(VIEWS)) == 4
    with pytest.raises(ValueError, match="tta=3 is not one of 1, 2, 4"):
        tta_views(3)
    x, _ = batch()
    assert torch.equal(apply_view(x, VIEWS[0]), x)
    assert torch.equal(apply_view(x, View(True, False)), swap_ligo(x))
    assert torch.equal(apply_view(x, View(False, True)), -x)
    assert torch.equal(apply_view(x, View(True, True)), -swap_ligo(x))
    for view in VIEWS:
        assert torch.equal(apply_view(apply_view(x, view), view), x)  # each view is its own inverse


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
    assert torch.equal(out, -swap_ligo(x)) and torch.equal(y_out, y)
    out, y_out = augment_batch(x, y, 0.0, 0.0, 0.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, x) and torch.equal(y_out, y)
    out, _ = augment_batch(x, y, 0.0, 0.0, 1.0, max_shift=MAX_SHIFT, generator=torch.Generator().manual_seed(0))
    moved = [not torch.equal(out[b], x[b]) for b in range(8)]
    assert sum(moved) >= 7  # a zero shift has chance 1/201 per sample


def test_augment_batch_choices_are_per_sample_and_seeded():
    x, y = batch(32)
    runs = [augment_batch(x, y, 0.5, 0.5, 0.0, generator=torch.Generator().manual_seed(1))[0] for _ in range(2)]
    assert torch.equal(runs[0], runs[1])  # reproducible with a seeded generator
    kinds = set()
    for b in range(32):
        for view in VIEWS:
            if torch.equal(runs[0][b], apply_view(x[b], view)):
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
