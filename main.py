"""Train an experiment, fold by fold, and report its CV AUC.

    accelerate launch main.py --exp exp0012 [--fold K] [--set key=value ...] [--resume]
    python main.py --exp exp0012 --print-config

Once per run, before the folds: what each fold's front end learns from its training folds (the competition's
fit_front_ends; G2Net's whitening spectra, cached under output_dir). Per fold: best checkpoint
`outputs/<exp>/fold<k>/best.pt`, per-epoch `metrics.csv`, and a resumable `state/epoch<N>` (accelerate
save_state) after every epoch. At the end: `outputs/<exp>/oof.csv`, the CV AUC
printed and appended to `outputs/summary.csv`.
"""
import argparse
import json
import os
import shutil
import subprocess
import time
import warnings
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from accelerate import Accelerator
from accelerate.utils import broadcast_object_list, set_seed
from sklearn.metrics import roc_auc_score
from timm.optim import create_optimizer_v2, param_groups_weight_decay
from timm.scheduler import CosineLRScheduler
from timm.utils import ModelEmaV3
from torch.nn.modules.batchnorm import _BatchNorm
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from common.accel import make_accelerator, process_state
from common.competition import competition, saved_settings
from common.config import add_config_args, config_from_args, config_json
from common.data import seed_worker
from common.errors import UserError, cli
from common.losses import build_loss
from common.metrics import folds_csv, sigmoid
from common.models import build_model, head_parameters, init_from, load_checkpoint, save_checkpoint, speed_up
from common.sampler import DistributedSampler, balanced_weights

# keys that may change between an interrupted run and its --resume
# (packed, pack_dir, channels_last and compile change how fast or from where, not what is computed)
RUNTIME_KEYS = {"folds", "num_workers", "wandb", "wandb_project", "packed", "pack_dir", "channels_last", "compile"}
LOSS_REFRESH = 50  # batches between the progress bar's loss readings (each waits for the device)


class TrainState:
    """Loop counters saved with accelerate's save_state, so --resume continues where it stopped."""

    def __init__(self):
        self.epoch, self.step, self.best_auc, self.best_epoch = 0, 0, -1.0, -1

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
        old = json.loads(json.dumps(saved_settings(cfg, json.loads(saved.read_text()))))  # JSON types, as v below
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


def pseudo_labelled(cfg, comp, fold: int) -> pd.DataFrame:
    """Test samples with soft targets from another run's test predictions (exp0019), for training fold `fold`.

    `pseudo_labels=EXP` takes fold `fold`'s own column of outputs/EXP/submission_folds.csv (evaluate.py writes
    it): that model never saw fold `fold`'s labels, so the fold's CV stays honest, provided the source split its
    folds as this run does: checked whenever its config is found (`<name>_folds.json`, which evaluate.py writes,
    or config.json beside the submission). The ensemble of all folds would carry every fold's labels into every
    fold's training (CV then reads optimistic); it is used only when `pseudo_labels` names a submission CSV
    without a `<name>_folds.csv` beside it (a warning says so). Every test id needs a prediction.
    """
    name = cfg.pseudo_labels
    source = Path(name) if name.endswith(".csv") else Path(cfg.output_dir) / name / "submission.csv"
    per_fold = folds_csv(source)
    if per_fold.is_file():
        saved = next((p for p in (per_fold.with_suffix(".json"), source.parent / "config.json") if p.is_file()), None)
        old = json.loads(saved.read_text()) if saved else cfg.to_dict()  # none found: nothing to compare
        differ = [k for k in ("n_folds", "seed", "data_dir") if old.get(k) != getattr(cfg, k)]
        if differ:
            raise UserError(f"pseudo_labels: {name} split its folds otherwise ({', '.join(differ)} differ, {saved}), "
                            "so its fold models saw this run's validation folds; use the same n_folds, seed, data_dir")
        table, read = pd.read_csv(per_fold, dtype={"id": str}).set_index("id"), per_fold
        if f"fold{fold}" not in table:
            raise UserError(f"pseudo_labels: {per_fold} has no predictions of fold {fold}'s model "
                            f"({', '.join(table.columns)}); evaluate all folds of {name} first")
        preds = table[f"fold{fold}"]
    elif source.is_file() and name.endswith(".csv"):
        warnings.warn(f"pseudo_labels: {source} has no per-fold predictions ({per_fold.name}): every fold trains "
                      "on the same ensemble labels, which carry its validation labels, so CV reads optimistic",
                      stacklevel=2)
        preds, read = pd.read_csv(source, dtype={"id": str}).set_index("id")["target"], source
    else:
        raise UserError(f"pseudo_labels: {per_fold} not found; run evaluate.py for {name} first "
                        "(it writes each fold's test predictions there)")
    test = comp.read_test(cfg)
    target = test["id"].map(preds)
    if target.isna().any():
        raise UserError(f"pseudo_labels: {read} has no prediction for {int(target.isna().sum())} of the {len(test)} "
                        f"test ids of {cfg.data_dir} (e.g. {test['id'][target.isna()].iloc[0]}); predict this test "
                        "set with evaluate.py")
    return test.assign(target=target.clip(0, 1), fold=-1)


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


