"""Learning curve: does the network overtake the classical search as its training set grows?

    python -m bench.learning_curve --exp EXP --sizes 300 600 1500 3000 6000 12000 [--test N] [--set KEY=VALUE ...]
        [--fold K] [--work DIR] [--fpr 0.01] [--write] [--doc docs/BENCHMARKS.md] [--png PNG]

One synthetic set of the competition's default distribution (SETI: common.seti.synth, G2Net: common.g2net.synth)
is made once in <work>/data: a training pool of max(--sizes) samples and one held-out test split (--test; default
4,000 SETI cadences, 2,000 G2Net samples); a set already there is reused. Each size N gets <work>/size<N>/data:
the first N rows of the pool's labels CSV, the pool's files linked, and trains one fold's model (--fold, default
0, of the experiment's n_folds: (n_folds - 1) / n_folds of the N train it, the rest pick its best epoch and fit
the blend) with `python main.py --exp EXP --resume --set <--set> data_dir=... output_dir=<work>/size<N>/out
folds=K`, at the experiment's own budget plus --set. Then the test split is scored, as the sensitivity benches
score it (bench/sensitivity.py, bench/g2net_sensitivity.py), three ways:

- network: the fold's checkpoint on the experiment's test-time views;
- classical: SETI's dedoppler search, G2Net's matched filter on the design PSD (computed once for all sizes);
- blend: blend.py's logistic blend (`--classical`) of the network's logit and the classical statistics, fitted on
  the fold's validation samples (evaluate.py --oof's views) and applied to the test logits (the test split's
  statistics computed once for all sizes, in <work>/classical_features).

For each size: each method's test AUC with its 95% bootstrap interval, the network's and the blend's difference to
the classical search and the blend's to the network, with their paired intervals, the training minutes (the
main.py call that finished the size), and each method's detection rate at --fpr false alarms per SNR bin (the
sensitivity benches' bins). A size whose row is in <work>/results.csv is not trained again, so sizes can be run
one command at a time; an interrupted size resumes (main.py --resume). --write puts the tables into --doc (block
learning_curve_<exp>, one per experiment) and the plot (AUC against training size, log x, the classical search as
a band) at --png.
"""
import argparse
import importlib
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench import g2net_sensitivity as g2s
from bench import report, sensitivity as ss
from common.accel import make_accelerator
from common.config import add_config_args, load_config
from common.errors import UserError, cli
from common.g2net import matched_filter as mfilter
from common.metrics import combine
from common.seti import baseline as seti_baseline
from common.seti.dedoppler import MAX_DRIFT
from evaluate import load_fold_models, score_oof

ROOT = Path(__file__).resolve().parent.parent
NETWORK, BLEND = "network", "blend"
RESULTS = ("size", "train_minutes")  # results.csv's columns: a row marks its size as done


@dataclass(frozen=True)
class Bench:
    """What the learning curve does differently per competition."""
    labels_csv: str  # the training labels in the Kaggle layout
    default_test: int
    classical: str  # the classical search's name, the column of its scores
    classical_what: str  # what it is, in words
    test_set: Callable  # cfg -> the test samples with their synth_meta.csv rows
    classical_scores: Callable  # (cfg, test) -> the classical search's score per sample
    detected: Callable  # (test with scores, methods, fpr, n_bins) -> per SNR bin: snr, needles, "<m> detected"


def seti_detected(df, methods, fpr, n_bins):
    df = ss.rates(df[["target", "snr", *methods]], fpr)
    return ss.by_bin(df, "snr", ss.snr_bins(df[df.target == 1], n_bins))


def g2net_detected(df, methods, fpr, n_bins):
    df = g2s.rates(df, methods, fpr)
    signals = df[df.target == 1]
    return g2s.by_bin(df, "snr", g2s.linear_bins(signals.snr, n_bins), methods).rename(columns={"signals": "needles"})


def matched_filter_scores(cfg, df):
    design = argparse.Namespace(psd="design", bank_mchirp=mfilter.BANK_MCHIRP, bank_spins=list(mfilter.BANK_SPIN))
    return mfilter.matched_filter_scores(df.path, g2s.matched_filter(cfg, design), num_workers=cfg.num_workers,
                                         nan_policy=cfg.nan_policy)


