"""Scaling: what a full-size run costs before the first GPU step, and whether that cost grows linearly.

    python -m bench.scaling [--competitions seti g2net] [--seti-sizes 600 6000] [--g2net-sizes 5600 56000]
        [--work /tmp/scaling] [--keep] [--workers 2] [--batches N] [--eval-batches 10]
        [--set KEY=VALUE ...] [--write] [--doc DOC]

For each competition and each size (training samples; the defaults are 1% and 10% of Kaggle's 60,000 SETI
cadences and 560,000 G2Net samples) it generates a synthetic training set with the competition's generator
(`python -m common.<competition>.synth`, --workers processes) under --work, then times, in this process:

startup         read_train (labels CSV, one directory scan for the files, stratified folds)
datasets        fold 0's training and validation Datasets from the files, as main.py's make_loaders builds them
pack            python -m common.pack's build of the training split
pack datasets   the same Datasets from the pack (manifest, ids table, one stat per file: the freshness check)
whitening       the competition's fit_front_ends (G2Net: the per-fold whitening spectra; SETI fits nothing)
classical       common.baseline.classical_features (SETI: dedoppler statistics; G2Net: matched filter and
                excess power), what blend.py --classical needs; not needed to train
loader          main.py's training loader (make_loaders: its sampler, workers, augmentations) over the rest of
                fold 0's epoch after its first batch (or --batches batches), from the files and from the pack:
                samples/s per worker (a whole epoch, so the batches prefetched while the workers start are a
                small share of it)
evaluation      evaluate.predict_views over --eval-batches validation batches from the pack with the experiment's
                views and a tiny model (test_nfnet at 64 px): the input pipeline, front end included

With each step: the growth of this process's peak RSS (reset before it through /proc/self/clear_refs), the
Python memory the start-up keeps per sample (tracemalloc), and the loader workers' private memory (USS).
The figures at the largest size are extrapolated to the full size with the growth exponent measured between the
smallest and the largest (at least 1: linear). Each size's data are deleted once it is measured, the --work
folder at the end unless --keep; an interrupted run resumes from the sizes finished (their results.json).
--write replaces the competition's block in --doc (`<!-- scaling_<competition> start -->`).
"""
import argparse
import contextlib
import dataclasses
import gc
import json
import math
import re
import shutil
import subprocess
import sys
import time
import tracemalloc
from itertools import islice
from pathlib import Path

import numpy as np
import psutil

from bench import report
from bench.throughput import make_training_set
from common import pack
from common.accel import make_accelerator
from common.baseline import classical_features
from common.competition import competition
from common.config import load_config
from common.errors import UserError, cli
from common.models import build_model
from evaluate import predict_views
from main import make_loaders

FULL_TRAIN = {"seti": 60_000, "g2net": 560_000}  # Kaggle's training sets
DEFAULT_SIZES = {"seti": [600, 6000], "g2net": [5600, 56_000]}
EXPS = {"seti": "exp0025", "g2net": "exp0101"}  # the SETI CPU recipe, the G2Net baseline
FILE_BYTES = {"seti": 2, "g2net": 8}  # bytes per value of the generators' files: float16 cadences, float64 strain
TINY = dict(model_name="test_nfnet", image_size=64)  # evaluation's model: the figure is the input pipeline
MIB = 2**20


def process_memory() -> tuple[int, int]:
    """(resident, peak resident) bytes of this process (VmRSS, VmHWM)."""
    status = Path("/proc/self/status").read_text()
    return tuple(int(re.search(rf"{k}:\s+(\d+)", status).group(1)) * 1024 for k in ("VmRSS", "VmHWM"))


@contextlib.contextmanager
def step(results: dict, name: str):
    """Time the block; results[name] = {seconds, peak_mib: how far the peak RSS rose above the RSS at its start}."""
    gc.collect()
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS (Linux 4.0+)
    rss, _ = process_memory()
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    results[name] = dict(seconds=seconds, peak_mib=(process_memory()[1] - rss) / MIB)


