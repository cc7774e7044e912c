"""Blend experiments, and the competition's classical statistics, into one submission scored out of fold.

    python blend.py --exps exp0025 exp0027 [--classical] [--method logistic|mean|rank] [--set key=value ...]
        [--out PATH]

Inputs of each experiment (pass the --set options used in training, as to evaluate.py):
- its out-of-fold logits: `outputs/<exp>/oof_views.csv` (evaluate.py --oof: every view) when it has the views
  of the test logits, else `outputs/<exp>/oof.csv` (main.py: one view), blended with the test's first view;
- its test logits: `outputs/<exp>/submission_logits.csv` (evaluate.py: every fold model on every view).
`--classical` adds the competition's classical statistics (common.baseline.classical_features; cached under
`<output_dir>/classical/`). The experiments must share the competition and the fold split.

`logistic` is fitted on the out-of-fold rows (each experiment's logit averaged over its views) and applied to
each fold model's test logits, the outputs averaged over the fold models: fitted and applied on the same kind
of input. `mean` and `rank` combine each experiment's own submission score (its folds and views averaged as
its tta_average) with the statistics. The CV AUC of every input and of the blend is printed on the same
out-of-fold samples; the blend's is out of fold (common.blend.cross_validate).

Writes the submission (default `<output_dir>/blend/<name>/submission.csv`), beside it `<stem>_weights.json`
(method, inputs, weights, CV AUCs) and `<stem>_oof.csv` (every input's and the blend's out-of-fold score).
"""
import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from common.baseline import classical_features
from common.blend import METHODS, Blend, apply_per_fold, cross_validate
from common.competition import competition, saved_settings
from common.config import load_config
from common.errors import UserError, cli
from common.metrics import combine, logits_csv, validate_submission

SPLIT_KEYS = ("competition", "n_folds", "seed", "data_dir")  # what makes the fold split


def check_split(cfgs: list) -> None:
    """The experiments share one competition and fold split, and each trained on the split its config names."""
    for key in SPLIT_KEYS:
        values = {cfg.exp: getattr(cfg, key) for cfg in cfgs}
        if len(set(map(str, values.values()))) > 1:
            raise UserError(f"the experiments differ in {key} ({', '.join(f'{e}: {v}' for e, v in values.items())});"
                            " a blend needs one competition and one fold split")
    for cfg in cfgs:
        saved = cfg.exp_dir() / "config.json"
        if not saved.is_file():
            raise UserError(f"{saved} not found; train {cfg.exp} first (python main.py --exp {cfg.exp})")
        trained = saved_settings(cfg, json.loads(saved.read_text()))
        for key in SPLIT_KEYS:
            if str(trained[key]) != str(getattr(cfg, key)):
                raise UserError(f"{cfg.exp} was trained with {key}={trained[key]!r} (config: {getattr(cfg, key)!r}); "
                                "pass the --set options used in training")


def read_csv(path: Path, command: str) -> pd.DataFrame:
    if not path.is_file():
        raise UserError(f"{path} not found; write it with `{command}`")
    return pd.read_csv(path, dtype={"id": str})


def view_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c.startswith("view")]