class Schedule:
    """The learning rate per optimizer step: a linear warm-up over `warmup_epochs` from lr / 100, then a cosine
    down to lr / 100 at the last step. With `head_only_epochs`, the head warms up and then stays at lr until the
    backbone is unfrozen, where the warm-up starts again (the backbone never starts at full lr) and the cosine
    runs over the remaining epochs. Stateless: the step alone sets the rate (so --resume needs no state)."""

    def __init__(self, cfg, optimizer, steps_per_epoch: int):
        warmup = int(cfg.warmup_epochs * steps_per_epoch)
        self.unfreeze = min(cfg.head_only_epochs, cfg.epochs) * steps_per_epoch
        total = cfg.epochs * steps_per_epoch

        def cosine(steps: int, lr_min: float) -> CosineLRScheduler:
            steps = max(1, steps)
            return CosineLRScheduler(optimizer, t_initial=max(1, steps - min(warmup, steps - 1)), lr_min=lr_min,
                                     warmup_t=min(warmup, steps - 1), warmup_lr_init=cfg.lr * 1e-2,
                                     warmup_prefix=True, t_in_epochs=False)

        self.head = cosine(self.unfreeze, lr_min=cfg.lr) if self.unfreeze else None  # flat after its warm-up
        self.full = cosine(total - self.unfreeze, lr_min=cfg.lr * 1e-2)

    def step_update(self, step: int) -> None:
        if step < self.unfreeze:
            self.head.step_update(step)
        else:
            self.full.step_update(step - self.unfreeze)


def make_ema(cfg, model) -> ModelEmaV3:
    """timm's EMA with its warm-up: the decay grows from 0 towards ema_decay (1 - (1 + step)^-2/3), so a
    short run's EMA follows the trained weights rather than keeping most of the initial ones."""
    return ModelEmaV3(model, decay=cfg.ema_decay, use_warmup=True)


def seed_augmentations(seed: int, fold: int, rank: int) -> None:
    """Reseed this process's RNGs (random, numpy, torch, CUDA) from (seed, fold, rank) once the model is built:
    the model starts from (seed, fold) everywhere, while the random numbers drawn after this point (the loader
    workers' seeds, and with them the albumentations seeds; the batch augmentations on the device) differ
    between processes, so N processes do not all draw the same augmentations."""
    set_seed(int(np.random.SeedSequence([seed, fold, rank]).generate_state(1)[0]))


@dataclass
class Fold:
    """One fold's training run as set_up_fold prepares it: the data, the prepared model and optimizer, the
    averages (EMA, SWA) and the loop counters."""
    cfg: object
    index: int
    comp: object
    accelerator: Accelerator
    train_loader: DataLoader
    valid_loader: DataLoader
    sampler: DistributedSampler
    valid_df: pd.DataFrame
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    loss_fn: torch.nn.Module
    schedule: Schedule
    steps_per_epoch: int  # optimizer steps; an epoch draws steps_per_epoch * grad_accum batches
    head: set  # ids of the head's parameters (head_only_epochs)
    ema: ModelEmaV3 | None
    swa_model: AveragedModel | None
    swa_scheduler: SWALR | None
    swa_epoch: int  # the first epoch averaged by SWA (cfg.epochs without SWA)
    state: TrainState
    history: pd.DataFrame  # metrics.csv's rows

    @property
    def dir(self) -> Path:
        return self.cfg.exp_dir() / f"fold{self.index}"

    @property
    def eval_model(self) -> torch.nn.Module:
        """The weights validated and published: the EMA's when there is one."""
        return self.ema.module if self.ema is not None else self.model


