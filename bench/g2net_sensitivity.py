"""G2Net sensitivity: how close does a trained experiment come to the matched filter, and where does it lose?

    python -m bench.g2net_sensitivity --exp exp0101 --set KEY=VALUE ... [--data-dir DIR] [--fpr 0.01]
        [--tta 4] [--psd design|negatives] [--bank-mchirp 16] [--bank-spins 0] [--write]
        [--doc docs/BENCHMARKS.md] [--png docs/g2net_sensitivity.png]

SETI's bench/sensitivity.py for G2Net (a module of its own: other data, other classical statistic, other
bins). Scores the `test` split of a synthetic set (python -m common.g2net.synth; its labels and signal
parameters are in synth_meta.csv) three ways:

- network: the experiment's fold checkpoints (evaluate.py's loading, test-time views and averaging; pass
  the --set options used in training);
- matched filter: common.g2net.matched_filter, the classical search statistic: an IMRPhenomD template
  bank over the generator's masses (--bank-mchirp chirp-mass steps by 6 mass ratios, aligned spins
  --bank-spins), the design PSD the generator drew its noise from (--psd design) or the average
  periodogram of the training negatives (--psd negatives), the detectors combined within their
  light-travel-time window;
- excess power: the competition's plain classical baseline (whitened band power; common.g2net.baseline),
  a statistic that knows no waveform.

For each method the threshold is the (1 - fpr) quantile of the negatives' scores; a signal scoring above
it is detected. Reported per network optimal SNR bin (synth_meta.csv's `snr`) and per chirp-mass bin:
AUC (the bin's signals against all negatives) and detection rate (share of the bin's signals detected).
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench import report
from bench.sensitivity import auc, network_scores, spans, to_markdown
from common.competition import competition
from common.config import add_config_args, config_from_args
from common.errors import UserError, cli
from common.g2net import matched_filter as mfilter
from common.g2net.data import read_labels

NETWORK, MATCHED, EXCESS = "network", "matched filter", "excess power"
MCHIRP_EDGES = (4, 10, 15, 20, 25, 30, 45)  # solar masses; the generator's range is 4.35-43.5
BLOCK = "g2net_sensitivity"  # docs/BENCHMARKS.md markers


def test_set(cfg) -> pd.DataFrame:
    """The test samples (id, path) with their synth_meta.csv rows and chirp mass `mchirp`."""
    meta_csv = Path(cfg.data_dir) / "synth_meta.csv"
    if not meta_csv.is_file():
        raise UserError(f"{meta_csv} not found; the G2Net sensitivity benchmark needs a synthetic set made by "
                        f"python -m common.g2net.synth --out {cfg.data_dir}")
    meta = pd.read_csv(meta_csv, dtype={"id": str})
    if not {"id", "split", "target", "snr", "mass1", "mass2"} <= set(meta.columns):
        raise UserError(f"{meta_csv} lacks the columns of common.g2net.synth (id, split, target, snr, mass1, "
                        "mass2, ...); regenerate the set")
    df = competition(cfg).read_test(cfg).drop(columns="target").merge(meta[meta.split == "test"], on="id", how="left")
    if df["target"].isna().any():
        raise UserError(f"{meta_csv} does not describe the test samples of {cfg.data_dir}; regenerate the set")
    if not (df.target == 1).any() or not (df.target == 0).any():
        raise UserError(f"the test split of {cfg.data_dir} needs signals and noise-only samples; generate more "
                        "test samples (python -m common.g2net.synth --test N)")
    return df.assign(target=df.target.astype(int), mchirp=mfilter.chirp_mass(df.mass1, df.mass2)).reset_index(drop=True)


def rates(df: pd.DataFrame, methods, fpr: float) -> pd.DataFrame:
    """df with a `<method> flagged` column per method (score above the (1 - fpr) negatives quantile)."""
    negatives = df[df.target == 0]
    return df.assign(**{f"{m} flagged": df[m] > np.quantile(negatives[m], 1 - fpr) for m in methods})


def by_bin(df: pd.DataFrame, column: str, bins, methods) -> pd.DataFrame:
    """Per bin of the signals: count, AUC against all negatives and detection rate, per method."""
    signals, negatives = df[df.target == 1], df[df.target == 0]
    rows = []
    for name, part in signals.groupby(bins, observed=True, sort=True):
        row = {column: name, "signals": len(part)}
        for m in methods:
            row[f"{m} AUC"] = auc(part, negatives, m)
        for m in methods:
            row[f"{m} detected"] = part[f"{m} flagged"].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def linear_bins(values: pd.Series, n_bins: int) -> pd.Categorical:
    """n_bins equal-width bins from floor(min) to ceil(max), labelled "a-b"."""
    edges = np.linspace(np.floor(values.min()), np.ceil(values.max()), n_bins + 1)
    return pd.cut(values, edges, labels=[f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:])], include_lowest=True)


def mchirp_bins(values: pd.Series) -> pd.Categorical:
    edges = MCHIRP_EDGES
    return pd.cut(values, edges, labels=[f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:])])


def centres(labels) -> np.ndarray:
    """Arithmetic centres of "a-b" bin labels."""
    return np.array([np.mean([float(v) for v in str(label).split("-")]) for label in labels])


def at_half(x: np.ndarray, detected: np.ndarray) -> float | None:
    """x where the detection rate first reaches 50%, linear between bin centres; None if never or from the
    first bin on."""
    for i in range(1, len(x)):
        if detected[i] >= 0.5 > detected[i - 1]:
            w = (0.5 - detected[i - 1]) / (detected[i] - detected[i - 1])
            return float((1 - w) * x[i - 1] + w * x[i])
    return None


def half_text(x: np.ndarray, detected: np.ndarray) -> str:
    value = at_half(x, detected)
    if value is not None:
        return f"{value:.1f}"
    return f"{x[0]:.1f} or below" if len(x) and detected[0] >= 0.5 else f"above {x[-1]:.1f}"


def differs(table: pd.DataFrame, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    """Bins where method a's detection rate is ahead of / behind b's by more than two standard errors of the
    difference (binomial, the methods taken as independent)."""
    pa, pb, n = (table[c].to_numpy(float) for c in (f"{a} detected", f"{b} detected", "signals"))
    se = np.sqrt((pa * (1 - pa) + pb * (1 - pb)) / n)
    return pa - pb > 2 * se, pb - pa > 2 * se


def answer(df: pd.DataFrame, snr_table: pd.DataFrame, mchirp_table: pd.DataFrame, fpr: float) -> str:
    """The sentence: how close does the network come to the matched filter, and where does it lose?"""
    signals, negatives = df[df.target == 1], df[df.target == 0]
    x = centres(snr_table.snr)
    net_half, mf_half = (at_half(x, snr_table[f"{m} detected"].to_numpy()) for m in (NETWORK, MATCHED))
    text = (f"Overall AUC: network {auc(signals, negatives, NETWORK):.3f}, matched filter "
            f"{auc(signals, negatives, MATCHED):.3f}. At a {fpr * 100:g}% false-alarm rate the matched filter "
            f"detects half of the signals at network SNR {half_text(x, snr_table[f'{MATCHED} detected'].to_numpy())}, "
            f"the network at {half_text(x, snr_table[f'{NETWORK} detected'].to_numpy())}")
    if net_half and mf_half:
        ratio = net_half / mf_half
        text += (f": it needs {ratio:.2f}x the matched filter's SNR, so it reaches {1 / ratio:.0%} of its distance "
                 f"and {1 / ratio ** 3:.0%} of its volume" if ratio > 1 else f" ({ratio:.2f}x the matched filter's SNR)")
    gap = (snr_table[f"{MATCHED} detected"] - snr_table[f"{NETWORK} detected"]).to_numpy(float)
    worst = int(np.argmax(gap))
    text += ". "
    losses, wins = [], []
    for name, table, column in (("network SNR", snr_table, "snr"), ("chirp mass", mchirp_table, "mchirp")):
        ahead, behind = differs(table, NETWORK, MATCHED)
        if behind.any():
            losses.append(f"{name} {spans(table[column].astype(str), behind)}")
        if ahead.any():
            wins.append(f"{name} {spans(table[column].astype(str), ahead)}")
    if losses:
        text += f"The network detects fewer signals than the matched filter at {'; and at '.join(losses)}"
        if gap[worst] > 0:
            row = snr_table.iloc[worst]
            text += (f", most at SNR {row.snr} ({row[f'{NETWORK} detected']:.0%} against "
                     f"{row[f'{MATCHED} detected']:.0%})")
    else:
        text += "In no bin does the network detect fewer signals than the matched filter"
    if wins:
        text += f"; it detects more at {'; and at '.join(wins)}"
    return text + " (bins whose detection rates differ by more than two standard errors)."


def plot(tables: dict, methods, png: Path, title: str) -> Path:
    """Detection rate against network SNR and against chirp mass, per method, with binomial standard errors."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, (column, table), xlabel in zip(axes, tables.items(), ("network optimal SNR (bin centres)",
                                                                   "chirp mass, solar masses (bin centres)")):
        x, n = centres(table[column]), table.signals.to_numpy()
        for m, style in zip(methods, ("o-", "s--", "^:")):
            p = table[f"{m} detected"].to_numpy(float)
            ax.errorbar(x, p, yerr=np.sqrt(p * (1 - p) / n), fmt=style, capsize=3, label=m)
        ax.set(xlabel=xlabel, ylim=(-0.02, 1.02))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("detection rate")
    axes[0].legend(loc="upper left")
    fig.suptitle(title)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    return png


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.g2net_sensitivity", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(p)
    p.add_argument("--data-dir", help="synthetic set with synth_meta.csv (default: the config's data_dir)")
    p.add_argument("--fpr", type=float, default=0.01, help="false-alarm rate fixing the threshold (default 0.01)")
    p.add_argument("--tta", type=int, choices=(1, 2, 4), help="test-time views (default: config tta)")
    p.add_argument("--psd", choices=("design", "negatives"), default="design",
                   help="matched filter PSD: the generator's design PSD (default) or the training negatives' average")
    p.add_argument("--bank-mchirp", type=int, default=mfilter.BANK_MCHIRP,
                   help=f"chirp-mass steps of the template bank (default {mfilter.BANK_MCHIRP})")
    p.add_argument("--bank-spins", type=float, nargs="+", default=list(mfilter.BANK_SPIN),
                   help="aligned spins of the bank, both bodies alike (default 0; e.g. -0.3 0 0.3 triples the bank)")
    p.add_argument("--no-excess-power", action="store_true", help="leave out the excess-power baseline")
    p.add_argument("--snr-bins", type=int, default=6, help="number of network-SNR bins (default 6)")
    p.add_argument("--write", action="store_true", help="write the results into --doc and the plot to --png")
    p.add_argument("--doc", default=str(report.DOC), help="Markdown file for --write (default docs/BENCHMARKS.md)")
    p.add_argument("--png", help="plot path (default: g2net_sensitivity.png next to --doc with --write, "
                                 "else in outputs/<exp>/)")
    args = p.parse_args(argv)
    if not 0 < args.fpr < 1:
        p.error("--fpr must be between 0 and 1")
    if args.bank_mchirp < 1:
        p.error("--bank-mchirp must be >= 1")
    return args


