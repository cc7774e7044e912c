"""Do the real configs run? Every experiment at its own settings, two optimizer steps and one evaluation batch.

    python -m bench.full_configs [--exps exp0012 exp0106 ...] [--batch-size 2] [--steps 2] [--data-dir DIR]
        [--write] [--doc docs/BENCHMARKS.md]

Each experiment (exp/exp*.py, or those of --exps) keeps its model, image size, layout, front end, losses and
augmentations; only the data (a few synthetic samples, common.<competition>.synth), batch_size (--batch-size,
default 2: the smallest with batch statistics), n_folds=2 (fold 0 trains), num_workers=0 and wandb are set.
It runs main.py's pieces: the training loader (main.make_loaders), the fitted front end and build_model,
speed_up, build_loss, make_optimizer, Schedule, EMA / SWA copies where the experiment has them, the
pseudo-labelled rows (from a stand-in submission of the source experiment), augment_batch (mixup, CutMix),
`--steps` optimizer steps, then evaluate.predict_views on one batch with the experiment's test-time views.

Each experiment runs alone in a subprocess (`--one EXP`), one after the other, so its figures are its own:
peak memory is the subprocess's resource.getrusage ru_maxrss (peak resident set, the interpreter and torch
included), and its growth over the resident set before the model was built; seconds per step are wall time
of loading the batch plus the step (the first step includes one-off allocation). A failing experiment gets
its error's last line in the table and the command exits with status 1.
"""
import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from itertools import count
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.optim.swa_utils import AveragedModel

from bench import report
from common.accel import make_accelerator
from common.competition import competition
from common.config import list_experiments, load_config
from common.errors import UserError, cli
from common.losses import build_loss
from common.metrics import folds_csv
from common.models import build_model, speed_up
from evaluate import predict_views
from main import Schedule, make_ema, make_loaders, make_optimizer, pseudo_labelled

DOC_HEADER = ["exp", "model", "backbone input", "params (M)", "s/step (1st)", "s/step (2nd)", "eval batch s (views)",
              "peak RSS GiB", "RSS growth GiB", "status"]
# generator options per competition beyond --out, --train and --workers: half positives (both classes in each fold)
SYNTH_ARGS = {"seti": ["--test", "2", "--old", "0", "--positive-fraction", "0.5"],
              "g2net": ["--test", "2", "--positive-fraction", "0.5"]}


def max_rss_gib() -> float:
    """This process's peak resident set so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def make_data(root: Path, competitions, n_train: int) -> None:
    """n_train synthetic training samples of each competition under root/<competition>/ (kept when there)."""
    for name in competitions:
        out = root / name
        if not (out / "sample_submission.csv").is_file():
            cmd = [sys.executable, "-m", f"common.{name}.synth", "--out", str(out), "--train", str(n_train),
                   *SYNTH_ARGS[name], "--workers", "1"]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                raise UserError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}")


def stand_in_pseudo_source(cfg, comp) -> None:
    """A submission_folds.csv of the experiment cfg takes its pseudo labels from (every test sample at 0.5), so
    main.pseudo_labelled reads real-sized rows as training does."""
    path = folds_csv(Path(cfg.output_dir) / cfg.pseudo_labels / "submission.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    test = comp.read_test(cfg)
    pd.DataFrame({"id": test["id"], "fold0": 0.5}).to_csv(path, index=False)


def settings(name: str, data_dir: Path, output_dir: Path, batch_size: int) -> list[str]:
    """The overrides of an experiment's run here: data, batch, folds and workers; nothing of the model."""
    competition_name = load_config(name).competition
    return [f"data_dir={data_dir / competition_name}", f"output_dir={output_dir}", f"batch_size={batch_size}",
            "n_folds=2", "num_workers=0", "wandb=false", "pretrained=false"]


