"""Scoring and submissions: combining TTA views and folds, temperature scaling, validation."""
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.special import expit as sigmoid
from scipy.stats import rankdata

from common.errors import UserError


def combine(logits: np.ndarray, how: str) -> np.ndarray:
    """Average (..., N) logits over all leading axes (folds, views) into N scores in [0, 1].

    prob: mean of probabilities; logit: sigmoid of the mean logit; rank: mean of per-model ranks
    scaled to [0, 1] (only the order of the result is meaningful, which is all AUC needs).
    """
    flat = logits.reshape(-1, logits.shape[-1])
    if how == "prob":
        return sigmoid(flat).mean(0)
    if how == "logit":
        return sigmoid(flat.mean(0))
    if how == "rank":
        ranks = np.stack([rankdata(row) for row in flat])
        return (ranks.mean(0) - 1) / max(flat.shape[-1] - 1, 1)
    raise ValueError(f"unknown averaging {how!r}")


def fit_temperature(logits, targets, steps: int = 200) -> float:
    """Temperature T minimising the BCE of sigmoid(logits / T) (fitted on OOF predictions)."""
    z = torch.as_tensor(np.asarray(logits), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(targets), dtype=torch.float64)
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=steps)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp())


def folds_csv(submission) -> Path:
    """Where the per-fold test predictions of `submission` go (evaluate.py writes them, pseudo labels read them):
    <name>_folds.csv next to it."""
    submission = Path(submission)
    return submission.with_name(f"{submission.stem}_folds.csv")


def logits_csv(submission) -> Path:
    """Where every fold model's test logits on every view go (evaluate.py writes them, blend.py reads them):
    <name>_logits.csv next to the submission, one row per (id, fold), one column per view."""
    submission = Path(submission)
    return submission.with_name(f"{submission.stem}_logits.csv")


def views_table(ids, folds, logits: np.ndarray) -> pd.DataFrame:
    """(id, fold, view0, view1, ...) rows from ids (N,) and `logits` (views, N) of the fold models `folds` (N,)."""
    return pd.DataFrame({"id": np.asarray(ids), "fold": np.asarray(folds),
                         **{f"view{i}": v for i, v in enumerate(logits)}})


def validate_submission(sub: pd.DataFrame, sample: pd.DataFrame, path) -> None:
    """Refuse a submission that Kaggle would reject or score wrongly: same ids as the sample, one row
    each, in its order, targets finite and in [0, 1]."""
    if list(sub.columns) != ["id", "target"]:
        raise UserError(f"{path}: columns must be id,target (found {','.join(map(str, sub.columns))})")
    dup = sub["id"][sub["id"].duplicated()]
    if len(dup):
        raise UserError(f"{path}: {dup.nunique()} ids appear more than once (e.g. {', '.join(dup.iloc[:3])})")
    missing, extra = set(sample["id"]) - set(sub["id"]), set(sub["id"]) - set(sample["id"])
    if missing or extra:
        raise UserError(f"{path}: {len(missing)} ids of sample_submission.csv missing and {len(extra)} "
                        "unknown ids")
    if list(sub["id"]) != list(sample["id"]):
        raise UserError(f"{path}: rows are not in sample_submission.csv order")
    target = pd.to_numeric(sub["target"], errors="coerce")
    bad = ~np.isfinite(target) | (target < 0) | (target > 1)
    if bad.any():
        raise UserError(f"{path}: {int(bad.sum())} targets are not finite numbers in [0, 1] "
                        f"(e.g. id {sub['id'][bad].iloc[0]})")
