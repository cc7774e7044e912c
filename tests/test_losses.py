import dataclasses
import sys

import pytest
import torch
import torch.nn.functional as F

from common.seti.config import Config
from common.errors import UserError
from common.losses import build_loss

TARGETS = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0])


def loss_named(name: str):
    return build_loss(dataclasses.replace(Config(), loss=name))


def test_bce_matches_torch():
    logits = torch.randn(8)
    targets = torch.tensor([1.0, 0.0, 0.3, 0.0, 1.0, 0.9, 0.0, 0.0])
    assert torch.allclose(loss_named("bce")(logits, targets), F.binary_cross_entropy_with_logits(logits, targets))


def test_bce_pos_weight_scales_the_positive_term_only():
    logits, targets = torch.randn(8), torch.tensor([1.0, 0.0, 0.5, 0.0, 1.0, 0.0, 0.0, 0.0])
    weighted = build_loss(dataclasses.replace(Config(), pos_weight=4.0))(logits, targets)
    pos = -(targets * F.logsigmoid(logits)).mean()
    neg = -((1 - targets) * F.logsigmoid(-logits)).mean()
    assert torch.allclose(weighted, 4 * pos + neg)
    with pytest.raises(UserError, match="pos_weight"):
        build_loss(dataclasses.replace(Config(), loss="roc_auc", pos_weight=4.0))


def test_roc_auc_prefers_well_ranked_logits_and_backpropagates():
    loss = loss_named("roc_auc")
    good = (TARGETS * 4 - 2).requires_grad_()
    value = loss(good, TARGETS)
    assert value < loss(-good.detach(), TARGETS)
    logits = torch.randn(8, requires_grad=True)
    loss(logits, TARGETS).backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_roc_auc_single_class_and_soft_targets():
    loss = loss_named("roc_auc")
    logits = torch.randn(4, requires_grad=True)
    value = loss(logits, torch.zeros(4))
    value.backward()
    assert value.item() == 0 and logits.grad is not None
    soft = torch.tensor([0.9, 0.2, 0.6, 0.4])
    hard = (soft >= 0.5).float()
    assert torch.equal(loss(logits, soft), loss(logits, hard))


def test_libauc_runs_and_trains_its_parameters():
    pytest.importorskip("libauc")
    loss = loss_named("libauc")
    assert {name.rsplit(".", 1)[-1] for name, _ in loss.named_parameters()} == {"a", "b", "alpha"}
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(list(model.parameters()) + list(loss.parameters()), lr=0.1)
    x = torch.randn(8, 4)
    before = [p.detach().clone() for p in loss.parameters()]
    for _ in range(3):
        value = loss(model(x).squeeze(1), TARGETS)
        assert value.dim() == 0 and torch.isfinite(value)
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    assert all(not torch.equal(b, p) for b, p in zip(before, loss.parameters()))
    assert loss.aucm.alpha.item() > 0  # alpha is maximised (the min-max's ascent step), not minimised


def test_libauc_missing_is_a_user_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "libauc.losses", None)
    with pytest.raises(UserError, match="LibAUC"):
        loss_named("libauc")


def test_unknown_loss_is_a_user_error():
    with pytest.raises(UserError):
        loss_named("focal")
