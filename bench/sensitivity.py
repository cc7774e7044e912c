"""Sensitivity: which needles does a trained experiment find, against a classical Doppler-drift search?

    python -m bench.sensitivity --exp exp0012 --set KEY=VALUE ... --data-dir DIR [--fpr 0.01] [--tta 16]
        [--stack] [--write] [--doc docs/BENCHMARKS.md] [--png docs/sensitivity.png]

Scores the `test` split of a synthetic set (python -m common.seti.synth; its labels and signal parameters
are in synth_meta.csv) with the experiment's fold checkpoints (evaluate.py's loading, views and
averaging; pass the --set options used in training) and with the classical search below. For each
method the threshold is the (1 - fpr) quantile of the negatives' scores; a cadence scoring above it is
flagged. Reported per SNR bin, |drift rate| bin, path shape and kind: AUC (needles of the bin against
all negatives) and detection rate (share of the bin's needles flagged).

The classical search is SETI's baseline, an incoherent dedoppler (common/seti/baseline.py).

--stack adds a third method, `blend`: blend.py's logistic regression on the network's logit and the cadence's
10 dedoppler statistics (`python blend.py --exps EXP --classical`), fitted on the experiment's out-of-fold
logits of its training cadences (oof.csv, or oof_views.csv with the views scored here; the cadences are read
from the data_dir in the run's config.json) and applied to each fold model's test logits, the outputs
averaged. Each method's AUC comes with its difference to the classical search and that difference's 95%
paired bootstrap interval.
"""
import dataclasses
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score

import blend
from bench import report
from common.accel import make_accelerator
from common.competition import competition
from common.config import add_config_args, config_from_args
from common.seti.baseline import classical_scores
from common.seti.dedoppler import MAX_DRIFT
from common.seti.data import read_test
from common.errors import UserError, cli
from common.metrics import combine, views_table
from evaluate import load_fold_models, predict_views

METHODS = ("network", "classical", "blend")  # those a run scores, in this order (blend: with --stack)
DRIFT_EDGES = (0, 2, 5, 10, 20, 30, np.inf)  # |drift rate|, channels per scan
NEGATIVE_KINDS = ("noise", "rfi", "off_only")


def network_logits(cfg, df: pd.DataFrame, n_views: int) -> np.ndarray:
    """(folds, views, len(df)) logits: all the experiment's fold checkpoints on n_views views of df."""
    accelerator = make_accelerator(cfg)
    models = load_fold_models(cfg, accelerator)
    return predict_views(cfg, list(models.values()), df, n_views, accelerator, f"{cfg.exp} x{n_views}")


def training_config(cfg):
    """cfg with the data_dir its folds trained on (the run's config.json; the test set may be elsewhere)."""
    saved = cfg.exp_dir() / "config.json"
    return dataclasses.replace(cfg, data_dir=json.loads(saved.read_text())["data_dir"]) if saved.is_file() else cfg


def blend_scores(cfg, df: pd.DataFrame, logits: np.ndarray, fold_ids) -> np.ndarray:
    """blend.py's logistic blend of the network and the competition's classical statistics, applied to df's
    samples scored by `logits` (fold models, views, len(df)) of the folds fold_ids."""
    table = pd.concat([views_table(df["id"], fold, fold_logits) for fold, fold_logits in zip(fold_ids, logits)])
    model, train, scores, notes = blend.blend([training_config(cfg)], "logistic", classical=True,
                                              test_logits={cfg.exp: table}, samples=df[["id", "path"]],
                                              out_of_fold=False)
    print("\n".join(notes))
    return scores


def test_set(data_dir) -> pd.DataFrame:
    """The test cadences with their synth_meta.csv labels (`shape` is the signal's path shape)."""
    meta_csv = Path(data_dir) / "synth_meta.csv"
    if not meta_csv.is_file():
        raise UserError(f"{meta_csv} not found; sensitivity needs a synthetic set made by "
                        f"python -m common.seti.synth --out {data_dir}")
    meta = pd.read_csv(meta_csv, dtype={"id": str}, keep_default_na=False)
    meta = meta[meta.split == "test"].rename(columns={"path": "shape"})
    df = read_test(data_dir).drop(columns="target").merge(meta, on="id", how="left")
    if df["kind"].isna().any():
        raise UserError(f"{meta_csv} does not describe the test cadences of {data_dir}; regenerate the set")
    if not (df.target == 1).any() or not (df.target == 0).any():
        raise UserError(f"the test split of {data_dir} needs needles and negatives; generate more test cadences")
    return df.reset_index(drop=True)