def train_fold(cfg, fold: int, df: pd.DataFrame, fitted, resume: bool) -> None:
    """Train one fold; write its best checkpoint and out-of-fold predictions (id, target, fold, pred, logit).
    `fitted`: this fold's entry of the competition's fit_front_ends (what its front end learns), or None."""
    run = set_up_fold(cfg, fold, df, fitted)
    restore(run, resume)
    for epoch in range(run.state.epoch, cfg.epochs):
        train_loss = train_epoch(run, epoch)
        validate_and_checkpoint(run, epoch, train_loss)
    if cfg.swa:
        finish_swa(run)
    for tracker in run.accelerator.trackers:  # not end_training(): that also ends the process group
        tracker.finish()
    write_oof(cfg, fold, run.model, run.valid_df, run.valid_loader, run.accelerator)


def set_up_fold(cfg, fold: int, df: pd.DataFrame, fitted) -> Fold:
    """Loaders, model (front end `fitted`), loss, optimizer, schedule, EMA and SWA of fold `fold`, prepared
    by accelerate; the loop counters registered for checkpointing."""
    comp = competition(cfg)
    accelerator = make_accelerator(cfg, log=True)
    (cfg.exp_dir() / f"fold{fold}").mkdir(parents=True, exist_ok=True)
    set_seed(cfg.seed + fold)
    train_df, valid_df = df[df.fold != fold], df[df.fold == fold]
    if cfg.pseudo_labels:
        train_df = pd.concat([train_df, pseudo_labelled(cfg, comp, fold)])
    train_loader, valid_loader, sampler = make_loaders(cfg, comp, train_df, valid_df, accelerator, fold)
    model = build_model(cfg, comp.make_front_end(cfg, fitted=fitted), comp.in_channels(cfg))
    if cfg.init_from:
        accelerator.print(f"fold {fold}: initialised from {init_from(model, cfg.init_from, cfg.output_dir)}")
    speed_up(model, cfg)
    loss_fn = build_loss(cfg).to(accelerator.device)  # pos_weight is a buffer
    optimizer = make_optimizer(cfg, model, loss_fn)
    # each epoch makes whole accumulations only: its last len % grad_accum batches are not drawn, so no partial
    # accumulation carries into the next epoch and the schedule counts the optimizer steps actually taken
    steps_per_epoch = len(train_loader) // cfg.grad_accum
    if steps_per_epoch == 0:
        raise UserError(f"fold {fold}: {len(train_loader)} batches per epoch make no step of grad_accum={cfg.grad_accum}")
    schedule = Schedule(cfg, optimizer, steps_per_epoch)
    head = head_parameters(model)
    model, optimizer = accelerator.prepare(model, optimizer)
    if any(True for _ in loss_fn.parameters()):
        loss_fn = accelerator.prepare(loss_fn)
    ema = make_ema(cfg, accelerator.unwrap_model(model)) if cfg.ema else None
    swa_model = AveragedModel(accelerator.unwrap_model(model)) if cfg.swa else None
    swa_scheduler = SWALR(optimizer, swa_lr=cfg.swa_lr) if cfg.swa else None
    seed_augmentations(cfg.seed, fold, accelerator.process_index)
    state = TrainState()
    accelerator.register_for_checkpointing(state, *(m for m in (ema, swa_model, swa_scheduler) if m is not None))
    return Fold(cfg, fold, comp, accelerator, train_loader, valid_loader, sampler, valid_df, model, optimizer,
                loss_fn, schedule, steps_per_epoch, head, ema, swa_model, swa_scheduler,
                int(cfg.swa_start * cfg.epochs) if cfg.swa else cfg.epochs, state, pd.DataFrame())


