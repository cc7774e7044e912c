"""Throughput: can the data path keep the model busy? Each figure is timed after `--warmup` untimed steps.

    python -m bench.throughput [--exp exp0001] [--model tf_efficientnet_b0] [--image-size 512] [--batch-size 32]
        [--layout LAYOUT] [--mixed-precision fp16] [--num-workers 4] [--steps 50] [--warmup 5] [--tta N]
        [--pack] [--set KEY=VALUE ...] [--data-dir DIR] [--write] [--doc docs/BENCHMARKS.md]

`--exp` picks the competition (exp00NN SETI, exp01NN G2Net) and its data path.
training   images/s of main.py's loop (DataLoader over the experiment's Dataset with its augmentations,
           then augment_batch, front end, forward, backward, clipping, optimizer step) against the same
           step of the backbone on one ready-made input batch on the device: the ceiling. Their ratio is
           the figure that matters.
inference  samples/s of evaluate.predict_views with the experiment's `tta` views (or --tta) against the
           backbone's forward passes alone; timed as the difference of two runs of different length, so
           loader start-up cancels.
data       samples/s per worker of the training loader and of the raw-sample (TTA) loader, no model.
synth      samples/s of `python -m common.<competition>.synth` (it also makes the data when --data-dir is
           not given).
pack       with --pack, the data's pack (python -m common.pack) is built first (samples/s printed) and
           every loader reads it instead of the files.
"""
import argparse
import dataclasses
import importlib
import itertools
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, RandomSampler

from bench import report
from common.accel import make_accelerator
from common.competition import competition
from common.config import load_config
from common.data import seed_worker
from common.errors import cli
from common.losses import build_loss
from common.models import build_model, speed_up
from common import pack
from evaluate import predict_views
from main import make_optimizer

DOC_HEADER = ["date", "machine", "torch", "command", "precision", "train img/s", "train ceiling img/s",
              "train ratio", "TTA views", "TTA samples/s", "TTA ceiling samples/s", "TTA ratio",
              "train loader samples/s/worker", "raw loader samples/s/worker", "synth samples/s"]
# options of each competition's generator beyond --out, --train, --test, --workers
SYNTH_ARGS = {"seti": ["--old", "0"]}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def rate(batches, step, warmup: int, steps: int, batch_size: int, device) -> float:
    """Samples/s of `step(batch)` over `steps` batches, after `warmup` untimed ones."""
    batches = iter(batches)
    for _ in range(warmup):
        step(next(batches))
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step(next(batches))
    sync(device)
    return steps * batch_size / (time.perf_counter() - start)


def make_training_set(competition_name: str, out, count: int, workers: int) -> None:
    """`count` synthetic training samples (no test split) of the competition's default distribution in `out`
    (`python -m common.<competition>.synth`, `workers` processes)."""
    synth = importlib.import_module(f"common.{competition_name}.synth")
    synth.main(["--out", str(out), "--train", str(count), "--test", "0", *SYNTH_ARGS.get(competition_name, []),
                "--workers", str(max(1, workers))])


def synth_rate(competition_name: str, out: Path, count: int, workers: int) -> float:
    """Samples/s of the competition's generator writing `count` train samples to `out` (after a 2-sample
    warm-up)."""
    make_training_set(competition_name, out.with_name("warmup"), 2, workers)
    start = time.perf_counter()
    make_training_set(competition_name, out, count, workers)
    return count / (time.perf_counter() - start)


def input_shape(cfg, front_end, device) -> tuple[int, ...]:
    """(C, H, W) of the backbone's input: what the front end makes of one sample."""
    with torch.no_grad():
        out = front_end(torch.zeros(1, *competition(cfg).SAMPLE_SHAPE, device=device))
    return tuple((out[0] if isinstance(out, tuple) else out)[0].shape)  # side features: the image alone


def train_loader(cfg, df, n_batches: int) -> DataLoader:
    """main.py's training loader, drawing n_batches batches with replacement from df."""
    sampler = RandomSampler(range(len(df)), replacement=True, num_samples=n_batches * cfg.batch_size)
    return DataLoader(competition(cfg).make_dataset(cfg, df, train=True), batch_size=cfg.batch_size,
                      sampler=sampler, num_workers=cfg.num_workers, pin_memory=torch.cuda.is_available(),
                      drop_last=True, worker_init_fn=seed_worker)


def make_model(cfg):
    """The experiment's model as main.py prepares it (channels_last, compile)."""
    comp = competition(cfg)
    return speed_up(build_model(cfg, comp.make_front_end(cfg, fit=True), comp.in_channels(cfg)), cfg)


