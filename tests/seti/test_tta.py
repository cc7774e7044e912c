import itertools

import pytest
import torch

import dataclasses

from common.seti import competition
from common.seti.augment import flip_freq
from common.seti.cadence import OFF_SCANS, ON_SCANS
from common.seti.config import Config
from common.seti.tta import IDENTITY, VIEWS, apply_view, trained_views, tta_views
from seti.test_augment import drifting_line, straightness


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
    assert {(v.freq_flip, v.time_reverse) for v in tta_views(4)} == set(itertools.product((False, True), repeat=2))


@pytest.mark.parametrize("n", [0, 3, 5, 32])  # 0 means "the trained views" in the config, not here
def test_bad_view_count_raises(n):
    with pytest.raises(ValueError):
        tta_views(n)


def consistent(view) -> bool:
    return (view.on_order, view.off_order) == (IDENTITY, IDENTITY)


@pytest.mark.parametrize("view", [v for v in VIEWS if consistent(v)], ids=str)
def test_consistent_views_keep_a_drifting_line_straight_and_where_it_was(view):
    for scans, empty in ((ON_SCANS, OFF_SCANS), (OFF_SCANS, ON_SCANS)):
        out = apply_view(drifting_line(scans), view)
        assert out[list(empty)].abs().sum() == 0  # ON-only stays ON-only (label kept), OFF-only OFF-only
        assert straightness(out, scans) <= 1.0  # and the track stays one straight line over global time


@pytest.mark.parametrize("view", [v for v in VIEWS if v.on_order != IDENTITY], ids=str)
def test_cyclic_on_orders_keep_the_label_but_break_the_track(view):
    out = apply_view(drifting_line(ON_SCANS), view)
    assert out[list(OFF_SCANS)].abs().sum() == 0
    assert straightness(out, ON_SCANS) > 20


def cfg_with(**changes) -> Config:
    return dataclasses.replace(Config(), **changes)


def test_default_views_follow_the_training_augmentations():
    assert Config().tta == 0
    assert competition.tta_views(Config(), 0) == [VIEWS[0]]  # nothing trained: the identity only
    assert [str(v) for v in competition.tta_views(cfg_with(flip_freq=0.5), 0)] == ["identity", "freq flip"]
    both = competition.tta_views(cfg_with(flip_freq=0.5, flip_time=0.5), 0)
    assert both == tta_views(4) and all(consistent(v) for v in both)
    shuffled = trained_views(cfg_with(flip_time=0.5, shuffle_cons=0.5))
    assert len(shuffled) == 8 and not any(v.freq_flip for v in shuffled)
    assert len(trained_views(cfg_with(flip_freq=1, flip_time=1, shuffle_cons=1))) == 16
    assert competition.tta_views(Config(), 16) == list(VIEWS)  # tta=N stays the user's override
