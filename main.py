"""Train an experiment, fold by fold, and report its CV AUC.

    accelerate launch main.py --exp exp0012 [--fold K] [--set key=value ...] [--resume]
    python main.py --exp exp0012 --print-config

Per fold: best checkpoint `outputs/<exp>/fold<k>/best.pt`, per-epoch `metrics.csv`, and a resumable
`state/` (accelerate save_state) after every epoch. At the end: `outputs/<exp>/oof.csv`, the CV AUC
printed and appended to `outputs/summary.csv`.
"""
import argparse
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from sklearn.metrics import roc_auc_score
from timm.optim import create_optimizer_v2, param_groups_weight_decay
from timm.scheduler import CosineLRScheduler
from timm.utils import ModelEmaV3
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from common.accel import make_accelerator, process_state
from common.competition import competition
from common.config import add_config_args, config_from_args, config_json
from common.data import seed_worker
from common.errors import UserError, cli
from common.losses import build_loss
from common.metrics import sigmoid
from common.models import build_model, head_parameters, init_from, load_checkpoint, save_checkpoint, speed_up
from common.sampler import DistributedSampler, balanced_weights

# keys that may change between an interrupted run and its --resume
# (packed, channels_last and compile change how fast, not what is computed)
RUNTIME_KEYS = {"folds", "num_workers", "wandb", "wandb_project", "packed", "channels_last", "compile"}


class TrainState:
    """Loop counters saved with accelerate's save_state, so --resume continues where it stopped."""

    def __init__(self):
        self.epoch, self.step, self.best_auc = 0, 0, -1.0

    def state_dict(self):
        return dict(vars(self))

    def load_state_dict(self, state):
        vars(self).update(state)


def prepare_exp_dir(cfg, resume: bool, overwrite: bool) -> Path:
    """Create outputs/<exp>/, refusing to mix this run with another one's outputs."""
    exp_dir = cfg.exp_dir()
    saved = exp_dir / "config.json"
    if overwrite and exp_dir.exists():
        shutil.rmtree(exp_dir)
    elif saved.is_file():
        old = json.loads(saved.read_text())
        changed = sorted(k for k, v in cfg.to_dict().items()
                         if k not in RUNTIME_KEYS and json.loads(json.dumps(v)) != old.get(k))
        if not resume:
            raise UserError(f"{exp_dir}/ already holds a run of {cfg.exp}: add --resume to continue it, "
                            f"--overwrite to replace it, or --set output_dir=DIR")
        if changed:
            raise UserError(f"{exp_dir}/ holds a run with other settings ({', '.join(changed)}); "
                            "--overwrite to replace it or --set output_dir=DIR to keep both")
    exp_dir.mkdir(parents=True, exist_ok=True)
    saved.write_text(config_json(cfg))
    return exp_dir


def pseudo_labelled(cfg, comp) -> pd.DataFrame:
    """Test samples with soft targets from another run's submission (exp0019)."""
    source = Path(cfg.pseudo_labels)
    if source.suffix != ".csv":
        source = Path(cfg.output_dir) / cfg.pseudo_labels / "submission.csv"
    if not source.is_file():
        raise UserError(f"pseudo_labels: {source} not found; run evaluate.py for that experiment first")
    preds = pd.read_csv(source, dtype={"id": str}).set_index("id")["target"]
    test = comp.read_test(cfg)
    return test.assign(target=test["id"].map(preds).fillna(0.0).clip(0, 1), fold=-1)


def predict(model, loader, accelerator, desc: str) -> tuple[np.ndarray, np.ndarray]:
    """Logits and targets of a prepared loader, gathered from all processes in loader order."""
    model.eval()
    logits, targets = [], []
    with torch.no_grad():
        for x, y in tqdm(loader, desc=desc, leave=False, disable=not accelerator.is_local_main_process):
            out = model(x).squeeze(-1)
            out, y = accelerator.gather_for_metrics((out, y))
            logits.append(out.float().cpu())
            targets.append(y.cpu())
    return torch.cat(logits).numpy(), torch.cat(targets).numpy()