def experiment_logits(cfg, overrides: str, test: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """An experiment's out-of-fold rows (id, target, fold, view...: oof_views.csv when it has the test's views,
    else oof.csv's one view), its test rows (id, fold, view...: every view; `test`, else the table evaluate.py
    wrote) and a sentence saying which views the out-of-fold rows hold."""
    if test is None:
        test = read_csv(logits_csv(cfg.exp_dir() / "submission.csv"), f"python evaluate.py --exp {cfg.exp}{overrides}")
    views = view_columns(test)
    oof_views = cfg.exp_dir() / "oof_views.csv"
    if oof_views.is_file() and view_columns(pd.read_csv(oof_views, nrows=1)) == views:
        return pd.read_csv(oof_views, dtype={"id": str}), test, f"{len(views)} views (oof_views.csv)"
    oof = read_csv(cfg.exp_dir() / "oof.csv", f"python main.py --exp {cfg.exp}{overrides}")
    how = "the first view (oof.csv)"
    if len(views) > 1:
        how += f"; `python evaluate.py --exp {cfg.exp} --oof --tta {len(views)}` gives it all {len(views)}"
    return oof.rename(columns={"logit": "view0"})[["id", "target", "fold", "view0"]], test, how


def input_tables(cfgs: list, method: str, overrides: str, test_logits: dict | None = None):
    """(out-of-fold rows, test rows, notes): one column per experiment. logistic: the experiment's logit
    averaged over the out-of-fold rows' views, test rows per fold model on the same views; mean and rank: its
    submission's score (all folds and views), one test row per sample (fold -1). test_logits: {exp: the table
    evaluate.py writes}, for test samples scored elsewhere (bench.sensitivity)."""
    train = test = None
    notes = []
    for cfg in cfgs:
        oof, logits, how = experiment_logits(cfg, overrides, (test_logits or {}).get(cfg.exp))
        views = view_columns(oof)
        if method == "logistic":  # fitted: the test rows hold the views the fit saw
            oof = oof.assign(**{cfg.exp: oof[views].mean(axis=1)})[["id", "target", "fold", cfg.exp]]
            rows = logits.assign(**{cfg.exp: logits[views].mean(axis=1)})[["id", "fold", cfg.exp]]
        else:
            oof = oof.assign(**{cfg.exp: combine(oof[views].to_numpy().T, cfg.tta_average)})[["id", "target", "fold", cfg.exp]]
            ids, test_views = logits["id"].drop_duplicates(), view_columns(logits)
            per_fold = np.stack([part.set_index("id").loc[ids, test_views].to_numpy().T
                                 for _, part in logits.groupby("fold")])
            rows = pd.DataFrame({"id": ids.to_numpy(), "fold": -1, cfg.exp: combine(per_fold, cfg.tta_average)})
        notes.append(f"{cfg.exp}: {len(oof)} out-of-fold rows, folds {' '.join(map(str, sorted(oof.fold.unique())))}, "
                     f"{how}")
        train = oof if train is None else merge_same(train, oof, ["id", "target", "fold"], "out-of-fold samples")
        test = rows if test is None else merge_same(test, rows, ["id", "fold"], "test rows (fold models x samples)")
    return train, test, notes


def merge_same(left: pd.DataFrame, right: pd.DataFrame, on: list[str], what: str) -> pd.DataFrame:
    """Join two experiments' rows, which must be the same rows."""
    merged = left.merge(right, on=on, how="inner")
    if len(merged) != len(left) or len(merged) != len(right):
        raise UserError(f"{right.columns[-1]} and {left.columns[-1]} do not share their {what} ({len(right)} and "
                        f"{len(left)} rows, {len(merged)} in common): train and evaluate the same folds of each")
    return merged


def add_classical(cfg, train: pd.DataFrame, test: pd.DataFrame, samples: pd.DataFrame):
    """train and test with the competition's classical statistics as columns (the same for every fold model) and
    their names; the test statistics from `samples` (id, path)."""
    labelled = competition(cfg).read_train(cfg).set_index("id").loc[train["id"]].reset_index()
    train = train.join(classical_features(cfg, labelled).set_index(train.index))
    unique = samples.set_index("id").loc[test["id"].drop_duplicates()].reset_index()
    features = classical_features(cfg, unique).set_index(unique["id"])
    test = test.join(features, on="id")
    return train, test, list(features.columns)


def auc_table(train: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    y = train["target"].round()
    return pd.DataFrame({"input": columns, "CV AUC": [roc_auc_score(y, train[c]) for c in columns]})


def blend(cfgs: list, method: str = "logistic", classical: bool = False, overrides: str = "",
          test_logits: dict | None = None, samples: pd.DataFrame | None = None, out_of_fold: bool = True):
    """The blend of the experiments cfgs (and the classical statistics): (blend fitted on all out-of-fold rows,
    out-of-fold table with a `blend` column, test scores in the order of `samples`, notes). samples: the test
    samples (id, path; default sample_submission.csv's), scored by test_logits ({exp: evaluate.py's table},
    default the files evaluate.py wrote). out_of_fold=False skips the `blend` column (its cross-validation needs
    2 folds; the fit and the test scores do not)."""
    check_split(cfgs)
    samples = competition(cfgs[0]).read_test(cfgs[0]) if samples is None else samples
    train, test, notes = input_tables(cfgs, method, overrides, test_logits)
    inputs = [cfg.exp for cfg in cfgs]
    if classical:
        train, test, stats = add_classical(cfgs[0], train, test, samples)
        inputs += stats
    model = Blend(method, inputs)
    if out_of_fold:
        if method == "logistic" and train["fold"].nunique() < 2:
            raise UserError("a logistic blend is scored out of fold: it needs the out-of-fold rows of 2 folds or "
                            "more (train all folds of each experiment)")
        train["blend"] = cross_validate(model, train)
    return model.fit(train), train, apply_per_fold(model, test, samples["id"]), notes


def write_outputs(cfg, model: Blend, train: pd.DataFrame, scores: np.ndarray, out: Path, table: pd.DataFrame) -> None:
    sample = competition(cfg).read_test(cfg)
    sub = pd.DataFrame({"id": sample["id"].to_numpy(), "target": scores})
    validate_submission(sub, sample, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sub.to_csv(out, index=False)
    train.to_csv(out.with_name(f"{out.stem}_oof.csv"), index=False)
    record = dict(method=model.method, inputs=model.inputs, weights=model.weights(),
                  cv_auc=dict(zip(table["input"], table["CV AUC"].round(5))))
    out.with_name(f"{out.stem}_weights.json").write_text(json.dumps(record, indent=2))


@cli
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exps", nargs="+", required=True, help="experiments to blend (trained and evaluated)")
    p.add_argument("--classical", action="store_true", help="add the competition's classical statistics as inputs")
    p.add_argument("--method", choices=METHODS, default="logistic", help="second-level model (default logistic)")
    p.add_argument("--set", nargs="+", action="append", default=[], metavar="KEY=VALUE",
                   help="config overrides of every experiment, as in training (data_dir=..., output_dir=...)")
    p.add_argument("--out", help="submission path (default <output_dir>/blend/<name>/submission.csv)")
    args = p.parse_args(argv)
    overrides = [v for group in args.set for v in group]
    cfgs = [load_config(exp, overrides) for exp in dict.fromkeys(args.exps)]
    hint = f" --set {' '.join(overrides)}" if overrides else ""
    model, train, scores, notes = blend(cfgs, args.method, args.classical, hint)
    table = auc_table(train, [*model.inputs, "blend"])
    print("\n".join(notes))
    print(f"\n| input | CV AUC |\n|---|---:|\n" + "\n".join(f"| {r.input} | {r._2:.4f} |" for r in table.itertuples()))
    print(f"{args.method} blend: CV AUC {table['CV AUC'].iloc[-1]:.4f} out of fold ({len(train)} samples); weights "
          + ", ".join(f"{k} {v:+.3f}" for k, v in model.weights().items()))
    name = "+".join([*(c.exp for c in cfgs), *(["classical"] if args.classical else [])]) + f"-{args.method}"
    out = Path(args.out or Path(cfgs[0].output_dir) / "blend" / name / "submission.csv")
    write_outputs(cfgs[0], model, train, scores, out, table)
    print(f"wrote {out} ({len(scores)} rows), {out.with_name(out.stem + '_weights.json')} and "
          f"{out.with_name(out.stem + '_oof.csv')}")


if __name__ == "__main__":
    main()
