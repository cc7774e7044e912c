"""Predict the test set with every fold's best checkpoint and N test-time views; write submission.csv.

    accelerate launch evaluate.py --exp exp0012 [--fold K] [--set key=value ...] [--tta 16] [--out PATH]
    python evaluate.py --exp exp0012 --oof      # CV AUC of each view, without and with TTA, on the validation folds

Writes the submission and, next to it, `<name>_folds.csv`: each fold's own test predictions (id, fold0, ...;
probabilities whatever `tta_average`), what pseudo labels of fold k are taken from (main.py, `pseudo_labels`),
`<name>_folds.json`: the config of the run whose folds these are (pseudo labels check that it split its folds
as they do), and `<name>_logits.csv`: every fold
model's logit on every view (id, fold, view0, ...), what blend.py combines. `--oof` writes the same table of
the validation folds to `outputs/<exp>/oof_views.csv`.

Views are the competition's label-preserving test-time views, made on the device from the samples, one
forward pass per view per batch. How views and folds are averaged is the config key `tta_average`
(prob | logit | rank).
"""
import argparse
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from common.accel import make_accelerator
from common.competition import competition, saved_settings
from common.config import add_config_args, config_from_args, config_json
from common.errors import UserError, cli
from common.metrics import combine, fit_temperature, folds_csv, logits_csv, validate_submission, views_table
from common.models import build_model, load_checkpoint, speed_up


def load_fold_models(cfg, accelerator) -> dict[int, torch.nn.Module]:
    """Each fold's best checkpoint, checked against cfg, on the device in eval mode."""
    comp = competition(cfg)
    # the checkpoint holds every weight: nothing to download or read (offline, on a Kaggle inference machine)
    architecture = dataclasses.replace(cfg, pretrained=False, pretrained_path="")
    models = {}
    for fold in cfg.fold_ids():
        path = cfg.exp_dir() / f"fold{fold}" / "best.pt"
        if not path.is_file():
            raise UserError(f"no checkpoint for fold {fold} of {cfg.exp} ({path}); train it with "
                            f"`accelerate launch main.py --exp {cfg.exp} --fold {fold}`")
        ckpt = load_checkpoint(path)
        trained = saved_settings(cfg, ckpt["config"])
        diff = [f"{k}={trained[k]!r} (config: {getattr(cfg, k)!r})" for k in comp.MODEL_KEYS
                if trained[k] != getattr(cfg, k)]
        if diff:
            raise UserError(f"{path} was trained with other settings: {', '.join(diff)}; evaluate with the "
                            "same --set options as training")
        model = build_model(architecture, comp.make_front_end(cfg), comp.in_channels(cfg))
        model.load_state_dict(ckpt["model"])
        models[fold] = accelerator.prepare_model(speed_up(model, cfg).eval(), evaluation_mode=True)
    return models


def shared_front_end(models: list):
    """The (unwrapped) fold models' front end when it holds no fitted state (SETI's fixed transforms, the
    dedoppler among them): computed once per view for all folds instead of once per fold. None when the
    front ends hold fitted state (G2Net's whitening spectra, one per fold)."""
    return None if any(m.front_end.state_dict() for m in models) else models[0].front_end


def forward_all(models: list, x: torch.Tensor, front_end) -> torch.Tensor:
    """(models, B) logits of every model on batch x, through the shared front end when there is one."""
    if front_end is None:
        return torch.stack([m(x).squeeze(-1).float() for m in models])
    inputs = front_end(x)
    return torch.stack([m.classify(inputs).squeeze(-1).float() for m in models])


@torch.no_grad()
def predict_views(cfg, models: list, df: pd.DataFrame, n_views: int, accelerator, desc: str) -> np.ndarray:
    """Logits of shape (models, views, len(df)): every model on every view of every sample."""
    comp = competition(cfg)
    loader = accelerator.prepare_data_loader(
        DataLoader(comp.make_dataset(cfg, df, train=False), batch_size=cfg.batch_size,
                   num_workers=cfg.num_workers, pin_memory=torch.cuda.is_available()))
    views = comp.tta_views(cfg, n_views)
    unwrapped = [accelerator.unwrap_model(m) for m in models]
    front_end = shared_front_end(unwrapped)
    if front_end is not None:
        models = unwrapped  # classify() is the unwrapped model's
    out = []
    for x, _ in tqdm(loader, desc=desc, disable=not accelerator.is_local_main_process):
        batch = []
        for view in views:
            view_x = comp.apply_view(x, view)
            with accelerator.autocast():
                batch.append(forward_all(models, view_x, front_end))
        logits = torch.stack(batch, dim=1)  # (models, views, B)
        out.append(accelerator.gather_for_metrics(logits.permute(2, 0, 1).contiguous()).cpu())
    return torch.cat(out).permute(1, 2, 0).numpy()


