"""Second-level models: scores of several inputs (experiments' logits, classical statistics) into one.

An input table holds one row per sample and one column per input. Training rows are out-of-fold: each row's
experiment columns come from the fold model that did not train on it (`fold` says which). A test sample has
one row per fold model (`fold` again), its experiment columns from that model, so a fitted blend is applied
to the same kind of input it was fitted on (one fold model, the same views) and the outputs are averaged.

    logistic  StandardScaler + LogisticRegression on all inputs (weights are fitted)
    mean      the mean of the inputs, each standardised over the rows it scores
    rank      the mean of the inputs' ranks over the rows they score, scaled to [0, 1]
mean and rank fit only each input's direction: an input whose AUC on the fitting rows is below 0.5 (a
classical statistic of the OFF scans, say) counts negatively.

`cross_validate` scores the training rows out of fold: for each fold k the blend is fitted on the other
folds' rows and scores fold k's, so no row's own label reaches its score.
"""
import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

METHODS = ("logistic", "mean", "rank")


class Blend:
    """A second-level model over the columns `inputs` of a table (`method`: one of METHODS)."""

    def __init__(self, method: str, inputs: list[str]):
        if method not in METHODS:
            raise ValueError(f"method {method!r} is not one of {', '.join(METHODS)}")
        self.method, self.inputs, self.model, self.signs = method, list(inputs), None, None

    def fit(self, rows: pd.DataFrame) -> "Blend":
        x, y = rows[self.inputs].to_numpy(float), rows["target"].round().astype(int)
        if self.method == "logistic":
            self.model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(x, y)
        else:
            self.signs = np.array([1.0 if roc_auc_score(y, c) >= 0.5 else -1.0 for c in x.T])
        return self

    def score(self, rows: pd.DataFrame) -> np.ndarray:
        """Scores in [0, 1] of the rows (probabilities for logistic; mean and rank: only the order counts)."""
        x = rows[self.inputs].to_numpy(float)
        if self.method == "logistic":
            return self.model.predict_proba(x)[:, 1]
        x = x * self.signs
        if self.method == "mean":
            return expit(((x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1.0)).mean(1))
        return (np.stack([rankdata(c) for c in x.T]).mean(0) - 1) / max(len(x) - 1, 1)

    def weights(self) -> dict[str, float]:
        """Each input's weight: the logistic coefficient on the standardised input (plus the intercept), or the
        equal weight, with its direction, of mean and rank."""
        if self.method != "logistic":
            return {name: sign / len(self.inputs) for name, sign in zip(self.inputs, self.signs.tolist())}
        lr = self.model[-1]
        return {**dict(zip(self.inputs, lr.coef_[0].tolist())), "intercept": float(lr.intercept_[0])}


def cross_validate(blend: Blend, train: pd.DataFrame) -> np.ndarray:
    """Out-of-fold scores of the training rows: fold k scored by the blend fitted on the other folds' rows."""
    out = np.zeros(len(train))
    for fold in np.unique(train["fold"]):
        held = (train["fold"] == fold).to_numpy()
        out[held] = blend.fit(train[~held]).score(train[held])
    return out


def apply_per_fold(blend: Blend, test: pd.DataFrame, ids) -> np.ndarray:
    """The fitted blend applied to each fold model's rows of `test` (id, fold, inputs), averaged over the fold
    models, in the order of `ids`."""
    scores = [pd.Series(blend.score(part), index=part["id"]).reindex(ids).to_numpy()
              for _, part in test.groupby("fold", sort=True)]
    return np.mean(scores, 0)
