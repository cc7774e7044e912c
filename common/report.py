"""Report of all runs: a Markdown table and a PNG of their OOF ROC curves and validation AUC per epoch.

    python -m common.report [--output-dir outputs] [--out OUTPUT_DIR/report]

Writes OUT.md (also printed) and OUT.png. One row per experiment, its latest line in
<output-dir>/summary.csv; the competition and the parent come from the run's config.json, the change from the first
docstring line of exp/<exp>.py; a run that trained fewer folds than its n_folds shows its folds' validation AUC,
which the cell says. The PNG's left panel holds each run's ROC curve over its out-of-fold predictions
(<exp>/oof.csv), the right one its validation AUC per epoch (<exp>/fold*/metrics.csv): thin lines per fold, a
thick line for their mean. Each blend of blend.py in <output-dir>/blend/ adds its out-of-fold ROC (black) and
that of its best classical statistic (grey, on the same samples), and both AUCs as marked lines beside the
training curves. The title states the budget (model, image size, epochs, folds, samples).
"""
import argparse
import json
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import roc_auc_score, roc_curve

from common.config import experiment_summary, list_experiments
from common.errors import UserError, cli

SUMMARY_COLUMNS = ["exp", "folds", "cv_auc", "minutes"]
HEADER = {"exp": "exp", "competition": "competition", "parent": "parent", "change": "change", "cv_auc": "CV AUC",
          "folds": "folds", "minutes": "minutes"}


def run_config(run_dir: Path) -> dict:
    """A run's config.json ({} without one)."""
    config = run_dir / "config.json"
    return json.loads(config.read_text()) if config.is_file() else {}


def runs_table(output_dir: Path) -> pd.DataFrame:
    """The latest summary row of each experiment with its parent and change, sorted by experiment."""
    summary = output_dir / "summary.csv"
    has_rows = summary.is_file() and summary.stat().st_size > 0
    runs = pd.read_csv(summary, dtype={"exp": str, "folds": str}) if has_rows else pd.DataFrame()
    if runs.empty:
        raise UserError(f"no runs in {output_dir}/ ({summary} is missing or empty): train one first, e.g. "
                        "`python main.py --exp exp0001`, or point --output-dir at the output_dir of a run")
    missing = [c for c in SUMMARY_COLUMNS if c not in runs.columns]
    if missing:
        raise UserError(f"{summary} has no column {', '.join(missing)}; it must be the file main.py appends to")
    runs = runs.drop_duplicates("exp", keep="last").sort_values("exp").reset_index(drop=True)
    configs = [run_config(output_dir / exp) for exp in runs["exp"]]
    runs["parent"] = [c.get("parent", "") for c in configs]
    runs["competition"] = [c.get("competition", "seti") for c in configs]  # runs before G2Net were SETI
    runs["change"] = [experiment_summary(exp) if exp in list_experiments() else "" for exp in runs["exp"]]
    runs["all_folds"] = [len(str(f).split()) >= c.get("n_folds", 0) for f, c in zip(runs["folds"], configs)]
    return runs[[*HEADER, "all_folds"]]


def to_markdown(table: pd.DataFrame) -> str:
    """A Markdown table of runs_table's rows, numbers right-aligned."""
    numeric = {"cv_auc", "minutes"}
    lines = ["| " + " | ".join(HEADER.values()) + " |",
             "|" + "|".join("---:" if key in numeric else "---" for key in HEADER) + "|"]
    for row in table.itertuples(index=False):
        auc = f"{row.cv_auc:.4f}" + ("" if row.all_folds else f" (valid AUC of fold {row.folds} only)")
        cells = [row.exp, row.competition, row.parent, row.change, auc, row.folds, f"{row.minutes:.1f}"]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def plot_roc(ax, oof: pd.DataFrame, column: str, label: str, **style) -> float | None:
    """ROC curve of oof[column] against oof.target, labelled with its AUC; the AUC (None with one class)."""
    y = oof["target"].round()
    if y.nunique() < 2:
        return None
    auc = roc_auc_score(y, oof[column])
    fpr, tpr, _ = roc_curve(y, oof[column])
    ax.plot(fpr, tpr, label=f"{label} ({auc:.4f})", **style)
    return auc


def blends(output_dir: Path) -> list[tuple[str, pd.DataFrame, list[str]]]:
    """Each blend.py output under output_dir/blend/: (name, out-of-fold table, its classical inputs)."""
    found = []
    for weights in sorted((output_dir / "blend").rglob("*_weights.json")):
        oof_csv = weights.with_name(weights.name.replace("_weights.json", "_oof.csv"))
        if oof_csv.is_file():
            record = json.loads(weights.read_text())
            classical = [c for c in record["inputs"] if c not in list_experiments()]
            found.append((weights.parent.name, pd.read_csv(oof_csv), classical))
    return found


def plot_blends(roc_ax, train_ax, output_dir: Path) -> None:
    """The blends' out-of-fold ROC and their best classical statistic's, with both AUCs marked on train_ax."""
    for name, oof, classical in blends(output_dir):
        label = "blend" if name == "blend" else f"blend {name}"
        marks = [(plot_roc(roc_ax, oof, "blend", label, color="black", lw=2), label, "black", "-", "*")]
        if classical:
            best = max(classical, key=lambda c: roc_auc_score(oof["target"].round(), oof[c]))
            marks.append((plot_roc(roc_ax, oof, best, f"classical: {best}", color="grey", lw=1.5, ls="--"),
                          f"classical: {best}", "grey", "--", "D"))
        for auc, what, color, ls, marker in marks:
            if auc is not None:
                train_ax.axhline(auc, color=color, ls=ls, lw=1, label=f"{what} ({auc:.4f})")
                train_ax.plot([1], [auc], marker=marker, color=color, ms=8, transform=train_ax.get_yaxis_transform())


