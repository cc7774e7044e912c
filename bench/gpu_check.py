"""The GPU check: does the full training pipeline keep a GPU busy at the log's real configs? (bench/gpu_check.sh)

    bench/gpu_check.sh [--dry] [--budget 420] [--steps 20] [--warmup 5] [--num-workers N] [--doc FILE]
    bench/gpu_check.sh --pending      # write the block's description, "not measured on a GPU yet"

Models: SETI exp0012 (EfficientNet-B0, [aaa,bcd] at 512 px), the same with EfficientNet-B5, G2Net exp0101
(CQT image, B0, 512 px) and exp0114 (the 1D CNN on the whitened wave), each at the experiment's batch size.
Variants: fp16 and bf16, channels_last off and on (not for the 1D CNN, whose input is 3D), and fp16 with
channels_last and compile. Each case times, with bench.throughput's functions, main.py's training step
through the loader (from a pack of synthetic data) against the backbone's step on a resident random batch
(the ceiling); evaluate.predict_views with 16 test-time views (SETI) or the experiment's own `tta` (G2Net)
against the backbone's forward passes alone; and the peak GPU memory of the case (torch.cuda.max_memory_allocated).
The cases run in that order, compile last; one that would start after --budget seconds is skipped (the
shell script also stops the whole check at 8 minutes), and the block in the doc is rewritten after every
case, so an interrupted check keeps its finished rows. With two GPUs or more, bench/gpu_check.sh then runs
each model's fp16 case in 2 processes (accelerate launch, `--processes-row`): the training rows' samples/s
summed over the processes.

--dry runs the same code on the CPU at tiny sizes (32 px, batches of 2, one timed step, B5 -> B0 and the 1D
CNN at width 8, compile with dynamo's eager backend, 2 test-time views; the cases of `cases(dry=True)` and
one 2-process row): it checks the code paths, its figures mean nothing, and it writes only to --doc.
"""
import argparse
import dataclasses
import gc
import json
import os
import sys
import time
from pathlib import Path

import torch
from accelerate.state import AcceleratorState

import common.models
from bench import report, throughput
from common import pack
from common.accel import make_accelerator, process_state
from common.competition import competition
from common.config import load_config
from common.errors import UserError, cli

BLOCK = "gpu_check"
# (name, experiment, overrides): the models of the module docstring
MODELS = (("SETI B0", "exp0012", ()), ("SETI B5", "exp0012", ("model_name=tf_efficientnet_b5",)),
          ("G2Net CQT B0", "exp0101", ()), ("G2Net 1D CNN", "exp0114", ()))
# (mixed_precision, channels_last, compile)
VARIANTS = (("fp16", False, False), ("fp16", True, False), ("bf16", False, False), ("bf16", True, False),
            ("fp16", True, True))
# --dry: the smaller model that takes the same code path
DRY_MODELS = {"tf_efficientnet_b5": "tf_efficientnet_b0", "g2net_cnn1d": "g2net_cnn1d_t"}
TTA_VIEWS = {"seti": 16}  # test-time views per competition; others: the experiment's own tta
DOC_HEADER = ["model", "exp", "precision", "channels_last", "compile", "processes", "train img/s",
              "ceiling img/s", "train / ceiling", "TTA views", "TTA samples/s", "TTA ceiling samples/s",
              "TTA / ceiling", "peak GPU GiB", "seconds"]


@dataclasses.dataclass
class Case:
    model: str
    exp: str
    overrides: tuple
    precision: str
    channels_last: bool
    compile: bool

    def settings(self, dry: bool) -> list[str]:
        keys = [*self.overrides, f"mixed_precision={self.precision}", f"channels_last={self.channels_last}",
                f"compile={self.compile}"]
        if dry:
            name = load_config(self.exp, self.overrides).model_name
            keys += ["image_size=32", "batch_size=2", f"model_name={DRY_MODELS.get(name, name)}"]
        return keys