def score_oof(cfg, models: dict, n_views: int, accelerator) -> None:
    """Re-score each validation fold with its own model; print each view's CV AUC, then without and with TTA;
    write each view's logits to outputs/<exp>/oof_views.csv (id, target, fold, view0, ...)."""
    comp = competition(cfg)
    df = comp.read_train(cfg)
    views = comp.tta_views(cfg, n_views)
    parts = []
    for fold, model in models.items():
        valid = df[df.fold == fold]
        logits = predict_views(cfg, [model], valid, n_views, accelerator, f"oof fold {fold}")[0]
        parts.append(valid.assign(tta=combine(logits, cfg.tta_average), **{f"view{i}": v for i, v in enumerate(logits)}))
    oof = pd.concat(parts)
    if accelerator.is_main_process:
        oof[["id", "target", "fold", *(f"view{i}" for i in range(len(views)))]].to_csv(
            cfg.exp_dir() / "oof_views.csv", index=False)
    y = oof["target"].round()
    rows = [f"| {i} | {view} | {roc_auc_score(y, oof[f'view{i}']):.4f} |" for i, view in enumerate(views)]
    accelerator.print("\n".join(["| view | what | CV AUC |", "|---|---|---|", *rows]))
    accelerator.print(f"{cfg.exp}: CV AUC {roc_auc_score(y, oof['view0']):.4f} without TTA, "
                      f"{roc_auc_score(y, oof['tta']):.4f} with {len(views)}x TTA ({cfg.tta_average} average, "
                      f"folds {' '.join(map(str, models))}, {len(oof)} samples)")


def temperature(cfg) -> float:
    """Temperature fitted on the experiment's OOF logits (1 when temperature_scaling is off)."""
    if not cfg.temperature_scaling:
        return 1.0
    oof_csv = cfg.exp_dir() / "oof.csv"
    if not oof_csv.is_file():
        raise UserError(f"temperature_scaling needs {oof_csv}; finish training with main.py first")
    oof = pd.read_csv(oof_csv)
    return fit_temperature(oof["logit"], oof["target"])


@cli
def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.add_argument("--tta", type=int, help="number of test-time views (default: the experiment's tta; the "
                        "competition's config says which counts it has)")
    parser.add_argument("--out", help="submission path (default outputs/<exp>/submission.csv)")
    parser.add_argument("--oof", action="store_true", help="re-score the validation folds with and without TTA")
    args = parser.parse_args()
    cfg = config_from_args(args)
    if args.tta is not None:  # checked like the config key
        cfg = dataclasses.replace(cfg, tta=args.tta)
        cfg.validate()
    n_views = cfg.tta
    accelerator = make_accelerator(cfg)
    models = load_fold_models(cfg, accelerator)
    if args.oof:
        score_oof(cfg, models, n_views, accelerator)
        return

    test = competition(cfg).read_test(cfg)
    views = competition(cfg).tta_views(cfg, n_views)
    logits = predict_views(cfg, list(models.values()), test, n_views, accelerator, f"{cfg.exp} test x{len(views)}")
    if accelerator.is_main_process:
        t = temperature(cfg)
        sub = pd.DataFrame({"id": test["id"].values, "target": combine(logits / t, cfg.tta_average)})
        out = Path(args.out or cfg.exp_dir() / "submission.csv")
        validate_submission(sub, test, out)
        out.parent.mkdir(parents=True, exist_ok=True)
        sub.to_csv(out, index=False)
        soft = "prob" if cfg.tta_average == "rank" else cfg.tta_average  # soft labels: probabilities, not ranks
        per_fold = pd.DataFrame({"id": test["id"].values, **{f"fold{fold}": combine(fold_logits / t, soft)
                                                             for fold, fold_logits in zip(models, logits)}})
        per_fold.to_csv(folds_csv(out), index=False)
        folds_csv(out).with_suffix(".json").write_text(config_json(cfg))
        pd.concat([views_table(test["id"], fold, fold_logits) for fold, fold_logits in zip(models, logits)]).to_csv(
            logits_csv(out), index=False)
        print(f"{cfg.exp}: wrote {out} ({len(sub)} rows, {len(models)} folds x {len(views)} views, "
              f"{cfg.tta_average} average{f', temperature {t:.3f}' if t != 1 else ''}) and each fold's own "
              f"predictions to {folds_csv(out)}, their logits per view to {logits_csv(out)}")


if __name__ == "__main__":
    main()