def plot_training(ax, run_dir: Path, label: str, color) -> None:
    """Validation AUC per epoch of each fold (thin) and their mean (thick)."""
    folds = [pd.read_csv(p) for p in sorted(run_dir.glob("fold*/metrics.csv"))]
    folds = [m for m in folds if not m.empty]
    if not folds:
        return
    for metrics in folds:
        ax.plot(metrics["epoch"] + 1, metrics["valid_auc"], color=color, lw=0.7, marker=".", ms=3, alpha=0.35)
    mean = pd.concat(folds).groupby("epoch")["valid_auc"].mean()
    ax.plot(mean.index + 1, mean.values, color=color, lw=2, marker="o", ms=3, label=label)


def budget(output_dir: Path, exp: str) -> str:
    """What a run cost: model, image size (none for a wave front end), epochs, folds and out-of-fold samples
    (from config.json, oof.csv)."""
    c = run_config(output_dir / exp)
    oof_csv = output_dir / exp / "oof.csv"
    samples = f", {sum(1 for _ in oof_csv.open()) - 1} samples" if oof_csv.is_file() else ""
    size = f", {c['image_size']} px" if c.get("image_size") and c.get("front_end") != "wave" else ""
    folds = len(c.get("folds") or range(c.get("n_folds", 0)))
    return f"{c.get('model_name', '?')}{size}, {c.get('epochs', '?')} epochs, {folds} of {c.get('n_folds', '?')} folds{samples}"


def save_report_png(table: pd.DataFrame, output_dir: Path, png: Path) -> Path:
    """Two panels: OOF ROC curves and validation AUC per epoch, one colour per run, the blends in black and
    grey; legends below the panels; the budget in the title (in each label when the runs' budgets differ)."""
    fig = Figure(figsize=(13, 6.5), layout="constrained")
    FigureCanvasAgg(fig)
    roc_ax, train_ax = fig.subplots(1, 2)
    colors = matplotlib.colormaps["tab10" if len(table) <= 10 else "tab20"].colors
    budgets = {exp: budget(output_dir, exp) for exp in table["exp"]}
    shared = len(set(budgets.values())) == 1
    for i, exp in enumerate(table["exp"]):
        color = colors[i % len(colors)]
        label = exp if shared else f"{exp} ({budgets[exp]})"
        oof_csv = output_dir / exp / "oof.csv"
        if oof_csv.is_file():
            plot_roc(roc_ax, pd.read_csv(oof_csv), "pred", label, color=color, lw=1.5)
        plot_training(train_ax, output_dir / exp, label, color)
    plot_blends(roc_ax, train_ax, output_dir)
    roc_ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    roc_ax.set(title="out-of-fold ROC (CV AUC); blend black, classical grey", xlabel="false positive rate", ylabel="true positive rate",
               xlim=(0, 1), ylim=(0, 1.01))
    train_ax.set(title="valid AUC per epoch (thin: folds, thick: mean)",
                 xlabel="epoch",
                 ylabel="valid AUC")
    train_ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    train_ax.grid(alpha=0.3)
    for ax in (roc_ax, train_ax):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    one_fold = "" if table["all_folds"].all() else "; a run of fewer folds than its n_folds: those folds' validation AUC"
    fig.suptitle(f"{budgets[table['exp'].iloc[0]] if shared else 'budgets in the legend'}{one_fold}")
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    return png


def blends_markdown(output_dir: Path) -> str:
    """A table of each blend's inputs' and its own out-of-fold CV AUC ("" without blends)."""
    rows = [f"| {name} | {inp} | {auc:.4f} |" for name, oof, _ in blends(output_dir)
            for inp in [c for c in oof.columns if c not in ("id", "target", "fold")]
            for auc in [roc_auc_score(oof["target"].round(), oof[inp])]]
    return "\n| blend | input | CV AUC |\n|---|---|---:|\n" + "\n".join(rows) + "\n" if rows else ""


def write_report(output_dir, out) -> tuple[Path, Path, str]:
    """Write OUT.md and OUT.png for the runs in output_dir; returns both paths and the Markdown."""
    output_dir, out = Path(output_dir), Path(out)
    if out.suffix in (".md", ".png"):
        out = out.with_suffix("")
    table = runs_table(output_dir)
    md_path, png_path = out.parent / f"{out.name}.md", out.parent / f"{out.name}.png"
    markdown = f"# Runs in {output_dir}\n\n{to_markdown(table)}{blends_markdown(output_dir)}\n" \
               f"![ROC and training curves]({png_path.name})\n"
    try:
        save_report_png(table, output_dir, png_path)
        md_path.write_text(markdown)
    except OSError as e:
        raise UserError(f"cannot write the report to {out}.*: {e.strerror or e}; choose another --out") from None
    return md_path, png_path, markdown


@cli
def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m common.report", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output-dir", default="outputs", help="where main.py wrote the runs (default outputs)")
    p.add_argument("--out", help="report path without suffix (default OUTPUT_DIR/report)")
    args = p.parse_args(argv)
    md_path, png_path, markdown = write_report(args.output_dir, args.out or Path(args.output_dir) / "report")
    print(markdown)
    print(f"wrote {md_path} and {png_path}")


if __name__ == "__main__":
    main()