BENCHES = {
    "seti": Bench("train_labels.csv", 4000, "classical", f"dedoppler search (common/seti/baseline.py, drift grid "
                  f"+-{MAX_DRIFT} channels per scan)", lambda cfg: ss.test_set(cfg.data_dir),
                  lambda cfg, df: seti_baseline.classical_scores(df.path, MAX_DRIFT, cfg.batch_size, cfg.num_workers),
                  seti_detected),
    "g2net": Bench("training_labels.csv", 2000, g2s.MATCHED, f"matched filter (common/g2net/matched_filter.py: "
                   f"IMRPhenomD bank of {mfilter.BANK_MCHIRP} chirp masses x {len(mfilter.BANK_Q)} mass ratios, "
                   "design PSD)", g2s.test_set, matched_filter_scores, g2net_detected),
}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench.learning_curve", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(p)
    p.add_argument("--sizes", type=int, nargs="+", required=True, help="training set sizes (nested subsets)")
    p.add_argument("--test", type=int, help="test samples (default 4000 SETI, 2000 G2Net)")
    p.add_argument("--work", help="data, runs and results (default outputs/learning_curve/<exp>)")
    p.add_argument("--fpr", type=float, default=0.01, help="false-alarm rate of the detection rates (default 0.01)")
    p.add_argument("--snr-bins", type=int, default=6, help="number of SNR bins (default 6)")
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples of each interval (default 2000)")
    p.add_argument("--write", action="store_true", help="write the tables into --doc and the plot to --png")
    p.add_argument("--doc", default=str(report.DOC), help="Markdown file for --write (default docs/BENCHMARKS.md)")
    p.add_argument("--png", help="plot path (default: learning_curve_<exp>.png next to --doc with --write, "
                                 "else in --work)")
    args = p.parse_args(argv)
    if min(args.sizes) < 1:
        raise UserError(f"--sizes must be positive, got {min(args.sizes)}")
    if args.test is not None and args.test < 2:
        raise UserError(f"--test must be at least 2, got {args.test}")
    if not 0 < args.fpr < 1:
        raise UserError(f"--fpr must be between 0 and 1, got {args.fpr}")
    if args.n_boot < 1 or args.snr_bins < 1:
        raise UserError("--n-boot and --snr-bins must be at least 1")
    if args.fold is not None and len(args.fold) > 1:
        raise UserError("--fold takes one fold: the learning curve trains one fold's model per size")
    args.sizes = sorted(set(args.sizes))
    args.overrides = [v for group in args.set for v in group]
    reserved = [v for v in args.overrides if v.partition("=")[0] in ("data_dir", "output_dir", "folds")]
    if reserved:
        raise UserError(f"--set {reserved[0]}: the learning curve sets data_dir, output_dir and folds itself "
                        "(use --work and --fold)")
    args.work = Path(args.work or ROOT / "outputs" / "learning_curve" / args.exp)
    return args


def pool(data: Path, bench: Bench, n_train: int, n_test: int, competition: str) -> pd.DataFrame:
    """The synthetic set in `data` (made when missing): its training labels, in order, checked against the sizes."""
    meta_csv = data / "synth_meta.csv"
    if not meta_csv.is_file():
        synth = importlib.import_module(f"common.{competition}.synth")
        synth.generate(data, {"train": n_train, "test": n_test}, workers=os.cpu_count())
    meta = pd.read_csv(meta_csv, dtype={"id": str}, keep_default_na=False)
    have_train, have_test = (int((meta.split == s).sum()) for s in ("train", "test"))
    if have_train < n_train:
        raise UserError(f"size {n_train} is larger than the training pool of {data} ({have_train} samples); "
                        "use smaller --sizes or another --work")
    if have_test != n_test:
        raise UserError(f"{data} holds {have_test} test samples, not --test {n_test}; pass --test {have_test} "
                        "or use another --work")
    return pd.read_csv(data / bench.labels_csv, dtype={"id": str})


def size_data(work: Path, labels: pd.DataFrame, size: int, bench: Bench) -> Path:
    """<work>/size<N>/data: the pool's first `size` labels, its files and other CSVs linked; and
    <work>/size<N>/out/classical linked to <work>/classical_features, so that the blend's classical statistics of
    the test split (common.baseline.classical_features) are computed once for all sizes."""
    data, source = work / f"size{size}" / "data", (work / "data").resolve()
    data.mkdir(parents=True, exist_ok=True)
    for name in ("train", "test", "sample_submission.csv", "synth_meta.csv"):
        if not (data / name).exists():
            (data / name).symlink_to(source / name)
    labels.head(size).to_csv(data / bench.labels_csv, index=False)
    features, link = work / "classical_features", work / f"size{size}" / "out" / "classical"
    features.mkdir(exist_ok=True)
    link.parent.mkdir(exist_ok=True)
    if not link.exists():
        link.symlink_to(features.resolve(), target_is_directory=True)
    return data