def cases(dry: bool) -> list[Case]:
    """Every model under every variant that applies (channels_last not for the 1D CNN's 3D input), compile
    last. --dry: every model once under fp16 (B5 is B0 there, so not again), the first one with channels_last
    and under bf16, and the 1D CNN compiled (dynamo traces its few modules faster than EfficientNet's)."""
    if dry:
        first = [Case(name, exp, overrides, *VARIANTS[0]) for name, exp, overrides in MODELS if not overrides]
        return [*first, Case(*MODELS[0], *VARIANTS[1]), Case(*MODELS[0], *VARIANTS[2]),
                Case(*MODELS[-1], *VARIANTS[-1])]

    def wave(exp):
        return getattr(load_config(exp), "front_end", "") == "wave"

    return [Case(name, exp, overrides, precision, channels_last, compiled)
            for precision, channels_last, compiled in VARIANTS for name, exp, overrides in MODELS
            if not (wave(exp) and channels_last and not compiled)]


def make_data(root: Path, n: int, workers: int) -> None:
    """n synthetic training samples of each competition of MODELS under root/<competition>, packed (common.pack)."""
    first = {load_config(exp).competition: exp for _, exp, _ in reversed(MODELS)}
    for name, exp in first.items():
        cfg = load_config(exp, [f"data_dir={root / name}", "wandb=false"])
        throughput.make_training_set(name, cfg.data_dir, n, workers)
        pack.build(cfg, competition(cfg).read_train(dataclasses.replace(cfg, n_folds=2)), workers=workers,
                   progress=False, log=lambda *a: None)


def run_case(case: Case, args) -> dict:
    """The case's training, TTA (one process only) and memory figures, by bench.throughput, in this process."""
    competition_name = load_config(case.exp).competition
    cfg = load_config(case.exp, [*case.settings(args.dry), f"data_dir={Path(args.data) / competition_name}",
                                 f"num_workers={args.num_workers}", "wandb=false", "pretrained=false"])
    df = competition(cfg).read_train(dataclasses.replace(cfg, n_folds=2))
    AcceleratorState._reset_state()  # each case its own mixed precision (the process group stays)
    accelerator = make_accelerator(cfg)
    cuda = accelerator.device.type == "cuda"
    if cuda:
        gc.collect()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    train, ceiling = throughput.bench_training(cfg, df, accelerator, args.warmup, args.steps)
    n = accelerator.num_processes  # each process steps on its own batch of batch_size
    row = dict(case=dataclasses.asdict(case), processes=n, train=train * n, ceiling=ceiling * n)
    if n == 1:
        views = len(competition(cfg).tta_views(cfg, 2 if args.dry else TTA_VIEWS.get(cfg.competition, cfg.tta)))
        tta, tta_ceiling = throughput.bench_inference(cfg, df, accelerator, args.warmup, args.steps, views)
        row.update(views=views, tta=tta, tta_ceiling=tta_ceiling)
    row.update(memory=torch.cuda.max_memory_allocated() / 2**30 if cuda else None, seconds=time.perf_counter() - start,
               status="ok")
    return row


def table_row(r: dict) -> list:
    c = r["case"]
    first = [c["model"], c["exp"], c["precision"], c["channels_last"], c["compile"], r.get("processes", 1)]
    if r["status"] != "ok":
        return [*first, r["status"], *[""] * (len(DOC_HEADER) - len(first) - 1)]
    tta = [r["views"], f"{r['tta']:.1f}", f"{r['tta_ceiling']:.1f}", f"{r['tta'] / r['tta_ceiling']:.0%}"] \
        if "tta" in r else [""] * 4
    memory = f"{r['memory']:.1f}" if r["memory"] is not None else "-"
    return [*first, f"{r['train']:.1f}", f"{r['ceiling']:.1f}", f"{r['train'] / r['ceiling']:.0%}", *tta, memory,
            f"{r['seconds']:.0f}"]


def description(dry: bool) -> str:
    what = ("Dry run on the CPU at tiny sizes (`bench/gpu_check.sh --dry`): it checks the code paths; its figures "
            "mean nothing." if dry else
            "Training: main.py's step through the loader (from a pack of synthetic data) against the backbone's "
            "step on a resident random batch (the ceiling); TTA: evaluate.predict_views with 16 views (SETI) or "
            "the experiment's own `tta` (G2Net) against the backbone's forward passes alone; the case's peak GPU "
            "memory "
            "(max_memory_allocated). The 2-process rows (two GPUs or more) sum the processes' samples/s, each "
            "stepping on the experiment's batch size. Goal: training at 95% or more of the ceiling at 512 px "
            "under fp16.")
    return f"### GPU check (`bench/gpu_check.sh`, at most 8 minutes on one GPU)\n\n{what}"