def retained_bytes(make) -> int:
    """Bytes of Python (and numpy) memory still held by what make() returns (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    kept = make()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return held


def worker_uss_mib() -> float:
    """Private memory (USS) of this process's children, summed: the loader workers' own copies."""
    return sum(c.memory_full_info().uss for c in psutil.Process().children()) / MIB


def loader_rate(cfg, comp, df, batches: int, results: dict, name: str) -> None:
    """main.py's fold-0 training loader: seconds to its first batch, then samples/s per worker over `batches` more
    (None: the rest of the epoch)."""
    accelerator = make_accelerator(cfg)
    train_loader, _, _ = make_loaders(cfg, comp, df[df.fold != 0], df[df.fold == 0], accelerator, 0)
    with step(results, f"{name} first batch"):
        batches_iter = iter(train_loader)
        next(batches_iter)
    start = time.perf_counter()
    drawn = sum(1 for _ in islice(batches_iter, batches))
    seconds = time.perf_counter() - start
    results[name] = dict(rate=drawn * cfg.batch_size / seconds / max(1, cfg.num_workers), seconds=seconds,
                         worker_uss_mib=worker_uss_mib() if cfg.num_workers else 0.0)
    del batches_iter, train_loader
    gc.collect()


def evaluation_rate(cfg, comp, df, fitted: dict, batches: int, results: dict) -> None:
    """Sample-views/s of evaluate.predict_views on fold 0's first `batches` validation batches, tiny model."""
    tiny = dataclasses.replace(cfg, **TINY)
    accelerator = make_accelerator(tiny)
    model = build_model(tiny, comp.make_front_end(tiny, fitted=fitted.get(0)), comp.in_channels(tiny)).eval()
    model = accelerator.prepare_model(model, evaluation_mode=True)
    valid = df[df.fold == 0].iloc[:batches * tiny.batch_size]
    views = len(comp.tta_views(tiny, tiny.tta))
    with step(results, "evaluation"):
        predict_views(tiny, [model], valid, views, accelerator, "evaluation")
    results["evaluation"].update(rate=len(valid) * views / results["evaluation"]["seconds"], views=views)


def config(name: str, data_dir: Path, out_dir: Path, args):
    """The competition's experiment (EXPS) on data_dir, writing under out_dir; random weights, no wandb."""
    extra = [v for group in args.set for v in group]
    return load_config(EXPS[name], [f"data_dir={data_dir}", f"output_dir={out_dir}", f"num_workers={args.workers}",
                                    "wandb=false", "pretrained=false", *extra])


def startup(cfg, comp, results: dict):
    """Timed start-up from the files: the labels and folds, then fold 0's Datasets; returns the labels table."""
    files = dataclasses.replace(cfg, packed=False)
    with step(results, "startup"):
        df = comp.read_train(files)
    with step(results, "datasets"):
        comp.make_dataset(files, df[df.fold != 0], train=True), comp.make_dataset(files, df[df.fold == 0], False)
    results["startup"]["held_bytes"] = retained_bytes(lambda: comp.read_train(files))
    results["datasets"]["held_bytes"] = retained_bytes(lambda: (comp.make_dataset(files, df, True),))
    return df


def packed_startup(cfg, comp, df, results: dict) -> None:
    """Timed pack build, then fold 0's Datasets from it as a fresh process makes them (freshness cache cleared)."""
    with step(results, "pack"):
        pack.build(cfg, df, workers=cfg.num_workers, progress=False, log=lambda _: None)
    pack._checked.clear()
    with step(results, "pack datasets"):
        comp.make_dataset(cfg, df[df.fold != 0], train=True), comp.make_dataset(cfg, df[df.fold == 0], False)
    pack._checked.clear()
    results["pack datasets"]["held_bytes"] = retained_bytes(lambda: (comp.make_dataset(cfg, df, True), pack._checked))


def measure(name: str, n: int, folder: Path, args) -> dict:
    """Every figure of one competition at one size, from data generated into folder/input."""
    data_dir, results = folder / "input", {}
    with step(results, "generate"):
        make_training_set(name, data_dir, n, args.workers)
    cfg = config(name, data_dir, folder / "out", args)
    comp = competition(cfg)
    df = startup(cfg, comp, results)
    packed_startup(cfg, comp, df, results)
    with step(results, "whitening"):
        fitted = comp.fit_front_ends(cfg, df)
    with step(results, "classical"):
        classical_features(cfg, df)
    loader_rate(dataclasses.replace(cfg, packed=False), comp, df, args.batches, results, "loader files")
    loader_rate(cfg, comp, df, args.batches, results, "loader pack")
    evaluation_rate(cfg, comp, df, fitted, args.eval_batches, results)
    results["meta"] = dict(n=n, train=int((df.fold != 0).sum()), n_folds=cfg.n_folds, batch_size=cfg.batch_size,
                           workers=cfg.num_workers, exp=cfg.exp, fits=bool(fitted), load=round(psutil.getloadavg()[0], 1))
    return results