def size_settings(args, work: Path, size: int, fold: int) -> list[str]:
    return [*args.overrides, f"data_dir={work / f'size{size}' / 'data'}", f"output_dir={work / f'size{size}' / 'out'}",
            f"folds={fold}"]


def train(exp: str, settings: list[str]) -> None:
    """main.py on one size (resuming an interrupted run)."""
    cmd = [sys.executable, "main.py", "--exp", exp, "--resume", "--set", *settings]
    print("+ " + shlex.join(cmd), flush=True)
    if subprocess.run(cmd, cwd=ROOT).returncode:
        raise UserError(f"main.py failed on {settings[-3]} (its error is above); rerun this command to resume")


def score_size(cfg, test: pd.DataFrame) -> pd.DataFrame:
    """The fold model's test scores (network) and blend.py's blend with the classical statistics (blend)."""
    accelerator = make_accelerator(cfg)
    score_oof(cfg, load_fold_models(cfg, accelerator), cfg.tta, accelerator)  # the blend's fit: every view
    logits = ss.network_logits(cfg, test, cfg.tta)
    return pd.DataFrame({"id": test["id"], NETWORK: combine(logits, cfg.tta_average),
                         BLEND: ss.blend_scores(cfg, test, logits, cfg.fold_ids())})


def classical(cfg, bench: Bench, test: pd.DataFrame, work: Path) -> pd.Series:
    """The classical search's test scores, computed once (<work>/classical.csv)."""
    cache = work / "classical.csv"
    if not cache.is_file():
        pd.DataFrame({"id": test["id"], bench.classical: bench.classical_scores(cfg, test)}).to_csv(cache, index=False)
    return pd.read_csv(cache, dtype={"id": str}).set_index("id")[bench.classical].loc[test["id"]].to_numpy()


def run_sizes(args, bench: Bench, labels: pd.DataFrame, fold: int, test: pd.DataFrame) -> pd.DataFrame:
    """Train and score every size not in <work>/results.csv; returns results.csv."""
    results_csv = args.work / "results.csv"
    for size in args.sizes:
        done = pd.read_csv(results_csv) if results_csv.is_file() else pd.DataFrame(columns=RESULTS)
        if size in set(done["size"]):
            print(f"size {size}: done earlier, not retrained")
            continue
        size_data(args.work, labels, size, bench)
        settings = size_settings(args, args.work, size, fold)
        start = time.perf_counter()
        train(args.exp, settings)
        minutes = (time.perf_counter() - start) / 60
        score_size(load_config(args.exp, settings), test).to_csv(args.work / f"size{size}" / "test_scores.csv",
                                                                 index=False)
        row = pd.DataFrame([dict(size=size, train_minutes=round(minutes, 2))])
        row.to_csv(results_csv, mode="a", header=not results_csv.is_file(), index=False)
    return pd.read_csv(results_csv)


def with_scores(test: pd.DataFrame, work: Path, size: int) -> pd.DataFrame:
    scores = pd.read_csv(work / f"size{size}" / "test_scores.csv", dtype={"id": str}).set_index("id")
    return test.assign(**{m: scores[m].loc[test["id"]].to_numpy() for m in (NETWORK, BLEND)})


def interval(value: tuple, signed: bool = False) -> str:
    """An AUC (or, signed, a difference) with its interval: 0.912 (0.890 to 0.931)."""
    form = "+.3f" if signed else ".3f"
    return f"{value[0]:{form}} ({value[1]:{form}} to {value[2]:{form}})"


def curve_table(test: pd.DataFrame, results: pd.DataFrame, args, bench: Bench) -> pd.DataFrame:
    """One row per size: training minutes, each method's AUC with its interval, network and blend - classical and
    blend - network (paired)."""
    rows = []
    for size, minutes in results.set_index("size").loc[args.sizes, "train_minutes"].items():
        df = with_scores(test, args.work, size)
        row = {"size": size, "train minutes": f"{minutes:.1f}"}
        for m in (NETWORK, bench.classical, BLEND):
            row[m] = ss.auc_interval(df, m, args.n_boot)
        for m, other in ((NETWORK, bench.classical), (BLEND, bench.classical), (BLEND, NETWORK)):
            row[f"{m} - {other}"] = ss.auc_difference(df, m, other, args.n_boot)
        rows.append(row)
    return pd.DataFrame(rows)