def make_loaders(cfg, comp, train_df, valid_df, accelerator, fold: int):
    """The training loader (one index stream shared by all processes, each taking its share) and the
    validation loader (prepared by accelerate, so predictions are gathered in order)."""
    world = accelerator.num_processes
    if cfg.batch_size % world:
        raise UserError(f"batch_size={cfg.batch_size} is not divisible by {world} processes")
    weights = balanced_weights(train_df["target"]) if cfg.sampler == "balanced" else None
    sampler = DistributedSampler(len(train_df), weights, world, accelerator.process_index, cfg.seed + fold)
    kw = dict(batch_size=cfg.batch_size // world, num_workers=cfg.num_workers, worker_init_fn=seed_worker,
              pin_memory=torch.cuda.is_available(), persistent_workers=cfg.num_workers > 0)
    train_loader = DataLoader(comp.make_dataset(cfg, train_df, train=True), sampler=sampler, drop_last=True, **kw)
    if len(train_loader) == 0:
        raise UserError(f"fold {fold}: {len(train_df)} training samples make no batch of {cfg.batch_size}")
    valid_loader = DataLoader(comp.make_dataset(cfg, valid_df, train=False), **kw)
    return train_loader, accelerator.prepare_data_loader(valid_loader), sampler


def make_optimizer(cfg, model, loss_fn):
    """timm optimizer `cfg.optimizer`: weight decay on weights only (timm's rule: no decay on biases and
    normalisation parameters), none on the loss's own parameters (LibAUC's a, b, alpha)."""
    groups = param_groups_weight_decay(model, cfg.weight_decay)
    loss_params = list(loss_fn.parameters())
    if loss_params:
        groups.append({"params": loss_params, "weight_decay": 0.0})
    return create_optimizer_v2(groups, cfg.optimizer, lr=cfg.lr, weight_decay=cfg.weight_decay)