def measure_all(name: str, sizes: list[int], work: Path, args) -> dict[int, dict]:
    """measure() at each size, resuming from the sizes whose results.json exists; each size's data deleted after
    (with --keep, kept)."""
    out = {}
    for n in sizes:
        folder = work / f"{name}-{n}"
        saved = folder / "results.json"
        if saved.is_file():
            out[n] = json.loads(saved.read_text())
            print(f"{name} {n}: measured before ({saved})")
            continue
        shutil.rmtree(folder, ignore_errors=True)  # what an interrupted run left
        print(f"{name} {n}: generating and measuring under {folder}/", flush=True)
        out[n] = measure(name, n, folder, args)
        if not args.keep:
            shutil.rmtree(folder / "input")
            shutil.rmtree(folder / "out", ignore_errors=True)
        saved.write_text(json.dumps(out[n], indent=1))
    return out


def stages(name: str, workers: int) -> list[tuple[str, str]]:
    """(results key, what the row is) in the table's order; the whitening row only where a front end is fitted."""
    rows = [("generate", f"generating the data (common.{name}.synth, {max(1, workers)} process(es); not part of a run)"),
            ("startup", "start-up: labels, file paths, folds (read_train)"),
            ("datasets", "fold 0's Datasets from the files"),
            ("pack", f"pack build (common.pack, {workers} worker(s))"),
            ("pack datasets", "fold 0's Datasets from the pack (manifest, ids, one stat per file)"),
            ("whitening", "whitening spectra (fit_front_ends: one pass over the negatives)"),
            ("classical", "classical features (blend.py --classical; not needed to train)"),
            ("loader files first batch", "training loader from the files: first batch (workers start)"),
            ("loader files", "training loader from the files, samples/s per worker"),
            ("loader pack first batch", "training loader from the pack: first batch"),
            ("loader pack", "training loader from the pack, samples/s per worker"),
            ("evaluation", "evaluation from the pack, sample-views/s (tiny model)")]
    return [r for r in rows if r[0] != "whitening" or name == "g2net"]


def cost(result: dict, key: str) -> float:
    """Seconds that stage `key` costs over the whole data set: its time, or for a rate the pass over the samples it
    reads (the loaders: fold 0's training samples, per worker; evaluation: fold 0's validation samples x views)."""
    r, meta = result[key], result["meta"]
    if "rate" not in r:
        return r["seconds"]
    if key == "evaluation":
        return (meta["n"] - meta["train"]) * r["views"] / r["rate"]
    return meta["train"] / r["rate"]


def exponent(sizes: list[int], values: list[float]) -> float:
    """Growth exponent between the smallest and the largest size (1: linear); nan where a value is not positive."""
    (n1, v1), (n2, v2) = (sizes[0], values[0]), (sizes[-1], values[-1])
    return math.log(v2 / v1) / math.log(n2 / n1) if v1 > 0 and v2 > 0 else float("nan")


def extrapolate_time(sizes, values, full: int) -> float:
    """The largest size's figure grown to `full` with the measured exponent, at least 1 (fixed costs make small
    sets look sublinear): an upper bound unless the growth steepens beyond the sizes measured."""
    k = exponent(sizes, values)
    return values[-1] * (full / sizes[-1]) ** (1.0 if math.isnan(k) else max(1.0, k))


def extrapolate_memory(sizes, values, full: int) -> float:
    """A fixed part plus a part per sample through the smallest and the largest size, at `full` (no less than the
    largest size's)."""
    slope = (values[-1] - values[0]) / (sizes[-1] - sizes[0])
    return max(values[-1], values[-1] + slope * (full - sizes[-1]))


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def figure(result: dict, key: str) -> str:
    r = result[key]
    return f"{r['rate']:.1f}/s" if "rate" in r else duration(r["seconds"])


TOTALS = [("before the first GPU step, from the files", ("startup", "datasets", "whitening")),
          ("before the first GPU step, from a pack built beforehand", ("startup", "pack datasets", "whitening")),
          ("before the first GPU step, building the pack first", ("startup", "pack", "pack datasets", "whitening"))]