def matched_filter(cfg, args) -> mfilter.MatchedFilter:
    psd = None
    if args.psd == "negatives":
        negatives = read_labels(cfg.data_dir).query("target == 0")
        if negatives.empty:
            raise UserError(f"--psd negatives needs training negatives in {cfg.data_dir}; use --psd design")
        psd = mfilter.average_psd(negatives.path, num_workers=cfg.num_workers, nan_policy=cfg.nan_policy)
    bank = mfilter.template_bank(args.bank_mchirp, spins=args.bank_spins)
    if bank.empty:
        raise UserError(f"--bank-mchirp {args.bank_mchirp} leaves no template with both masses in 5-50")
    return mfilter.MatchedFilter(bank, psd)


def setup_line(cfg, args, df, n_views: int, methods, seconds: dict, n_templates: int) -> str:
    signals, negatives = df[df.target == 1], df[df.target == 0]
    folds = " ".join(map(str, cfg.fold_ids()))
    aucs = ", ".join(f"{m} {auc(signals, negatives, m):.3f}" for m in methods)
    times = ", ".join(f"{m} {seconds[m] / len(df) * 1000:.0f} ms" for m in methods)
    spins = "zero spin" if list(args.bank_spins) == [0.0] else f"spins {' '.join(f'{s:g}' for s in args.bank_spins)}"
    return (f"{cfg.exp} ({cfg.model_name}, {cfg.front_end} front end, {cfg.image_size} px, folds {folds}, "
            f"{n_views} views, {cfg.tta_average} average) against the matched filter ({n_templates} IMRPhenomD "
            f"templates, {args.bank_mchirp} chirp masses x {len(mfilter.BANK_Q)} mass ratios, {spins}; "
            f"{args.psd} PSD; {'+'.join(mfilter.DEFAULT_DETECTORS)} within light-travel time) on {len(df)} test "
            f"samples of {cfg.data_dir} ({len(signals)} signals, network SNR {signals.snr.min():.1f}-"
            f"{signals.snr.max():.1f}); threshold: {args.fpr:g} false-alarm rate on the {len(negatives)} "
            f"noise-only samples. Overall AUC: {aucs}. Time per sample (wall clock, model loading and template bank "
            f"included): {times}.")