def run_one(name: str, data_dir: Path, output_dir: Path, batch_size: int, steps: int) -> dict:
    """Train experiment `name` for `steps` optimizer steps and evaluate one batch (the module docstring)."""
    cfg = load_config(name, settings(name, data_dir, output_dir, batch_size))
    comp = competition(cfg)
    accelerator = make_accelerator(cfg)
    df = comp.read_train(cfg)
    train_df, valid_df = df[df.fold != 0], df[df.fold == 0]
    if cfg.pseudo_labels:
        stand_in_pseudo_source(cfg, comp)
        train_df = pd.concat([train_df, pseudo_labelled(cfg, comp, 0)])
    train_loader, _, _ = make_loaders(cfg, comp, train_df, valid_df, accelerator, 0)
    rss_before = max_rss_gib()
    model = build_model(cfg, comp.make_front_end(cfg, fit=True), comp.in_channels(cfg))
    params = sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        shape = model.front_end(torch.zeros(1, *comp.SAMPLE_SHAPE))
    shape = tuple((shape[0] if isinstance(shape, tuple) else shape).shape[1:])  # side features: the image alone
    speed_up(model, cfg)
    loss_fn = build_loss(cfg).to(accelerator.device)
    optimizer = make_optimizer(cfg, model, loss_fn)
    scheduler = Schedule(cfg, optimizer, steps)
    model, optimizer = accelerator.prepare(model, optimizer)
    if any(True for _ in loss_fn.parameters()):
        loss_fn = accelerator.prepare(loss_fn)
    ema = make_ema(cfg, accelerator.unwrap_model(model)) if cfg.ema else None
    swa = AveragedModel(accelerator.unwrap_model(model)) if cfg.swa else None
    model.train()
    seconds, batches = [], (batch for _ in count() for batch in train_loader)  # more epochs when steps need them
    for step in range(1, steps + 1):
        start = time.perf_counter()
        x, y = comp.augment_batch(cfg, *next(batches), 0)
        logits = model(x, parts=cfg.separate_losses)
        loss = sum(loss_fn(z, y) for z in logits.unbind(-1))
        accelerator.backward(loss)
        if cfg.clip_grad:
            accelerator.clip_grad_norm_(model.parameters(), cfg.clip_grad)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        scheduler.step_update(step)
        if ema is not None:
            ema.update(accelerator.unwrap_model(model), step=step)
        if not np.isfinite(loss.item()):
            raise RuntimeError(f"{name}: loss {loss.item()} at step {step}")
        seconds.append(time.perf_counter() - start)
    if swa is not None:
        swa.update_parameters(accelerator.unwrap_model(model))
    eval_model = (ema.module if ema is not None else model).eval()
    start = time.perf_counter()
    logits = predict_views(cfg, [eval_model], valid_df.iloc[:batch_size], cfg.tta, accelerator, name)
    eval_seconds = time.perf_counter() - start
    if not np.isfinite(logits).all():
        raise RuntimeError(f"{name}: non-finite evaluation logits")
    return dict(exp=name, model=cfg.model_name, input="x".join(map(str, shape)), params=params, seconds=seconds,
                eval_seconds=eval_seconds, views=logits.shape[1], peak_rss=max_rss_gib(),
                rss_growth=max_rss_gib() - rss_before, status="ok")