def cost_table(name: str, res: dict[int, dict], workers: int) -> str:
    """The costs at each size, their ratio and growth exponent, and the extrapolation to the full size."""
    sizes, full = sorted(res), FULL_TRAIN[name]
    meta = res[sizes[-1]]["meta"]
    train_full = round(full * (1 - 1 / meta["n_folds"]))
    unit = {"loader files": f" per worker per epoch of {train_full:,}", "loader pack": f" per worker per epoch of "
            f"{train_full:,}", "evaluation": f" for fold 0's {full - train_full:,} x {res[sizes[-1]]['evaluation'].get('views')} views"}
    rows, extrapolated = [], {}
    for key, label in stages(name, workers):
        costs = [cost(res[n], key) for n in sizes]
        extrapolated[key] = extrapolate_time(sizes, costs, full)
        rows.append([label, *(figure(res[n], key) for n in sizes), f"{costs[-1] / costs[0]:.1f}x",
                     f"{exponent(sizes, costs):.2f}", duration(extrapolated[key]) + unit.get(key, "")])
    for label, keys in TOTALS:
        keys = [k for k in keys if k in extrapolated]
        costs = [sum(cost(res[n], k) for k in keys) for n in sizes]
        rows.append([f"**{label}** ({' + '.join(keys)})", *map(duration, costs), f"{costs[-1] / costs[0]:.1f}x",
                     f"{exponent(sizes, costs):.2f}", f"**{duration(sum(extrapolated[k] for k in keys))}**"])
    header = ["stage", *(f"{n:,}" for n in sizes), f"cost ratio (linear: {sizes[-1] / sizes[0]:.0f}x)",
              "growth exponent (1: linear)", f"full size, {full:,} (extrapolated)"]
    return report.markdown_table(header, rows)


def memory_table(name: str, res: dict[int, dict], workers: int) -> str:
    """Peak RSS growth per step, the Python memory start-up keeps per sample, the loader workers' private memory."""
    sizes, full = sorted(res), FULL_TRAIN[name]
    rows = []
    for key, label in stages(name, workers):
        if "peak_mib" in res[sizes[0]][key]:
            mib = [res[n][key]["peak_mib"] for n in sizes]
            rows.append([f"{label}: peak RSS growth", *(f"{m:.0f} MiB" for m in mib),
                         f"{extrapolate_memory(sizes, mib, full):.0f} MiB"])
        if "held_bytes" in res[sizes[0]][key]:
            per = [res[n][key]["held_bytes"] / n for n in sizes]
            rows.append([f"{label}: Python memory kept (tracemalloc)", *(f"{b:.0f} B/sample" for b in per),
                         f"{per[-1] * full / MIB:.0f} MiB"])
        if res[sizes[0]][key].get("worker_uss_mib"):
            mib = [res[n][key]["worker_uss_mib"] for n in sizes]
            rows.append([f"{label}: the {workers} workers' private memory (USS)", *(f"{m:.0f} MiB" for m in mib),
                         f"{extrapolate_memory(sizes, mib, full):.0f} MiB"])
    header = ["step, memory", *(f"{n:,}" for n in sizes), f"full size, {full:,} (extrapolated)"]
    return report.markdown_table(header, rows)


def git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=report.DOC.parent)
    return out.stdout.strip() or "unknown"