def methods(df: pd.DataFrame) -> list[str]:
    """The methods df holds scores of."""
    return [m for m in METHODS if m in df]


def rates(df: pd.DataFrame, fpr: float) -> pd.DataFrame:
    """df with a `<method>_flagged` column per method (score above the (1 - fpr) negatives quantile)."""
    negatives = df[df.target == 0]
    return df.assign(**{f"{m}_flagged": df[m] > np.quantile(negatives[m], 1 - fpr) for m in methods(df)})


def auc(needles: pd.DataFrame, negatives: pd.DataFrame, method: str) -> float:
    if needles.empty or negatives.empty:
        return float("nan")
    y = np.r_[np.ones(len(needles)), np.zeros(len(negatives))]
    return roc_auc_score(y, np.r_[needles[method], negatives[method]])


def bootstrap(df: pd.DataFrame, statistic, n_boot: int = 2000, seed: int = 0):
    """statistic(needles, negatives) over all samples, with its 95% bootstrap interval (positives and negatives
    resampled separately; a statistic of several methods scores them all on the same resample: paired)."""
    rng = np.random.default_rng(seed)
    needles, negatives = df[df.target == 1], df[df.target == 0]
    boots = [statistic(needles.iloc[rng.integers(len(needles), size=len(needles))],
                       negatives.iloc[rng.integers(len(negatives), size=len(negatives))]) for _ in range(n_boot)]
    low, high = np.quantile(boots, [0.025, 0.975])
    return statistic(needles, negatives), low, high


def auc_interval(df: pd.DataFrame, method: str, n_boot: int = 2000, seed: int = 0):
    """`method`'s AUC over all samples, with its 95% bootstrap interval."""
    return bootstrap(df, lambda pos, neg: auc(pos, neg, method), n_boot, seed)


def auc_difference(df: pd.DataFrame, method: str = "network", reference: str = "classical", n_boot: int = 2000,
                   seed: int = 0):
    """`method`'s AUC - `reference`'s over all samples, with its 95% paired bootstrap interval."""
    return bootstrap(df, lambda pos, neg: auc(pos, neg, method) - auc(pos, neg, reference), n_boot, seed)


def by_bin(df: pd.DataFrame, column: str, bins) -> pd.DataFrame:
    """Per bin of the needles' `column`: count, AUC against all negatives and detection rate per method."""
    needles, negatives = df[df.target == 1], df[df.target == 0]
    rows = []
    for name, part in needles.groupby(bins, observed=True, sort=True):
        row = {column: name, "needles": len(part)}
        for m in methods(df):
            row[f"{m} AUC"] = auc(part, negatives, m)
            row[f"{m} detected"] = part[f"{m}_flagged"].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def by_kind(df: pd.DataFrame) -> pd.DataFrame:
    """Per kind: count, score median and 99th percentile, share flagged; AUC of needles against that kind
    (against all negatives on the needle row)."""
    needles = df[df.target == 1]
    rows = []
    for kind in ("needle", *NEGATIVE_KINDS):
        part = df[df.kind == kind]
        row = {"kind": kind, "n": len(part)}
        for m in methods(df):
            row[f"{m} median"], row[f"{m} p99"] = np.quantile(part[m], [0.5, 0.99]) if len(part) else (np.nan,) * 2
            row[f"{m} flagged"] = part[f"{m}_flagged"].mean()
            row[f"{m} AUC"] = auc(needles, df[df.target == 0] if kind == "needle" else part, m)
        rows.append(row)
    return pd.DataFrame(rows)


def snr_bins(needles: pd.DataFrame, n_bins: int) -> pd.Categorical:
    """Geometric SNR bins spanning the needles' SNR range."""
    edges = np.geomspace(needles.snr.min() * 0.999, needles.snr.max() * 1.001, n_bins + 1)
    return pd.cut(needles.snr, edges, labels=[f"{a:.1f}-{b:.1f}" for a, b in zip(edges, edges[1:])])


def drift_bins(needles: pd.DataFrame) -> pd.Categorical:
    labels = [f"{a:g}-{b:g}" if np.isfinite(b) else f">{a:g}" for a, b in zip(DRIFT_EDGES, DRIFT_EDGES[1:])]
    return pd.cut(needles.drift_rate.abs(), DRIFT_EDGES, labels=labels, include_lowest=True)


