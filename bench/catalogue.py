"""The experiment catalogue at one budget: every listed experiment trained on the same data, folds and epochs,
then one table (exp, change, CV AUC, minutes) with the command that made it, and the report PNG.

    python -m bench.catalogue --exps exp0001-exp0024 --set data_dir=D output_dir=O epochs=3 ... [--out O/catalogue]

Each experiment runs as `python main.py --exp E --resume --set <--set>`: the budget's keys override every
experiment's. An experiment whose config at this budget equals one already run (its own change overridden by the
budget, e.g. a 512 px resize under image_size=128) is not trained again: its row names that twin. One already in
<output_dir>/summary.csv is skipped, so an interrupted catalogue continues where it stopped. An experiment whose
`pseudo_labels` names another gets that one's submission first (evaluate.py, with the same budget). An
experiment that fails (an image too small for its model, say) gets a row saying so and the others still run;
the catalogue then exits with an error naming it.
"""
import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd

from common.config import load_config
from common.errors import UserError, cli
from common.report import runs_table, save_report_png, to_markdown

IDENTITY_KEYS = ("exp", "parent", "output_dir")  # keys that do not change what a run trains


def expand(names: list[str]) -> list[str]:
    """exp0001-exp0003 exp0007 -> [exp0001, exp0002, exp0003, exp0007]."""
    out = []
    for name in names:
        m = re.fullmatch(r"exp(\d+)-exp(\d+)", name)
        out += [f"exp{i:04d}" for i in range(int(m[1]), int(m[2]) + 1)] if m else [name]
    return out


def run(args: list[str]) -> bool:
    """Run one of the project's scripts with this interpreter; True when it succeeded."""
    print("+ python " + shlex.join(args), flush=True)
    return subprocess.run([sys.executable, *args]).returncode == 0


def train_all(exps: list[str], overrides: list[str], output_dir: Path) -> tuple[dict[str, str], list[str]]:
    """Train each experiment at the budget; returns {exp: earlier exp with the same config} for the twins, and
    the experiments that failed (the others still run)."""
    configs = {exp: load_config(exp, overrides) for exp in exps}
    summary = output_dir / "summary.csv"
    done = set(pd.read_csv(summary, dtype={"exp": str})["exp"]) if summary.is_file() else set()
    twins, seen, failed = {}, {}, []
    for exp, cfg in configs.items():
        key = repr({k: v for k, v in cfg.to_dict().items() if k not in IDENTITY_KEYS})
        if key in seen:
            twins[exp] = seen[key]
            continue
        seen[key] = exp
        if exp in done:
            continue
        source = cfg.pseudo_labels
        if source in configs and not (output_dir / source / "submission.csv").is_file():
            if not run(["evaluate.py", "--exp", source, "--set", *overrides]):
                failed.append(exp)
                continue
        if not run(["main.py", "--exp", exp, "--resume", "--set", *overrides]):
            failed.append(exp)
    return twins, failed


def catalogue_markdown(exps: list[str], overrides: list[str], output_dir: Path, twins: dict[str, str],
                       failed: list[str], png: Path, typed: list[str]) -> str:
    """The table of the catalogue's runs (twins point at their run, failures say so) and its command, with the
    experiments as `typed` (ranges kept)."""
    table = runs_table(output_dir)
    table = table[table["exp"].isin(exps)]
    save_report_png(table, output_dir, png)
    rows = to_markdown(table).splitlines()
    for exp, twin in twins.items():
        rows.append(f"| {exp} | | | same config as {twin} at this budget: not run | | | |")
    rows += [f"| {exp} | | | failed at this budget (its error is in the catalogue's log) | | | |" for exp in failed]
    command = shlex.join(["python", "-m", "bench.catalogue", "--exps", *typed, "--set", *overrides])
    return f"```\n{command}\n```\n\n" + "\n".join(rows) + f"\n\n![ROC and training curves]({png.name})\n"


@cli
def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.catalogue", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exps", nargs="+", required=True, help="experiments, ranges allowed: exp0001-exp0024")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="the budget, applied to every one")
    p.add_argument("--out", help="report path without suffix (default <output_dir>/catalogue)")
    args = p.parse_args(argv)
    exps = expand(args.exps)
    if not exps:
        raise UserError(f"--exps {' '.join(args.exps)} names no experiment (a range runs low to high: exp0001-exp0024)")
    output_dir = Path(load_config(exps[0], args.set).output_dir)
    twins, failed = train_all(exps, args.set, output_dir)
    out = Path(args.out or output_dir / "catalogue")
    markdown = catalogue_markdown(exps, args.set, output_dir, twins, failed, out.with_suffix(".png"), args.exps)
    out.with_suffix(".md").write_text(markdown)
    print(markdown)
    print(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.png')}")
    if failed:
        raise UserError(f"{', '.join(failed)} failed (see their errors above); fix them and run the catalogue "
                        "again: it continues")


if __name__ == "__main__":
    main()
