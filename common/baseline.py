"""The competition's classical baseline on an experiment's validation folds: the AUC a network must beat.

    python -m common.baseline --exp exp0012 [--fold K] [--set key=value ...]

Scores the same samples as the experiment's out-of-fold predictions (its data_dir, n_folds, seed, folds)
with the competition's classical statistic (SETI: incoherent dedoppler, ON minus OFF; G2Net: whitened
excess power), which needs no training, and prints its AUC beside the experiment's CV AUC when
outputs/<exp>/oof.csv exists.

`classical_features` gives the competition's classical statistics (the inputs blend.py adds with --classical),
computed once per set of samples and cached under `<output_dir>/classical/` (a data_dir may be read-only).
"""
import argparse
import hashlib
import json
import os
from pathlib import Path

import pandas as pd
from sklearn.metrics import roc_auc_score

from common.competition import competition
from common.config import add_config_args, config_from_args
from common.errors import cli


def features_fingerprint(cfg, df: pd.DataFrame) -> str:
    """What the statistics of df's samples depend on: the competition, the ids, the files (their real paths: data
    folders that link the same files share a cache) and the settings."""
    comp = competition(cfg)
    made_by = dict(competition=cfg.competition, ids=list(df["id"]), files=[os.path.realpath(p) for p in df["path"]],
                   settings=comp.classical_settings(cfg))
    return hashlib.sha256(json.dumps(made_by, sort_keys=True, default=str).encode()).hexdigest()[:16]


def classical_features(cfg, df: pd.DataFrame) -> pd.DataFrame:
    """The competition's classical statistics of df's samples, one column each, in df's row order (index 0..N-1);
    read from `<output_dir>/classical/<competition>-<fingerprint>.csv` when made before with the same ids and
    settings, else computed and written there."""
    cache = Path(cfg.output_dir) / "classical" / f"{cfg.competition}-{features_fingerprint(cfg, df)}.csv"
    if cache.is_file():
        return pd.read_csv(cache)
    features = competition(cfg).classical_features(cfg, df.reset_index(drop=True))
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    features.to_csv(tmp, index=False)
    tmp.replace(cache)  # a run stopped while writing leaves no partial cache
    return features


def baseline_auc(cfg) -> tuple[float, int]:
    """AUC of the classical baseline over the folds cfg trains, and the number of samples scored."""
    df = competition(cfg).read_train(cfg)
    df = df[df.fold.isin(cfg.fold_ids())]
    scores = competition(cfg).classical_scores(cfg, df)
    return roc_auc_score(df["target"].round(), scores), len(df)


@cli
def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m common.baseline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    cfg = config_from_args(parser.parse_args(argv))
    auc, n = baseline_auc(cfg)
    line = f"{cfg.exp} ({cfg.competition}): classical baseline AUC {auc:.4f} on folds " \
           f"{' '.join(map(str, cfg.fold_ids()))} ({n} samples)"
    oof_csv = cfg.exp_dir() / "oof.csv"
    if oof_csv.is_file():
        oof = pd.read_csv(oof_csv)
        oof = oof[oof.fold.isin(cfg.fold_ids())]
        line += f"; the network's CV AUC on the same samples {roc_auc_score(oof['target'].round(), oof['pred']):.4f}"
    print(line)


if __name__ == "__main__":
    main()