def pending_block() -> str:
    return (f"{description(dry=False)}\n\nNot measured on a GPU yet: no GPU machine was available when the check "
            f"was written ({report.today()}). `bench/gpu_check.sh --dry` (in `make test`) runs its code on the CPU.")


def write(rows: list[dict], args, argv: list[str]) -> None:
    """Rewrite the doc's block with rows (and keep them in args.data/rows.json for the 2-process run)."""
    Path(args.data, "rows.json").write_text(json.dumps(rows))
    if not args.doc:
        return
    shown = [a for a in argv if not a.startswith("--data") and a != args.data and a != "--processes-row"]
    setup = (f"`bash bench/gpu_check.sh {' '.join(shown)}`".replace(" `", "`") +
             f" ({report.today()}, {report.machine()}, torch {torch.__version__}, {args.steps} timed steps after "
             f"{args.warmup}, {args.num_workers} loader workers, {args.samples} synthetic samples per competition)")
    table = report.markdown_table(DOC_HEADER, [table_row(r) for r in rows])
    report.replace_block(args.doc, BLOCK, "\n\n".join([description(args.dry), setup, table]))


def run_rows(todo: list[Case], rows: list[dict], args, argv: list[str], main_process: bool = True) -> None:
    """Run the cases of todo within the budget, appending to rows; the block is rewritten after each case."""
    start = time.perf_counter()
    for case in todo:
        if time.perf_counter() - start > args.budget:
            row = dict(case=dataclasses.asdict(case), status=f"skipped: past the {args.budget:.0f} s budget")
        else:
            try:
                row = run_case(case, args)
            except (RuntimeError, UserError) as e:  # out of memory, a compile failure: the next cases still run
                row = dict(case=dataclasses.asdict(case), status=f"failed: {str(e).strip().splitlines()[0][:200]}")
        if main_process:
            rows.append(row)
            print(report.markdown_table(DOC_HEADER, [table_row(row)]).splitlines()[-1], flush=True)
            write(rows, args, argv)


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="bench/gpu_check.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dry", action="store_true", help="the same code on the CPU at tiny sizes")
    p.add_argument("--pending", action="store_true", help="only write the block's description (no GPU yet)")
    p.add_argument("--budget", type=float, default=420, help="start no case after this many seconds (default 420)")
    p.add_argument("--steps", type=int, help="timed steps per figure (default 20; 1 with --dry)")
    p.add_argument("--warmup", type=int, help="untimed steps before each figure (default 5; 1 with --dry)")
    p.add_argument("--num-workers", type=int, help="loader workers (default min(8, CPUs); 0 with --dry)")
    p.add_argument("--samples", type=int, help="synthetic samples per competition (default 64; 20 with --dry)")
    p.add_argument("--doc", help="Markdown file for the rows (default docs/BENCHMARKS.md; none with --dry)")
    p.add_argument("--data", required=False, help="folder for the synthetic data (bench/gpu_check.sh makes one)")
    p.add_argument("--processes-row", action="store_true", help=argparse.SUPPRESS)  # under accelerate launch
    args = p.parse_args(argv)
    defaults = (1, 1, 0, 20) if args.dry else (20, 5, min(8, os.cpu_count() or 1), 64)
    for key, value in zip(("steps", "warmup", "num_workers", "samples"), defaults):
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.doc is None and not args.dry:
        args.doc = str(report.DOC)
    if not args.pending and not args.data:
        p.error("--data DIR is needed (bench/gpu_check.sh passes a temporary one)")
    return args


@cli
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.pending:
        report.replace_block(args.doc, BLOCK, pending_block())
        return
    if not (args.dry or torch.cuda.is_available()):
        raise UserError("no CUDA device: run bench/gpu_check.sh on a GPU machine, or with --dry to check its code "
                        "on the CPU")
    if args.dry:
        common.models.COMPILE_KWARGS = {"backend": "eager"}
    if args.processes_row:  # each model's first case in this launch's processes, after the 1-process rows
        state = process_state()
        rows = json.loads(Path(args.data, "rows.json").read_text())
        first = {}
        for case in cases(args.dry):
            first.setdefault(case.model, case)
        todo = list(first.values())
        run_rows(todo[:1] if args.dry else todo, rows, args, argv, state.is_main_process)
        return
    make_data(Path(args.data), args.samples, args.num_workers)
    run_rows(cases(args.dry), [], args, argv)


if __name__ == "__main__":
    main()