def measure(name: str, data_dir: Path, output_dir: Path, batch_size: int, steps: int) -> dict:
    """run_one in a subprocess of its own (its ru_maxrss is this experiment's); a failure becomes the status."""
    cmd = [sys.executable, "-m", "bench.full_configs", "--one", name, "--data-dir", str(data_dir),
           "--output-dir", str(output_dir), "--batch-size", str(batch_size), "--steps", str(steps)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    lines = out.stdout.strip().splitlines()
    if out.returncode == 0 and lines:
        return json.loads(lines[-1])
    errors = [ln for ln in out.stderr.strip().splitlines() if ln.strip()]
    why = f"killed by signal {-out.returncode} (out of memory?)" if out.returncode < 0 else (errors or ["?"])[-1]
    return dict(exp=name, status=f"failed: {why[:200]}")


def table_row(r: dict) -> list:
    if r["status"] != "ok":
        return [r["exp"], *[""] * (len(DOC_HEADER) - 2), r["status"]]
    first, *rest = r["seconds"]
    return [r["exp"], r["model"], r["input"], f"{r['params'] / 1e6:.1f}", f"{first:.1f}",
            f"{rest[-1]:.1f}" if rest else "", f"{r['eval_seconds']:.1f} ({r['views']})", f"{r['peak_rss']:.2f}",
            f"{r['rss_growth']:.2f}", "ok"]


def doc_block(rows: list[dict], argv: list[str], batch_size: int, seconds: float) -> str:
    """The table with its command, machine and what the figures mean."""
    return "\n".join([
        "### Do the real configs run? (every experiment at its own settings, on the CPU)",
        "",
        f"`{report.command('bench.full_configs', argv)}` ({report.today()}, {report.machine()}, torch "
        f"{torch.__version__}, {torch.get_num_threads()} torch thread(s), {seconds / 60:.0f} min in all): each "
        f"experiment's model, input, losses and augmentations on batches of {batch_size} synthetic samples "
        "(the smallest batch with batch statistics), main.py's training step, then one evaluation batch with "
        "the experiment's test-time views (evaluate.predict_views); one subprocess per experiment, one at a time, "
        "no loader workers. Peak RSS is the subprocess's `resource.getrusage` ru_maxrss (interpreter and torch "
        "included); growth is over the resident set before the model was built. Seconds include loading the "
        "batch; the machine was shared with other jobs, so they are upper bounds. fp16 falls back to fp32 on "
        "a CPU.",
        "",
        report.markdown_table(DOC_HEADER, [table_row(r) for r in rows]),
    ])


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.full_configs", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exps", nargs="+", help="experiments to run (default: every exp/exp*.py)")
    p.add_argument("--batch-size", type=int, default=2, help="samples per step (default 2)")
    p.add_argument("--steps", type=int, default=2, help="optimizer steps (default 2)")
    p.add_argument("--data-dir", help="folder for the synthetic data, <dir>/seti and <dir>/g2net, generated when "
                   "absent and kept (default: a temporary folder)")
    p.add_argument("--write", action="store_true", help="write the table into --doc")
    p.add_argument("--doc", default=str(report.DOC), help="Markdown file for --write (default docs/BENCHMARKS.md)")
    p.add_argument("--one", metavar="EXP", help=argparse.SUPPRESS)  # the subprocess of one experiment
    p.add_argument("--output-dir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.batch_size < 2 or args.steps < 1:
        p.error("--batch-size must be >= 2 (batch statistics) and --steps >= 1")
    unknown = sorted(set(args.exps or ()) - set(list_experiments()))
    if unknown:
        raise UserError(f"--exps: no experiment {', '.join(unknown)} in exp/; see python -m bench.catalogue")
    return args


@cli
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, Path(args.data_dir), Path(args.output_dir), args.batch_size, args.steps)))
        return
    names = args.exps or list_experiments()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_full_configs_") as tmp:
        data_dir = Path(args.data_dir or Path(tmp) / "data")
        make_data(data_dir, sorted({load_config(n).competition for n in names}), max(8, 4 * args.batch_size))
        rows = []
        for name in names:
            rows.append(measure(name, data_dir, Path(tmp) / "outputs", args.batch_size, args.steps))
            print(report.markdown_table(DOC_HEADER, [table_row(rows[-1])]).splitlines()[-1], flush=True)
    block = doc_block(rows, argv, args.batch_size, time.perf_counter() - start)
    print(f"\n{block}")
    if args.write:
        report.replace_block(args.doc, "full_configs", block)
        print(f"\nwrote the full_configs block of {args.doc}")
    if any(r["status"] != "ok" for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