def restore(run: Fold, resume: bool) -> None:
    """With resume, the fold's last saved state and metrics; then the learning rate of the step reached, and
    the trackers."""
    cfg, accelerator, state = run.cfg, run.accelerator, run.state
    last = latest_state(run.dir)
    if resume and last is not None:
        accelerator.load_state(str(last))
        accelerator.print(f"fold {run.index}: resuming after epoch {state.epoch}")
        metrics_csv = run.dir / "metrics.csv"
        if metrics_csv.is_file():
            run.history = pd.read_csv(metrics_csv).query(f"epoch < {state.epoch}")
        if state.best_epoch >= 0 and state.best_epoch == state.epoch - 1:  # stopped before best.pt was written?
            publish_best(cfg, run.index, accelerator.unwrap_model(run.eval_model), state, accelerator,
                         only_if_stale=True)
    if state.epoch < run.swa_epoch or state.step == 0:  # in the SWA epochs the restored SWALR sets the rate
        run.schedule.step_update(state.step)
    if cfg.wandb:
        accelerator.init_trackers(cfg.wandb_project, config=cfg.to_dict(),
                                  init_kwargs={"wandb": {"name": f"{cfg.exp}/fold{run.index}", "dir": str(run.dir)}})


def train_epoch(run: Fold, epoch: int) -> float:
    """One epoch of optimizer steps; returns the mean training loss over all processes. The losses are summed
    on the device and read back only at a progress-bar refresh (every LOSS_REFRESH batches) and at the end: a
    read every batch would make the host wait for the device at every micro-step."""
    cfg, accelerator, model = run.cfg, run.accelerator, run.model
    model.train()
    run.sampler.set_epoch(epoch)
    accelerator.step = 0  # accumulations start afresh each epoch (the loader is not prepared by accelerate)
    batches = run.steps_per_epoch * cfg.grad_accum
    show = accelerator.is_local_main_process
    bar = tqdm(islice(run.train_loader, batches), total=batches, leave=False, disable=not show,
               desc=f"{cfg.exp} fold {run.index} epoch {epoch + 1}/{cfg.epochs}")
    total = torch.zeros((), device=accelerator.device)
    for i, (x, y) in enumerate(bar, 1):
        x, y = x.to(accelerator.device, non_blocking=True), y.to(accelerator.device, non_blocking=True)
        x, y = run.comp.augment_batch(cfg, x, y, epoch)
        with accelerator.accumulate(model):
            logits = model(x, parts=cfg.separate_losses)  # (B, 1), or (B, 2): the backbone's and the side head's
            loss = sum(run.loss_fn(z, y) for z in logits.unbind(-1))
            accelerator.backward(loss)
            if epoch < cfg.head_only_epochs:  # warm-up: only the classifier head learns
                for p in accelerator.unwrap_model(model).parameters():
                    if id(p) not in run.head:
                        p.grad = None
            if accelerator.sync_gradients and cfg.clip_grad:
                accelerator.clip_grad_norm_(model.parameters(), cfg.clip_grad)
            run.optimizer.step()
            run.optimizer.zero_grad(set_to_none=True)
        if accelerator.sync_gradients:
            run.state.step += 1
            if epoch < run.swa_epoch:
                run.schedule.step_update(run.state.step)
            if run.ema is not None:
                run.ema.update(accelerator.unwrap_model(model), step=run.state.step)
        total += loss.detach()
        if show and i % LOSS_REFRESH == 0:
            bar.set_postfix(loss=f"{total.item() / i:.4f}")
    return accelerator.gather(total[None] / batches).mean().item()