def bin_centres(labels) -> np.ndarray:
    """Geometric centres of "a-b" bin labels."""
    return np.array([np.sqrt(np.prod([float(v) for v in label.split("-")])) for label in labels])


def snr_at_half(snr: np.ndarray, detected: np.ndarray) -> str:
    """SNR where the detection rate first reaches 50%, interpolated in log SNR between bin centres."""
    if detected[0] >= 0.5:
        return f"{snr[0]:.1f} or below"
    for i in range(1, len(snr)):
        if detected[i] >= 0.5:
            w = (0.5 - detected[i - 1]) / (detected[i] - detected[i - 1])
            return f"{np.exp((1 - w) * np.log(snr[i - 1]) + w * np.log(snr[i])):.1f}"
    return f"above {snr[-1]:.1f}"


def spans(labels: pd.Series, mask: np.ndarray) -> str:
    """The bins of ordered "a-b" labels where mask holds, runs of neighbouring bins merged ("4.0-8.6, 12.7-18.5")."""
    runs, start = [], None
    for i, hit in enumerate([*mask, False]):
        if hit and start is None:
            start = i
        elif not hit and start is not None:
            runs.append(f"{labels.iloc[start].split('-')[0]}-{labels.iloc[i - 1].split('-')[1]}")
            start = None
    return ", ".join(runs)


def answer(snr_table: pd.DataFrame, fpr: float, method: str = "network") -> str:
    """The sentence: at what SNR does `method` (the network, or the blend) find needles that the classical
    search misses?

    A bin counts as won by a method when its detection rate is ahead by more than two standard errors
    of the difference (binomial, the two methods taken as independent).
    """
    snr = bin_centres(snr_table.snr)
    net, cls, n = (snr_table[c].to_numpy() for c in (f"{method} detected", "classical detected", "needles"))
    se = np.sqrt((net * (1 - net) + cls * (1 - cls)) / n)
    ahead, behind = spans(snr_table.snr, net - cls > 2 * se), spans(snr_table.snr, cls - net > 2 * se)
    text = (f"At a {fpr * 100:g}% false-alarm rate the {method} detects half of the needles at SNR "
            f"{snr_at_half(snr, net)}, the classical search at SNR {snr_at_half(snr, cls)}. ")
    if ahead:
        text += f"The {method} finds needles that the classical search misses at SNR {ahead}"
    else:
        text += f"At no SNR does the {method} find needles that the classical search misses"
    if behind:
        text += f"; the classical search finds more at SNR {behind}"
    return text + " (bins whose detection rates differ by more than two standard errors)."