def ready_input(cfg, model, device) -> torch.Tensor:
    """A random batch shaped like the backbone's input, in the memory format the model gives it."""
    x = torch.randn(cfg.batch_size, *input_shape(cfg, model.front_end, device), device=device)
    return x.contiguous(memory_format=torch.channels_last) if model.channels_last and x.dim() == 4 else x


def bench_training(cfg, df, accelerator, warmup: int, steps: int) -> tuple[float, float]:
    """Images/s of the full training pipeline (loader, batch augmentation, front end, step) and of the
    backbone's step alone on ready model inputs (the ceiling)."""
    comp, device = competition(cfg), accelerator.device
    model = make_model(cfg)
    loss_fn = build_loss(cfg).to(device)
    optimizer = make_optimizer(cfg, model, loss_fn)
    model, optimizer = accelerator.prepare(model, optimizer)
    model.train()

    def step(batch, net=model):
        x, y = (t.to(device, non_blocking=True) for t in batch)
        if net is model:
            x, y = comp.augment_batch(cfg, x, y, 0)
        loss = loss_fn(net(x).squeeze(-1), y)
        accelerator.backward(loss)
        if cfg.clip_grad:
            accelerator.clip_grad_norm_(model.parameters(), cfg.clip_grad)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()  # main.py reads every loss

    full = rate(train_loader(cfg, df, warmup + steps), step, warmup, steps, cfg.batch_size, device)
    backbone = accelerator.unwrap_model(model).backbone
    ready = (ready_input(cfg, accelerator.unwrap_model(model), device),
             torch.randint(0, 2, (cfg.batch_size,), device=device).float())
    ceiling = rate(itertools.repeat(ready), lambda b: step(b, backbone), warmup, steps, cfg.batch_size, device)
    return full, ceiling


def bench_inference(cfg, df, accelerator, warmup: int, steps: int, n_views: int) -> tuple[float, float]:
    """Samples/s of predict_views with n_views views and of the backbone's n_views forward passes alone (the
    ceiling)."""
    device, size = accelerator.device, cfg.batch_size
    model = accelerator.prepare_model(make_model(cfg).eval(), evaluation_mode=True)
    rows = np.arange((warmup + steps) * size) % len(df)

    def run(n_batches: int) -> float:
        start = time.perf_counter()
        predict_views(cfg, [model], df.iloc[rows[:n_batches * size]], n_views, accelerator, "TTA")
        return time.perf_counter() - start

    run(warmup)
    full = steps * size / (run(warmup + steps) - run(warmup))
    unwrapped = accelerator.unwrap_model(model)
    x = ready_input(cfg, unwrapped, device)

    @torch.no_grad()
    def forward(_):
        with accelerator.autocast():
            torch.stack([unwrapped.backbone(x).squeeze(-1).float() for _ in range(n_views)]).cpu()

    ceiling = rate(itertools.repeat(None), forward, warmup, steps, size, device)
    return full, ceiling


def bench_loaders(cfg, df, warmup: int, steps: int) -> tuple[float, float]:
    """Samples/s per worker of the training loader and of the evaluation loader, without a model."""
    workers, cpu = max(1, cfg.num_workers), torch.device("cpu")
    n = warmup + steps
    train = rate(train_loader(cfg, df, n), lambda b: None, warmup, steps, cfg.batch_size, cpu)
    rows = np.arange(n * cfg.batch_size) % len(df)
    raw = DataLoader(competition(cfg).make_dataset(cfg, df.iloc[rows], train=False), batch_size=cfg.batch_size,
                     num_workers=cfg.num_workers)
    raw_rate = rate(raw, lambda b: None, warmup, steps, cfg.batch_size, cpu)
    return train / workers, raw_rate / workers


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exp", default="exp0001", help="experiment whose competition, data path and augmentations "
                   "are used (default exp0001)")
    p.add_argument("--model", default="tf_efficientnet_b0", help="timm model (default tf_efficientnet_b0)")
    p.add_argument("--image-size", type=int, default=512, help="input side in pixels (default 512; 128 on a CPU)")
    p.add_argument("--batch-size", type=int, help="default: the experiment's")
    p.add_argument("--layout", help="default: the experiment's")
    p.add_argument("--mixed-precision", choices=("no", "fp16", "bf16"), help="default: the experiment's")
    p.add_argument("--num-workers", type=int, help="DataLoader workers (default: the experiment's)")
    p.add_argument("--steps", type=int, default=50, help="timed batches per figure (default 50)")
    p.add_argument("--warmup", type=int, default=5, help="untimed batches before each figure (default 5)")
    p.add_argument("--tta", type=int, help="test-time views (default: the experiment's tta, 16 SETI, 2 G2Net)")
    p.add_argument("--pack", action="store_true", help="build the data's pack first (python -m common.pack) so "
                   "the loaders read it (a --data-dir with a fresh pack is read anyway)")
    p.add_argument("--set", nargs="+", action="append", default=[], metavar="KEY=VALUE",
                   help="other config overrides, e.g. channels_last=true compile=true")
    p.add_argument("--data-dir", help="a dataset in the Kaggle layout (default: a synthetic one in a temp dir)")
    p.add_argument("--synth-count", type=int, default=64, help="samples generated for the synth figure (default 64)")
    p.add_argument("--write", action="store_true", help="append a row to --doc")
    p.add_argument("--doc", default=str(report.DOC), help="Markdown file for --write (default docs/BENCHMARKS.md)")
    args = p.parse_args(argv)
    if args.steps < 1 or args.warmup < 1 or args.synth_count < 20:
        p.error("--steps and --warmup must be >= 1 and --synth-count >= 20 (two needles at least)")
    return args