def validate_and_checkpoint(run: Fold, epoch: int, train_loss: float) -> None:
    """The epoch's SWA update, validation AUC and metrics row; then its state, and best.pt when it improved."""
    cfg, accelerator, state = run.cfg, run.accelerator, run.state
    if epoch >= run.swa_epoch:
        run.swa_model.update_parameters(accelerator.unwrap_model(run.model))
        run.swa_scheduler.step()
    logits, targets = predict(run.eval_model, run.valid_loader, accelerator, "valid")
    auc = roc_auc_score(targets.round(), logits) if len(np.unique(targets.round())) == 2 else float("nan")
    row = dict(epoch=epoch, train_loss=train_loss, valid_auc=auc, lr=run.optimizer.param_groups[0]["lr"])
    accelerator.log({f"fold{run.index}/{k}": v for k, v in row.items()}, step=epoch)
    accelerator.print(f"{cfg.exp} fold {run.index} epoch {epoch + 1}/{cfg.epochs}: loss {train_loss:.4f} "
                      f"valid AUC {auc:.4f}")
    run.history = pd.concat([run.history, pd.DataFrame([row])])
    state.epoch = epoch + 1
    improved = auc > state.best_auc and not cfg.swa
    if improved:
        state.best_auc, state.best_epoch = auc, epoch
    if accelerator.is_main_process:
        run.history.to_csv(run.dir / "metrics.csv", index=False)
    # the state (which records the best AUC) first, then best.pt: stopped in between, --resume rewrites
    # best.pt from the restored weights; best.pt never holds an epoch the state does not know
    save_state_atomic(accelerator, run.dir, epoch)
    crash_point("after_state", epoch)
    if improved:
        crash_point("best", epoch)
        publish_best(cfg, run.index, accelerator.unwrap_model(run.eval_model), state, accelerator)


def finish_swa(run: Fold) -> None:
    """The fold's model is the weight average, with BatchNorm statistics recomputed over the training data
    (each process its share, then averaged over the processes) and validated; written as best.pt."""
    cfg, accelerator = run.cfg, run.accelerator
    update_bn(((x.to(accelerator.device),) for x, _ in run.train_loader), run.swa_model)
    average_batch_norm(run.swa_model, accelerator)
    logits, targets = predict(run.swa_model, run.valid_loader, accelerator, "valid swa")
    auc = roc_auc_score(targets.round(), logits)
    accelerator.print(f"{cfg.exp} fold {run.index} SWA: valid AUC {auc:.4f}")
    if accelerator.is_main_process:
        save_checkpoint(run.dir / "best.pt", accelerator.unwrap_model(run.swa_model).module, cfg,
                        fold=run.index, epoch=cfg.epochs - 1, auc=auc)


def average_batch_norm(model: torch.nn.Module, accelerator: Accelerator) -> None:
    """Replace every BatchNorm layer's running mean and variance by their mean over the processes. After
    update_bn (cumulative averages over each process's equally many batches) that is the average over all
    processes' batches, the same everywhere: without it each process validated with its own statistics."""
    for module in model.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            for buffer in (module.running_mean, module.running_var):
                buffer.copy_(accelerator.reduce(buffer, reduction="mean"))


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


def publish_best(cfg, fold: int, model, state: TrainState, accelerator, only_if_stale: bool = False) -> None:
    """Write fold `fold`'s best.pt from `model`, the weights of epoch state.best_epoch (AUC state.best_auc);
    only_if_stale: unless best.pt already holds that epoch."""
    path = cfg.exp_dir() / f"fold{fold}" / "best.pt"
    if accelerator.is_main_process:
        if not (only_if_stale and path.is_file() and load_checkpoint(path).get("epoch") == state.best_epoch):
            save_checkpoint(path, model, cfg, fold=fold, epoch=state.best_epoch, auc=state.best_auc)
    accelerator.wait_for_everyone()


def crash_point(name: str, epoch: int) -> None:
    """For tests: MAIN_CRASH_AT=NAME:EPOCH ends the process here at once, as a kill would, the first time this
    point is reached in an epoch >= EPOCH. In save_state_atomic: "state_written" (the epoch's state is
    written, not yet renamed), "state_renamed" (renamed, the older states not yet removed); then
    "after_state" (the epoch's state is saved) and "best" (the state is saved and best.pt not yet written)."""
    want, _, at = os.environ.get("MAIN_CRASH_AT", "").partition(":")
    if want == name and epoch >= int(at or 0):
        print(f"crash point {name} at epoch {epoch}", flush=True)
        os._exit(70)