def block(name: str, res: dict[int, dict], argv: list[str], machine: str, args) -> str:
    sizes, full = sorted(res), FULL_TRAIN[name]
    meta = res[sizes[-1]]["meta"]
    shares = ", ".join(f"{n:,} ({n / full:.1%})" for n in sizes)
    return (f"### {name.upper() if name == 'seti' else 'G2Net'} at scale: what a full run costs before the first "
            f"GPU step\n\n`{report.command('bench.scaling', argv)}` ({report.today()}, commit {git_commit()}, "
            f"{machine}; load average {', '.join(str(res[n]['meta']['load']) for n in sizes)} at the end of each "
            f"size): {meta['exp']}'s config, synthetic training sets of {shares} of Kaggle's {full:,}, {meta['n_folds']} "
            f"folds, batch {meta['batch_size']}, {meta['workers']} loader worker(s), loaders timed over "
            f"{f'{args.batches} batches' if args.batches else 'the epoch'} after the first batch, evaluation over "
            f"{args.eval_batches} batches. Rates are timed on data just written (in the page cache), so they are CPU "
            f"figures; evaluation runs a tiny model (test_nfnet at 64 px), so its figure is the input pipeline "
            f"(loader, views, the front end). Costs at full size: the largest size's grown with the measured exponent "
            f"(at least 1); memory: a fixed part plus a part per sample through the two sizes.\n\n"
            f"{cost_table(name, res, args.workers)}\n\n{memory_table(name, res, args.workers)}")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--competitions", nargs="+", choices=tuple(EXPS), default=list(EXPS),
                   help="competitions to measure (default both)")
    for name, sizes in DEFAULT_SIZES.items():
        p.add_argument(f"--{name}-sizes", type=int, nargs="+", default=sizes, metavar="N",
                       help=f"training set sizes, increasing (default {' '.join(map(str, sizes))}: "
                            f"{', '.join(f'{n / FULL_TRAIN[name]:.0%}' for n in sizes)} of {FULL_TRAIN[name]:,})")
    p.add_argument("--work", default="/tmp/scaling", help="folder for the generated data (default /tmp/scaling); "
                   "deleted at the end unless --keep")
    p.add_argument("--keep", action="store_true", help="keep the generated data and packs under --work")
    p.add_argument("--workers", type=int, default=2, help="synth processes, pack and loader workers (default 2)")
    p.add_argument("--batches", type=int, default=None, help="timed batches per loader figure after the first "
                   "(default: the rest of fold 0's epoch)")
    p.add_argument("--eval-batches", type=int, default=10, help="timed validation batches of evaluation (default 10)")
    p.add_argument("--set", nargs="+", action="append", default=[], metavar="KEY=VALUE",
                   help="config overrides for both experiments, e.g. batch_size=16 n_folds=2")
    p.add_argument("--write", action="store_true", help="replace the scaling_<competition> blocks of --doc")
    p.add_argument("--doc", default=str(report.DOC), help="Markdown file for --write (default docs/BENCHMARKS.md)")
    return p.parse_args(argv)


def sample_bytes(name: str, args) -> int:
    """Disk per training sample: its generated file and its pack row (the competition's SAMPLE_SHAPE, PACK_DTYPE)."""
    comp = competition(config(name, Path(args.work), Path(args.work), args))
    return math.prod(comp.SAMPLE_SHAPE) * (FILE_BYTES[name] + np.dtype(comp.PACK_DTYPE).itemsize)


def check(args) -> None:
    """UserError for options that cannot work, before anything is written: sizes, counts, the disk."""
    for name in args.competitions:
        sizes = getattr(args, f"{name}_sizes")
        if len(sizes) < 2 or min(sizes) < 1 or sizes != sorted(set(sizes)):
            raise UserError(f"--{name}-sizes {' '.join(map(str, sizes))}: give two or more increasing sizes >= 1")
    if args.workers < 0 or (args.batches is not None and args.batches < 1) or args.eval_batches < 1:
        raise UserError(f"--workers must be >= 0, --batches and --eval-batches >= 1 (got {args.workers}, "
                        f"{args.batches}, {args.eval_batches})")
    for name in args.competitions:  # the loader figure times --batches batches after the first of fold 0's training
        cfg, smallest = config(name, Path(args.work), Path(args.work), args), getattr(args, f"{name}_sizes")[0]
        train, need = smallest * (cfg.n_folds - 1) // cfg.n_folds, ((args.batches or 1) + 1) * cfg.batch_size
        if train < need:
            raise UserError(f"--{name}-sizes {smallest}: fold 0 trains on {train} samples, fewer than the {need} that "
                            f"{args.batches or 1} timed batches after a first batch of {cfg.batch_size} need (larger sizes, "
                            "fewer --batches or a smaller batch_size)")
    per_size = [n * sample_bytes(c, args) for c in args.competitions for n in getattr(args, f"{c}_sizes")]
    need = sum(per_size) if args.keep else max(per_size)
    work = Path(args.work)
    existing = next(p for p in (work, *work.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    if need > 0.9 * free:
        raise UserError(f"the data and packs need {need / 2**30:.1f} GiB; {existing} has {free / 2**30:.1f} GiB free "
                        "(smaller sizes, or another --work)")
    if work.exists() and not work.is_dir():
        raise UserError(f"--work {work} is not a folder")


@cli
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    check(args)
    work = Path(args.work)
    for name in args.competitions:
        machine = report.machine()
        res = measure_all(name, getattr(args, f"{name}_sizes"), work, args)
        text = block(name, res, argv, machine, args)
        print(f"\n{text}\n")
        if args.write:
            report.replace_block(args.doc, f"scaling_{name}", text)
            print(f"wrote the scaling_{name} block of {args.doc}")
    if not args.keep:
        shutil.rmtree(work)
        print(f"deleted {work}/ (--keep keeps it)")


if __name__ == "__main__":
    main()