@cli
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.data_dir:
        args.set.append([f"data_dir={args.data_dir}"])
    cfg = config_from_args(args)
    if cfg.competition != "g2net":
        raise UserError(f"{cfg.exp} is a {cfg.competition} experiment; this benchmark is G2Net's "
                        "(SETI: python -m bench.sensitivity)")
    df = test_set(cfg)
    n_views = args.tta or cfg.tta
    comp = competition(cfg)
    methods = [NETWORK, MATCHED] + ([EXCESS] if not args.no_excess_power and hasattr(comp, "classical_scores") else [])

    seconds = {}
    start = time.perf_counter()
    df[NETWORK] = network_scores(cfg, df, n_views)
    seconds[NETWORK] = time.perf_counter() - start
    start = time.perf_counter()
    mf = matched_filter(cfg, args)
    df[MATCHED] = mfilter.matched_filter_scores(df.path, mf, num_workers=cfg.num_workers, nan_policy=cfg.nan_policy)
    seconds[MATCHED] = time.perf_counter() - start
    if EXCESS in methods:
        start = time.perf_counter()
        df[EXCESS] = comp.classical_scores(cfg, df)
        seconds[EXCESS] = time.perf_counter() - start
    df = rates(df, methods, args.fpr)

    signals = df[df.target == 1]
    tables = {"snr": by_bin(df, "snr", linear_bins(signals.snr, args.snr_bins), methods),
              "mchirp": by_bin(df, "mchirp", mchirp_bins(signals.mchirp), methods)}
    names = {"snr": "network optimal SNR", "mchirp": "chirp mass (solar masses)"}
    sections = [f"By {names[k]}:\n\n{to_markdown(t)}" for k, t in tables.items()]
    body = "\n\n".join([setup_line(cfg, args, df, n_views, methods, seconds, len(mf.bank)), *sections,
                        f"**{answer(df, tables['snr'], tables['mchirp'], args.fpr)}**"])
    print(f"\n{body}\n")

    default_png = Path(args.doc).parent if args.write else cfg.exp_dir()
    png = plot(tables, methods, Path(args.png or default_png / "g2net_sensitivity.png"),
               f"{cfg.exp} vs matched filter, {args.fpr:g} false-alarm rate")
    print(f"plot: {png}")
    if args.write:
        image = os.path.relpath(png.resolve(), Path(args.doc).resolve().parent)
        cmd = report.command("bench.g2net_sensitivity", argv)
        block = (f"{report.today()}, {report.machine()}, torch {torch.__version__}:\n\n`{cmd}`\n\n"
                 f"{body}\n\n![G2Net detection rate against network SNR and chirp mass]({image})")
        report.replace_block(args.doc, BLOCK, block)
        print(f"wrote the G2Net sensitivity results to {args.doc}")


if __name__ == "__main__":
    main()
