import itertools

import pytest
import torch

from common.seti.augment import flip_freq
from common.seti.cadence import OFF_SCANS, ON_SCANS
from common.seti.tta import VIEWS, apply_view, tta_views


def test_sixteen_distinct_views():
    x = torch.randn(2, 6, 8, 16)
    outs = [apply_view(x, view) for view in VIEWS]
    assert len(VIEWS) == 16 and len(set(VIEWS)) == 16
    assert all(not torch.equal(a, b) for a, b in itertools.combinations(outs, 2))


def test_views_keep_a_needle_on_only():
    x = torch.zeros(3, 6, 8, 16)
    x[:, list(ON_SCANS)] = torch.rand(3, 3, 8, 16) + 0.1
    for view in VIEWS:
        out = apply_view(x, view)
        assert out[:, list(OFF_SCANS)].abs().sum() == 0
        assert torch.allclose(out[:, list(ON_SCANS)].sum(dim=(1, 2, 3)), x.sum(dim=(1, 2, 3)))


def test_view_batched_equals_per_sample():
    x = torch.randn(3, 6, 8, 16)
    for view in VIEWS:
        out = apply_view(x, view)
        assert all(torch.equal(out[i], apply_view(x[i], view)) for i in range(3))


def test_tta_views_prefixes():
    x = torch.randn(6, 8, 16)
    for n in (1, 2, 4, 8, 16):
        assert tta_views(n) == list(VIEWS[:n])
    assert torch.equal(apply_view(x, tta_views(1)[0]), x)
    assert torch.equal(apply_view(x, tta_views(2)[1]), flip_freq(x))
    assert {(v.freq_flip, v.time_flip) for v in tta_views(4)} == set(itertools.product((False, True), repeat=2))


@pytest.mark.parametrize("n", [0, 3, 5, 32])
def test_bad_view_count_raises(n):
    with pytest.raises(ValueError):
        tta_views(n)
