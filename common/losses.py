"""Training losses: logits (B,) and targets (B,) in [0, 1] -> a scalar."""
import torch
from torch import nn
from torch.func import functional_call

from common.errors import UserError


class PairwiseAUCLoss(nn.Module):
    """Differentiable ROC-AUC surrogate: mean squared hinge max(0, margin - (s_pos - s_neg))^2 over every
    positive/negative pair of logits in the batch. Targets >= 0.5 count as positive; a batch without
    both classes gives 0 (with a graph, so backward still works)."""

    def __init__(self, margin: float = 1.0):
        super().__init__()
        self.margin = margin

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits, positive = logits.flatten(), targets.flatten() >= 0.5
        margins = logits[positive][:, None] - logits[~positive][None, :]
        if margins.numel() == 0:
            return logits.sum() * 0.0
        return torch.relu(self.margin - margins).pow(2).mean()


class LibAUCMLoss(nn.Module):
    """LibAUC's AUC-margin loss (AUCMLoss, v1) taking logits, trainable with an ordinary optimiser.

    AUCMLoss scores sigmoid probabilities against hard 0/1 labels (targets are thresholded at 0.5). Its
    parameters a, b (minimised) and alpha (maximised, alpha >= 0) are nn.Parameters of this module;
    alpha's gradient is reversed and alpha is clamped to >= 0 before each use, which does LibAUC's PESG
    ascent-and-projection step for alpha with any minimising optimiser.
    """

    def __init__(self, margin: float = 1.0):
        super().__init__()
        try:
            from libauc.losses import AUCMLoss
        except ImportError as e:
            raise UserError("loss=libauc needs LibAUC, which is not installed: "
                            "pip install libauc==2.0.1 (or pip install -r requirements.txt)") from e
        self.aucm = AUCMLoss(margin=margin, device=torch.device("cpu"))

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        alpha = self.aucm.alpha
        with torch.no_grad():
            alpha.clamp_(min=0)
        reversed_alpha = 2 * alpha.detach() - alpha  # same value, gradient negated
        probs = torch.sigmoid(logits.flatten().float())
        labels = (targets.flatten() >= 0.5).float()
        return functional_call(self.aucm, {"alpha": reversed_alpha}, (probs, labels)).squeeze()


def weighted_bce(pos_weight: float = 1.0) -> nn.Module:
    """BCE on logits with the positive term weighted by pos_weight (soft targets: in proportion)."""
    return nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight) if pos_weight != 1.0 else None)


LOSSES = {"bce": weighted_bce, "roc_auc": PairwiseAUCLoss, "libauc": LibAUCMLoss}


def build_loss(cfg) -> nn.Module:
    """The loss module named by cfg.loss (bce | roc_auc | libauc); train its parameters with the model's.
    `pos_weight` applies to bce only."""
    if cfg.loss not in LOSSES:
        raise UserError(f"loss={cfg.loss!r} is not one of {', '.join(LOSSES)}")
    if cfg.pos_weight != 1.0 and cfg.loss != "bce":
        raise UserError(f"pos_weight={cfg.pos_weight} applies to loss=bce only, not loss={cfg.loss}")
    return weighted_bce(cfg.pos_weight) if cfg.loss == "bce" else LOSSES[cfg.loss]()