def detection_table(test: pd.DataFrame, args, bench: Bench) -> pd.DataFrame:
    """Detection rate at args.fpr per SNR bin: the classical search once, then the network and blend per size."""
    rows = []
    for size in args.sizes:
        table = bench.detected(with_scores(test, args.work, size), [NETWORK, bench.classical, BLEND], args.fpr,
                               args.snr_bins)
        if not rows:
            rows.append(["any", bench.classical, *table[f"{bench.classical} detected"]])
            header = ["size", "method", *(f"SNR {s} ({n})" for s, n in zip(table.snr, table.needles))]
        rows += [[size, m, *table[f"{m} detected"]] for m in (NETWORK, BLEND)]
    return pd.DataFrame(rows, columns=header)


def markdown(curve: pd.DataFrame, detection: pd.DataFrame) -> str:
    def cell(v, column: str):
        if isinstance(v, tuple):
            return interval(v, signed=" - " in column)
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    return "\n\n".join(report.markdown_table(list(t.columns), [[cell(v, c) for v, c in zip(row, t.columns)]
                                                                for row in t.itertuples(index=False)])
                       for t in (curve, detection))


def plot(curve: pd.DataFrame, classical_name: str, png: Path, title: str) -> Path:
    """Test AUC against training size (log x) with the bootstrap intervals; the classical search as a band."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    sizes = curve["size"].to_numpy()
    value, low, high = np.array(curve[classical_name].tolist()).T
    ax.axhline(value[0], color="grey", ls="--", label=classical_name)
    ax.axhspan(low[0], high[0], color="grey", alpha=0.2)
    for m, style in ((NETWORK, "o-"), (BLEND, "D-")):
        value, low, high = np.array(curve[m].tolist()).T
        ax.errorbar(sizes, value, yerr=[value - low, high - value], fmt=style, capsize=3, label=m)
    ax.set(xscale="log", xlabel="training samples (one fold's model)", ylabel="test AUC", title=title)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.minorticks_off()
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    return png


def setup_line(cfg, args, bench: Bench, test: pd.DataFrame, fold: int) -> str:
    needles = int((test.target == 1).sum())
    model_input = "the wave" if getattr(cfg, "front_end", None) == "wave" else f"{cfg.image_size} px"
    return (f"{cfg.exp} ({cfg.model_name}, {model_input}, {cfg.epochs} epochs, fold {fold} of {cfg.n_folds}: "
            f"{cfg.n_folds - 1}/{cfg.n_folds} of each size trains, the rest picks the best epoch and fits the blend) "
            f"against the {bench.classical_what} on {len(test)} test samples of {args.work / 'data'} ({needles} positive); "
            f"AUCs with 95% bootstrap intervals; network and blend - {bench.classical} and blend - network with their "
            f"paired intervals; detection rates at a {args.fpr:g} false-alarm rate per SNR bin "
            "(positives in brackets).")


@cli
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    base = load_config(args.exp, [*args.overrides, f"data_dir={args.work / 'data'}"])
    bench = BENCHES[base.competition]
    fold = args.fold[0] if args.fold else 0
    if not 0 <= fold < base.n_folds:
        raise UserError(f"--fold {fold} is out of range for n_folds={base.n_folds}")
    labels = pool(args.work / "data", bench, max(args.sizes), args.test or bench.default_test, base.competition)
    test = bench.test_set(base)
    test[bench.classical] = classical(base, bench, test, args.work)
    results = run_sizes(args, bench, labels, fold, test)
    curve = curve_table(test, results, args, bench)
    body = f"{setup_line(base, args, bench, test, fold)}\n\n{markdown(curve, detection_table(test, args, bench))}"
    print(f"\n{body}\n")
    name = f"learning_curve_{base.exp}"
    png = Path(args.png or (Path(args.doc).parent if args.write else args.work) / f"{name}.png")
    plot(curve, bench.classical, png, f"{base.exp}: test AUC against training size")
    print(f"plot: {png}")
    if args.write:
        report.replace_figure_block(args.doc, name, "bench.learning_curve", argv, body, png,
                                    "test AUC against training size")
        print(f"wrote the learning curve to {args.doc}")


if __name__ == "__main__":
    main()
