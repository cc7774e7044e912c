"""The competition's classical baseline on an experiment's validation folds: the AUC a network must beat.

    python -m common.baseline --exp exp0012 [--fold K] [--set key=value ...]

Scores the same samples as the experiment's out-of-fold predictions (its data_dir, n_folds, seed, folds)
with the competition's classical statistic (SETI: incoherent dedoppler, ON minus OFF; G2Net: whitened
excess power), which needs no training, and prints its AUC beside the experiment's CV AUC when
outputs/<exp>/oof.csv exists.
"""
import argparse

import pandas as pd
from sklearn.metrics import roc_auc_score

from common.competition import competition
from common.config import add_config_args, config_from_args
from common.errors import cli


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