def plot(snr_table: pd.DataFrame, png: Path, title: str) -> Path:
    """Detection rate against SNR for each method, with binomial standard errors."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    snr, n = bin_centres(snr_table.snr), snr_table.needles.to_numpy()
    for m, style in zip(METHODS, ("o-", "s--", "D-")):
        if f"{m} detected" not in snr_table:
            continue
        p = snr_table[f"{m} detected"].to_numpy()
        ax.errorbar(snr, p, yerr=np.sqrt(p * (1 - p) / n), fmt=style, capsize=3, label=m)
    ax.set(xscale="log", xlabel="SNR (per scan, setigen convention; bin centres)", ylabel="detection rate",
           ylim=(-0.02, 1.02), title=title)
    ax.set_xticks(snr, [f"{v:.1f}" for v in snr])
    ax.minorticks_off()
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    return png


def to_markdown(table: pd.DataFrame) -> str:
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    return report.markdown_table(list(table.columns), [[cell(v) for v in row] for row in table.itertuples(index=False)])


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.sensitivity", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(p)
    p.add_argument("--data-dir", help="synthetic set with synth_meta.csv (default: the config's data_dir)")
    p.add_argument("--fpr", type=float, default=0.01, help="false-alarm rate fixing the threshold (default 0.01)")
    p.add_argument("--tta", type=int, choices=(1, 2, 4, 8, 16), help="test-time views (default: config tta)")
    p.add_argument("--max-drift", type=int, default=MAX_DRIFT, help=f"classical drift grid, channels per scan (default {MAX_DRIFT})")
    p.add_argument("--snr-bins", type=int, default=6, help="number of SNR bins (default 6)")
    p.add_argument("--stack", action="store_true", help="also score blend.py's blend of the network's logit and the "
                   "dedoppler statistics (above)")
    p.add_argument("--write", action="store_true", help="write the results into --doc and the plot to --png")
    p.add_argument("--doc", default=str(report.DOC), help="Markdown file for --write (default docs/BENCHMARKS.md)")
    p.add_argument("--png", help="plot path (default: sensitivity.png next to --doc with --write, "
                                 "else in outputs/<exp>/)")
    args = p.parse_args(argv)
    if not 0 < args.fpr < 1:
        p.error("--fpr must be between 0 and 1")
    return args


def setup_line(cfg, args, df: pd.DataFrame, n_views: int, seconds: dict) -> str:
    """What was compared, on what, with the overall AUCs and the time per cadence of each method."""
    needles, negatives = df[df.target == 1], df[df.target == 0]
    folds = " ".join(map(str, cfg.fold_ids()))
    views = f"{len(competition(cfg).tta_views(cfg, n_views))} views"
    views += " (those it trained with)" if n_views == 0 else ""
    aucs = ", ".join(f"{m} {auc(needles, negatives, m):.3f}" for m in methods(df))
    times = ", ".join(f"{m} {seconds[m] / len(df) * 1000:.0f} ms" for m in methods(df))
    differences = "; ".join(f"{m} - classical {d:+.3f}, 95% paired bootstrap interval {lo:+.3f} to {hi:+.3f}"
                            for m in methods(df) if m != "classical" for d, lo, hi in [auc_difference(df, m)])
    blended = ("; blend: blend.py's logistic blend of the network's logit and the 10 dedoppler statistics, fitted "
               "out of fold on the training cadences and applied per fold model" if args.stack else "")
    return (f"{cfg.exp} ({cfg.model_name}, {cfg.layout}, {cfg.image_size} px, folds {folds}, {views}, "
            f"{cfg.tta_average} average{blended}) against the dedoppler search (drift grid +-{args.max_drift} channels "
            f"per scan) on {len(df)} test cadences of {cfg.data_dir} ({len(needles)} needles); threshold: "
            f"{args.fpr:g} false-alarm rate on the {len(negatives)} negatives. Overall AUC: {aucs} ({differences}). "
            f"Time per cadence: {times}.")


@cli
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.data_dir:
        args.set.append([f"data_dir={args.data_dir}"])
    cfg = config_from_args(args)
    df = test_set(cfg.data_dir)
    n_views = args.tta or cfg.tta
    start = time.perf_counter()
    logits = network_logits(cfg, df, n_views)
    df["network"] = combine(logits, cfg.tta_average)
    seconds = {"network": time.perf_counter() - start}
    if args.stack:
        start = time.perf_counter()
        df["blend"] = blend_scores(cfg, df, logits, cfg.fold_ids())
        seconds["blend"] = seconds["network"] + time.perf_counter() - start  # the network's logits, then the blend
    start = time.perf_counter()
    df["classical"] = classical_scores(df["path"], args.max_drift, cfg.batch_size, cfg.num_workers)
    seconds["classical"] = time.perf_counter() - start
    df = rates(df, args.fpr)

    needles = df[df.target == 1]
    tables = {
        "SNR": by_bin(df, "snr", snr_bins(needles, args.snr_bins)),
        "|drift rate| (channels per scan)": by_bin(df, "drift", drift_bins(needles)),
        "path shape": by_bin(df, "shape", needles["shape"]),
        "kind (negatives: share flagged; AUC of all needles against that kind)": by_kind(df),
    }
    sections = [f"By {name}:\n\n{to_markdown(table)}" for name, table in tables.items()]
    answers = [f"**{answer(tables['SNR'], args.fpr, m)}**" for m in methods(df) if m != "classical"]
    body = "\n\n".join([setup_line(cfg, args, df, n_views, seconds), *sections, *answers])
    print(f"\n{body}\n")

    default_png = Path(args.doc).parent if args.write else cfg.exp_dir()
    png = plot(tables["SNR"], Path(args.png or default_png / "sensitivity.png"),
               f"{cfg.exp} vs dedoppler, {args.fpr:g} false-alarm rate")
    print(f"plot: {png}")
    if args.write:
        report.replace_figure_block(args.doc, "sensitivity", "bench.sensitivity", argv, body, png,
                                    "detection rate against SNR")
        print(f"wrote the Sensitivity results to {args.doc}")


if __name__ == "__main__":
    main()