def train_fold(cfg, fold: int, df: pd.DataFrame, resume: bool) -> None:
    """Train one fold; write its best checkpoint and out-of-fold predictions (id, target, fold, pred, logit)."""
    comp = competition(cfg)
    accelerator = make_accelerator(cfg, log=True)
    fold_dir = cfg.exp_dir() / f"fold{fold}"
    fold_dir.mkdir(parents=True, exist_ok=True)
    set_seed(cfg.seed + fold)
    train_df, valid_df = df[df.fold != fold], df[df.fold == fold]
    if cfg.pseudo_labels:
        train_df = pd.concat([train_df, pseudo_labelled(cfg, comp)])
    train_loader, valid_loader, sampler = make_loaders(cfg, comp, train_df, valid_df, accelerator, fold)

    with accelerator.main_process_first():  # a front end fitted to the data is cached once, then read
        front_end = comp.make_front_end(cfg, fit=True)
    model = build_model(cfg, front_end, comp.in_channels(cfg))
    if cfg.init_from:
        accelerator.print(f"fold {fold}: initialised from {init_from(model, cfg.init_from, cfg.output_dir)}")
    speed_up(model, cfg)
    loss_fn = build_loss(cfg)
    optimizer = make_optimizer(cfg, model, loss_fn)
    steps_per_epoch = max(1, len(train_loader) // cfg.grad_accum)
    scheduler = CosineLRScheduler(optimizer, t_initial=cfg.epochs * steps_per_epoch, lr_min=cfg.lr * 1e-2,
                                  warmup_t=int(cfg.warmup_epochs * steps_per_epoch),
                                  warmup_lr_init=cfg.lr * 1e-2, t_in_epochs=False)
    head = head_parameters(model)
    model, optimizer = accelerator.prepare(model, optimizer)
    if any(True for _ in loss_fn.parameters()):
        loss_fn = accelerator.prepare(loss_fn)
    ema = ModelEmaV3(accelerator.unwrap_model(model), decay=cfg.ema_decay) if cfg.ema else None
    swa_epoch = int(cfg.swa_start * cfg.epochs) if cfg.swa else cfg.epochs
    swa_model = AveragedModel(accelerator.unwrap_model(model)) if cfg.swa else None
    swa_scheduler = SWALR(optimizer, swa_lr=cfg.swa_lr) if cfg.swa else None
    state = TrainState()
    accelerator.register_for_checkpointing(state, *(m for m in (ema, swa_model) if m is not None))
    state_dir, metrics_csv = fold_dir / "state", fold_dir / "metrics.csv"
    history = pd.DataFrame()
    if resume and state_dir.is_dir():
        accelerator.load_state(str(state_dir))
        accelerator.print(f"fold {fold}: resuming after epoch {state.epoch}")
        if metrics_csv.is_file():
            history = pd.read_csv(metrics_csv).query(f"epoch < {state.epoch}")
    scheduler.step_update(state.step)
    if cfg.wandb:
        accelerator.init_trackers(cfg.wandb_project, config=cfg.to_dict(),
                                  init_kwargs={"wandb": {"name": f"{cfg.exp}/fold{fold}", "dir": str(fold_dir)}})

    for epoch in range(state.epoch, cfg.epochs):
        model.train()
        sampler.set_epoch(epoch)
        losses = []
        bar = tqdm(train_loader, desc=f"{cfg.exp} fold {fold} epoch {epoch + 1}/{cfg.epochs}", leave=False,
                   disable=not accelerator.is_local_main_process)
        for x, y in bar:
            x, y = x.to(accelerator.device, non_blocking=True), y.to(accelerator.device, non_blocking=True)
            x, y = comp.augment_batch(cfg, x, y, epoch)
            with accelerator.accumulate(model):
                loss = loss_fn(model(x).squeeze(-1), y)
                accelerator.backward(loss)
                if epoch < cfg.head_only_epochs:  # warm-up: only the classifier head learns
                    for p in accelerator.unwrap_model(model).parameters():
                        if id(p) not in head:
                            p.grad = None
                if accelerator.sync_gradients and cfg.clip_grad:
                    accelerator.clip_grad_norm_(model.parameters(), cfg.clip_grad)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            if accelerator.sync_gradients:
                state.step += 1
                if epoch < swa_epoch:
                    scheduler.step_update(state.step)
                if ema is not None:
                    ema.update(accelerator.unwrap_model(model), step=state.step)
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")

        if epoch >= swa_epoch:
            swa_model.update_parameters(accelerator.unwrap_model(model))
            swa_scheduler.step()
        eval_model = ema.module if ema is not None else model
        logits, targets = predict(eval_model, valid_loader, accelerator, "valid")
        auc = roc_auc_score(targets.round(), logits) if len(np.unique(targets.round())) == 2 else float("nan")
        train_loss = accelerator.gather(torch.tensor([np.mean(losses)], device=accelerator.device)).mean().item()
        row = dict(epoch=epoch, train_loss=train_loss, valid_auc=auc, lr=optimizer.param_groups[0]["lr"])
        accelerator.log({f"fold{fold}/{k}": v for k, v in row.items()}, step=epoch)
        accelerator.print(f"{cfg.exp} fold {fold} epoch {epoch + 1}/{cfg.epochs}: loss {train_loss:.4f} "
                          f"valid AUC {auc:.4f}")
        history = pd.concat([history, pd.DataFrame([row])])
        state.epoch = epoch + 1
        if accelerator.is_main_process:
            history.to_csv(metrics_csv, index=False)
            if auc > state.best_auc and not cfg.swa:
                state.best_auc = auc
                save_checkpoint(fold_dir / "best.pt", accelerator.unwrap_model(eval_model), cfg,
                                fold=fold, epoch=epoch, auc=auc)
        save_state_atomic(accelerator, state_dir)

    if cfg.swa:  # the fold's model is the weight average, with BatchNorm statistics recomputed
        update_bn(((x.to(accelerator.device),) for x, _ in train_loader), swa_model)
        logits, targets = predict(swa_model, valid_loader, accelerator, "valid swa")
        auc = roc_auc_score(targets.round(), logits)
        accelerator.print(f"{cfg.exp} fold {fold} SWA: valid AUC {auc:.4f}")
        if accelerator.is_main_process:
            save_checkpoint(fold_dir / "best.pt", accelerator.unwrap_model(swa_model).module, cfg,
                            fold=fold, epoch=cfg.epochs - 1, auc=auc)
    for tracker in accelerator.trackers:  # not end_training(): that also ends the process group
        tracker.finish()
    write_oof(cfg, fold, model, valid_df, valid_loader, accelerator)


def write_oof(cfg, fold: int, model, valid_df, valid_loader, accelerator) -> None:
    """Out-of-fold predictions of the fold's best checkpoint; the file marks the fold as finished."""
    fold_dir = cfg.exp_dir() / f"fold{fold}"
    accelerator.wait_for_everyone()
    accelerator.unwrap_model(model).load_state_dict(load_checkpoint(fold_dir / "best.pt")["model"])
    logits, _ = predict(model, valid_loader, accelerator, "oof")
    oof = valid_df[["id", "target"]].assign(fold=fold, pred=sigmoid(logits), logit=logits)
    if accelerator.is_main_process:
        oof.to_csv(fold_dir / "oof.csv", index=False)
    accelerator.wait_for_everyone()


def save_state_atomic(accelerator: Accelerator, state_dir: Path) -> None:
    """save_state into a temporary folder, then swap it in: an interruption never leaves a broken state."""
    tmp = state_dir.with_name("state.tmp")
    accelerator.save_state(str(tmp))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        old = state_dir.with_name("state.old")
        if state_dir.exists():
            state_dir.rename(old)
        tmp.rename(state_dir)
        shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


@cli
def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.add_argument("--print-config", action="store_true", help="print the resolved config as JSON and exit")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run; finished folds are skipped")
    parser.add_argument("--overwrite", action="store_true", help="delete this experiment's earlier outputs first")
    args = parser.parse_args()
    cfg = config_from_args(args)
    if args.print_config:
        print(config_json(cfg))
        return

    start = time.time()
    state = process_state()
    df = competition(cfg).read_train(cfg)
    if state.is_main_process:
        prepare_exp_dir(cfg, args.resume, args.overwrite)
    state.wait_for_everyone()
    state.print(f"{cfg.exp} ({cfg.competition}): {len(df)} samples, folds {cfg.fold_ids()}, {state.num_processes} process(es) "
                f"on {state.device}")
    trained = []
    for fold in cfg.fold_ids():
        if (cfg.exp_dir() / f"fold{fold}" / "oof.csv").is_file():
            state.print(f"fold {fold}: finished earlier, skipped")
            continue
        train_fold(cfg, fold, df, args.resume)
        trained.append(fold)

    if state.is_main_process:
        finished = sorted(cfg.exp_dir().glob("fold*/oof.csv"))
        oof = pd.concat([pd.read_csv(p, dtype={"id": str}) for p in finished]).sort_values(["fold", "id"])
        oof.to_csv(cfg.exp_dir() / "oof.csv", index=False)
        cv = roc_auc_score(oof["target"].round(), oof["pred"])
        folds = " ".join(map(str, sorted(oof["fold"].unique())))
        minutes = (time.time() - start) / 60
        print(f"{cfg.exp}: CV AUC {cv:.4f} over folds {folds} ({len(oof)} samples, {minutes:.1f} min)")
        if not trained:  # nothing new: the summary already has this run
            return
        summary = Path(cfg.output_dir) / "summary.csv"
        row = pd.DataFrame([dict(exp=cfg.exp, competition=cfg.competition, folds=folds, cv_auc=round(cv, 5), minutes=round(minutes, 2),
                                 commit=git_commit())])
        row.to_csv(summary, mode="a", header=not summary.is_file(), index=False)


if __name__ == "__main__":
    main()