def saved_states(fold_dir: Path) -> list[Path]:
    """The fold's complete saved states, fold_dir/state/epoch<N> (N = epochs done), oldest first."""
    return sorted((p for p in (fold_dir / "state").glob("epoch*") if p.name[5:].isdigit()),
                  key=lambda p: int(p.name[5:]))


def latest_state(fold_dir: Path) -> Path | None:
    states = saved_states(fold_dir)
    return states[-1] if states else None


def save_state_atomic(accelerator: Accelerator, fold_dir: Path, epoch: int) -> None:
    """save_state of the epoch just done into fold_dir/state/tmp, renamed to state/epoch<epoch + 1> once
    complete, then the older states removed. Only complete states carry an epoch<N> name and the newest is
    removed by nobody, so a kill anywhere leaves the last complete state to resume from; what a kill leaves
    behind (a partial tmp, an older state) is cleared by the next save. (accelerate's
    ProjectConfiguration(automatic_checkpoint_naming=True, total_limit=k) writes straight into its
    checkpoint_<i> folder after deleting the oldest: a kill while writing leaves a partial newest, which its
    load_state() then picks.)"""
    root = fold_dir / "state"
    tmp = root / "tmp"
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)  # a partial one from a kill while writing
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        crash_point("state_written", epoch)
        tmp.rename(root / f"epoch{epoch + 1}")
        crash_point("state_renamed", epoch)
        for old in saved_states(fold_dir)[:-1]:
            shutil.rmtree(old)
    accelerator.wait_for_everyone()


def fit_front_ends(cfg, comp, df: pd.DataFrame, state) -> dict:
    """comp.fit_front_ends(cfg, df) once per run, on the main process, sent to the others: {fold: what its
    front end learns}. The others wait for it within the process group's timeout (common.accel)."""
    return broadcast_object_list([comp.fit_front_ends(cfg, df) if state.is_main_process else None])[0]


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
    comp = competition(cfg)
    df = comp.read_train(cfg)
    if state.is_main_process:
        prepare_exp_dir(cfg, args.resume, args.overwrite)
    state.wait_for_everyone()
    state.print(f"{cfg.exp} ({cfg.competition}): {len(df)} samples, folds {cfg.fold_ids()}, {state.num_processes} process(es) "
                f"on {state.device}")
    folds = []
    for fold in cfg.fold_ids():
        if (cfg.exp_dir() / f"fold{fold}" / "oof.csv").is_file():
            state.print(f"fold {fold}: finished earlier, skipped")
        else:
            folds.append(fold)
    fitted = fit_front_ends(cfg, comp, df, state) if folds else {}
    for fold in folds:
        try:
            train_fold(cfg, fold, df, fitted.get(fold), args.resume)
        except RuntimeError as e:
            if "Kernel size can't be greater than actual input size" in str(e):
                raise UserError(f"{cfg.model_name} cannot take image_size={cfg.image_size}: its feature map shrinks "
                                "below a kernel (InceptionV3 needs at least 75 px); raise image_size") from None
            raise

    if state.is_main_process:
        finished = sorted(cfg.exp_dir().glob("fold*/oof.csv"))
        oof = pd.concat([pd.read_csv(p, dtype={"id": str}) for p in finished]).sort_values(["fold", "id"])
        oof.to_csv(cfg.exp_dir() / "oof.csv", index=False)
        cv = roc_auc_score(oof["target"].round(), oof["pred"])
        folds = " ".join(map(str, sorted(oof["fold"].unique())))
        minutes = (time.time() - start) / 60
        print(f"{cfg.exp}: CV AUC {cv:.4f} over folds {folds} ({len(oof)} samples, {minutes:.1f} min)")
        if not folds:  # nothing new: the summary already has this run
            return
        summary = Path(cfg.output_dir) / "summary.csv"
        row = pd.DataFrame([dict(exp=cfg.exp, competition=cfg.competition, folds=folds, cv_auc=round(cv, 5), minutes=round(minutes, 2),
                                 commit=git_commit())])
        row.to_csv(summary, mode="a", header=not summary.is_file(), index=False)


if __name__ == "__main__":
    main()