def config(args, data_dir):
    """The experiment's config with the command-line flags; random weights (no download), no wandb."""
    flags = dict(model_name=args.model, image_size=args.image_size, batch_size=args.batch_size, layout=args.layout,
                 mixed_precision=args.mixed_precision, num_workers=args.num_workers, tta=args.tta)
    overrides = [f"{k}={v}" for k, v in flags.items() if v is not None]
    extra = [v for group in args.set for v in group]
    return load_config(args.exp, [*overrides, *extra, f"data_dir={data_dir}", "wandb=false", "pretrained=false"])


@cli
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_throughput_") as tmp:
        synth_dir = Path(tmp) / "data"
        cfg = config(args, args.data_dir or synth_dir)
        synth_per_s = synth_rate(cfg.competition, synth_dir, args.synth_count, max(1, cfg.num_workers))
        df = competition(cfg).read_train(dataclasses.replace(cfg, n_folds=2))
        pack_per_s = None
        if args.pack:
            start = time.perf_counter()
            pack.build(cfg, df, workers=cfg.num_workers)
            pack_per_s = len(df) / (time.perf_counter() - start)
        source = "pack" if pack.is_fresh(cfg, df) else "files"
        n_views = len(competition(cfg).tta_views(cfg, cfg.tta))
        accelerator = make_accelerator(cfg)
        train, train_ceiling = bench_training(cfg, df, accelerator, args.warmup, args.steps)
        tta, tta_ceiling = bench_inference(cfg, df, accelerator, args.warmup, args.steps, n_views)
        loader, raw_loader = bench_loaders(cfg, df, args.warmup, args.steps)

    precision = accelerator.mixed_precision
    train_s, ceiling_s, train_ratio = f"{train:.1f}", f"{train_ceiling:.1f}", f"{train / train_ceiling:.0%}"
    tta_s, tta_ceiling_s, tta_ratio = f"{tta:.2f}", f"{tta_ceiling:.2f}", f"{tta / tta_ceiling:.0%}"
    loader_s, raw_s, synth_s = f"{loader:.1f}", f"{raw_loader:.1f}", f"{synth_per_s:.1f}"
    keys = ", ".join(f"{k} {getattr(cfg, k)}" for k in ("layout", "front_end") if hasattr(cfg, k))
    print(f"\n{cfg.exp} ({cfg.competition}, {keys}): {args.model} at {cfg.image_size} px, batch {cfg.batch_size}, "
          f"mixed precision {precision}, channels_last {cfg.channels_last}, compile {cfg.compile}, data from the "
          f"{source}, {cfg.num_workers} workers, {args.steps} timed steps on {report.machine()}\n")
    print(report.markdown_table(["", "full pipeline", "model only (ceiling)", "pipeline / ceiling"], [
        ["training, images/s", train_s, ceiling_s, train_ratio],
        [f"inference {n_views}x TTA, samples/s", tta_s, tta_ceiling_s, tta_ratio],
    ]))
    print()
    rows = [
        ["training loader, samples/s per worker", loader_s],
        ["workers needed to feed the training ceiling", math.ceil(train_ceiling / loader)],
        ["raw-sample (TTA) loader, samples/s per worker", raw_s],
        [f"synthetic generation, samples/s ({max(1, cfg.num_workers)} processes)", synth_s],
    ]
    if pack_per_s is not None:
        rows.append([f"pack build, samples/s ({cfg.num_workers} workers)", f"{pack_per_s:.1f}"])
    print(report.markdown_table(["data path", "figure"], rows))
    if args.write:
        row = [report.today(), report.machine(), torch.__version__, f"`{report.command('bench.throughput', argv)}`",
               precision, train_s, ceiling_s, train_ratio, n_views, tta_s, tta_ceiling_s, tta_ratio, loader_s, raw_s,
               synth_s]
        report.append_row(args.doc, "throughput", DOC_HEADER, row)
        print(f"\nappended a row to {args.doc}")


if __name__ == "__main__":
    main()
