"""main.py end to end on tiny synthetic data: one vs two processes, resume, output safety."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from conftest import ROOT, free_port, learning_settings, run, tiny_settings

PY = sys.executable


def oof_of(output_dir):
    return pd.read_csv(output_dir / "exp0001" / "oof.csv", dtype={"id": str})


def test_run_writes_oof_metrics_checkpoints_and_summary(trained_run, synth_dir):
    labels = pd.read_csv(synth_dir / "train_labels.csv", dtype={"id": str})
    oof = oof_of(trained_run)
    assert sorted(oof["id"]) == sorted(labels["id"])  # every training id exactly once
    assert list(oof.columns[:4]) == ["id", "target", "fold", "pred"] and oof["pred"].between(0, 1).all()
    for fold in (0, 1):
        metrics = pd.read_csv(trained_run / "exp0001" / f"fold{fold}" / "metrics.csv")
        assert metrics["epoch"].tolist() == [0, 1]
        assert (trained_run / "exp0001" / f"fold{fold}" / "best.pt").is_file()
    summary = pd.read_csv(trained_run / "summary.csv")
    assert summary["exp"].tolist() == ["exp0001"]
    assert summary["cv_auc"].iloc[0] == round(roc_auc_score(oof["target"], oof["pred"]), 5)
    assert (trained_run / "exp0001" / "config.json").is_file()


def test_two_processes_match_one(needle_dir, tmp_path):
    """Same global batches, same gradients (a model without batch statistics): the same per-id predictions."""
    one_dir, two_dir = tmp_path / "one", tmp_path / "two"
    run(ROOT, PY, "main.py", "--exp", "exp0001", "--fold", 0, *learning_settings(needle_dir, one_dir))
    run(ROOT, PY, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", 2, "--main_process_port",
        free_port(), "main.py", "--exp", "exp0001", "--fold", 0, *learning_settings(needle_dir, two_dir))
    one, two = oof_of(one_dir).set_index("id"), oof_of(two_dir).set_index("id")
    assert sorted(two.index) == sorted(one.index)  # gather_for_metrics: each id once, none padded in
    for oof in (one, two):
        assert roc_auc_score(oof["target"], oof["pred"]) > 0.9  # the model learns: predictions differ by id
    p1, p2 = one["logit"], two["logit"].reindex(one.index)
    assert np.abs(p1 - p2).max() < 1e-3, np.abs(p1 - p2).max()  # each id's own prediction, as one process made it
    assert np.abs(p1.to_numpy() - np.roll(p2.to_numpy(), 1)).max() > 1.0  # misaligned predictions would fail


def test_training_with_every_cadence_augmentation(synth_dir, tmp_path):
    """The cadence augmentations run on the batch in main.py's loop (augment_batch, here on the CPU), then mixup."""
    augs = ["flip_freq=0.5", "flip_time=0.5", "shuffle_cons=0.5", "shuffle_inv=0.5", "line_aug=0.5", "noise_aug=0.5",
            "mixup=0.5", "spec_augment=0.5"]
    run(ROOT, PY, "main.py", "--exp", "exp0001", "--fold", 0, *tiny_settings(synth_dir, tmp_path, *augs))
    metrics = pd.read_csv(tmp_path / "exp0001" / "fold0" / "metrics.csv")
    assert metrics["epoch"].tolist() == [0, 1] and np.isfinite(metrics["train_loss"]).all()


def test_separate_losses_train_the_backbone_and_the_side_head_each_on_the_target(synth_dir, tmp_path):
    """exp0033: two BCE terms, each about log 2 at the start, where exp0032 trains their sum with one."""
    losses = {}
    for exp in ("exp0032", "exp0033"):
        run(ROOT, PY, "main.py", "--exp", exp, "--fold", 0, *tiny_settings(synth_dir, tmp_path, "epochs=1", "lr=1e-5"))
        losses[exp] = pd.read_csv(tmp_path / exp / "fold0" / "metrics.csv")["train_loss"].item()
    assert 0.5 < losses["exp0032"] < 1.0 and 1.1 < losses["exp0033"] < 2.0, losses


def test_existing_run_is_never_silently_overwritten(trained_run, synth_dir):
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", *tiny_settings(synth_dir, trained_run), check=False)
    assert out.returncode == 2 and "already holds a run of exp0001: add --resume" in out.stderr
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--resume", *tiny_settings(synth_dir, trained_run, "lr=0.5"),
              check=False)
    assert out.returncode == 2 and "holds a run with other settings (lr)" in out.stderr
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--resume", *tiny_settings(synth_dir, trained_run))
    assert out.stdout.count("finished earlier, skipped") == 2


def test_a_run_older_than_a_key_resumes_with_the_key_at_its_base_default(trained_run, synth_dir, tmp_path):
    shutil.copytree(trained_run / "exp0001", tmp_path / "exp0001")
    saved = tmp_path / "exp0001" / "config.json"
    config = json.loads(saved.read_text())
    del config["dedoppler_channels"]  # as written before the key existed
    config["output_dir"] = str(tmp_path)  # the copy's own place
    saved.write_text(json.dumps(config))
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--resume", *tiny_settings(synth_dir, tmp_path))
    assert out.stdout.count("finished earlier, skipped") == 2
    saved.write_text(json.dumps(config))
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--resume", *tiny_settings(synth_dir, tmp_path, "dedoppler_channels=true"),
              check=False)
    assert out.returncode == 2 and "holds a run with other settings (dedoppler_channels)" in out.stderr


def test_interrupt_then_resume_ends_with_all_epochs(synth_dir, tmp_path):
    args = [PY, "main.py", "--exp", "exp0001", *tiny_settings(synth_dir, tmp_path, "epochs=3")]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first_epoch = tmp_path / "exp0001" / "fold0" / "state" / "epoch1"
    deadline = time.time() + 120
    while not first_epoch.is_dir() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # as hard as an interruption gets
    proc.wait()
    assert not (tmp_path / "exp0001" / "oof.csv").exists()
    out = run(ROOT, *args, "--resume")
    assert "resuming after epoch" in out.stdout or "finished earlier" in out.stdout
    for fold in (0, 1):
        assert pd.read_csv(tmp_path / "exp0001" / f"fold{fold}" / "metrics.csv")["epoch"].tolist() == [0, 1, 2]
    assert len(oof_of(tmp_path)) == 48


def saved_states(fold_dir) -> list[str]:
    return sorted(p.name for p in (fold_dir / "state").iterdir())


def train_state(fold_dir) -> dict:
    """The loop counters of fold_dir's latest state (main.TrainState, registered first for checkpointing)."""
    latest = max((fold_dir / "state").glob("epoch*"), key=lambda p: int(p.name[5:]))
    return torch.load(latest / "custom_checkpoint_0.pkl", weights_only=False)


def test_resumed_run_matches_an_uninterrupted_one(needle_dir, tmp_path):
    """Stopped after epoch 2 of 3 (in the SWA epochs) and resumed: the same learning rates and AUCs."""
    settings = learning_settings(needle_dir, tmp_path / "whole", "epochs=3", "swa=true", "swa_start=0.34")
    run(ROOT, PY, "main.py", "--exp", "exp0001", "--fold", 0, *settings)
    settings = learning_settings(needle_dir, tmp_path / "resumed", "epochs=3", "swa=true", "swa_start=0.34")
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--fold", 0, *settings, check=False,
              env={**os.environ, "MAIN_CRASH_AT": "after_state:1"})
    assert out.returncode == 70 and "crash point after_state at epoch 1" in out.stdout
    assert "resuming after epoch 2" in run(ROOT, PY, "main.py", "--exp", "exp0001", "--fold", 0, "--resume", *settings).stdout
    whole, resumed = (pd.read_csv(tmp_path / d / "exp0001" / "fold0" / "metrics.csv") for d in ("whole", "resumed"))
    assert resumed["epoch"].tolist() == [0, 1, 2]
    assert np.allclose(resumed["lr"], whole["lr"], rtol=1e-9, atol=0), (whole["lr"], resumed["lr"])
    assert np.allclose(resumed["valid_auc"], whole["valid_auc"], atol=1e-6)
    p_whole, p_resumed = (oof_of(tmp_path / d)["logit"] for d in ("whole", "resumed"))
    assert np.allclose(p_whole, p_resumed, atol=1e-4)


def test_best_checkpoint_never_ahead_of_the_state(needle_dir, tmp_path):
    """Stopped between the epoch's state and best.pt: the state knows at least what best.pt holds, and
    --resume ends with the best.pt the state records."""
    settings = learning_settings(needle_dir, tmp_path, "epochs=2")
    fold_dir = tmp_path / "exp0001" / "fold0"
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--fold", 0, *settings, check=False,
              env={**os.environ, "MAIN_CRASH_AT": "best:0"})
    assert out.returncode == 70 and "crash point best at epoch 0" in out.stdout
    if (fold_dir / "best.pt").is_file():
        assert saved_states(fold_dir) == ["epoch1"], "best.pt written, the state that knows it is not"
        best = torch.load(fold_dir / "best.pt", weights_only=False)
        assert best["auc"] <= train_state(fold_dir)["best_auc"]
    run(ROOT, PY, "main.py", "--exp", "exp0001", "--fold", 0, "--resume", *settings)
    best, state = torch.load(fold_dir / "best.pt", weights_only=False), train_state(fold_dir)
    metrics = pd.read_csv(fold_dir / "metrics.csv")
    assert best["auc"] == state["best_auc"] == metrics["valid_auc"].max()
    assert best["epoch"] == state["best_epoch"] == metrics["valid_auc"].idxmax()


@pytest.mark.parametrize("gap, resumed_after", [("state_written", 1), ("state_renamed", 2), ("after_state", 2)])
def test_a_kill_anywhere_in_saving_the_state_resumes_from_the_last_complete_one(needle_dir, tmp_path, gap, resumed_after):
    """Killed in epoch 2 of 3 between writing its state and renaming it, between the rename and removing the
    older state, or after: --resume continues after the last complete state (never from scratch), and the
    leftovers (a written but unnamed state, an older one) neither stop later saves nor stay behind."""
    settings = learning_settings(needle_dir, tmp_path, "epochs=3")
    fold_dir = tmp_path / "exp0001" / "fold0"
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--fold", 0, *settings, check=False,
              env={**os.environ, "MAIN_CRASH_AT": f"{gap}:1"})
    assert out.returncode == 70 and f"crash point {gap} at epoch 1" in out.stdout
    left = {"state_written": ["epoch1", "tmp"], "state_renamed": ["epoch1", "epoch2"], "after_state": ["epoch2"]}
    assert saved_states(fold_dir) == left[gap]
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--fold", 0, "--resume", *settings)
    assert f"resuming after epoch {resumed_after}" in out.stdout
    assert pd.read_csv(fold_dir / "metrics.csv")["epoch"].tolist() == [0, 1, 2]
    assert saved_states(fold_dir) == ["epoch3"] and train_state(fold_dir)["epoch"] == 3


def test_g2net_spectra_are_fitted_once_per_run_per_fold_and_cached_under_output_dir(tmp_path):
    """One pass over the negatives before the folds (not one per fold); fold k whitens by the negatives outside
    fold k; the cache goes to output_dir, so a read-only data_dir (Kaggle's /kaggle/input) is never written."""
    from common.g2net import synth
    from common.g2net.data import read_labels
    from common.g2net.frontend import average_spectrum

    data, out_dir = tmp_path / "input", tmp_path / "out"
    synth.generate(data, {"train": 24, "test": 4}, seed=5, snr_min=20, snr_max=30)
    before = sorted(data.rglob("*"))
    out = run(ROOT, PY, "main.py", "--exp", "exp0101", "--set", f"data_dir={data}", f"output_dir={out_dir}",
              "model_name=resnet18", "image_size=32", "epochs=1", "batch_size=8", "num_workers=0", "n_folds=2",
              "wandb=false")
    assert out.stdout.count("whitening spectrum: computing over") == 1, out.stdout
    assert (out_dir / "cache" / "whitening_spectrum_folds.npz").is_file() and sorted(data.rglob("*")) == before
    folds = pd.read_csv(out_dir / "exp0101" / "oof.csv", dtype={"id": str})[["id", "fold"]]
    labels = read_labels(data).merge(folds, on="id")
    for fold in (0, 1):
        best = torch.load(out_dir / "exp0101" / f"fold{fold}" / "best.pt", weights_only=False)
        expected = average_spectrum(labels.query(f"target == 0 and fold != {fold}")["path"], progress=False)
        np.testing.assert_allclose(best["model"]["front_end.whiten.spectrum"].numpy(), expected, rtol=1e-6)


def test_grad_accum_steps_whole_accumulations_within_each_epoch(needle_dir, tmp_path):
    """32 training samples in batches of 4 = 8 batches an epoch; grad_accum=3 makes 2 steps an epoch (the last
    2 batches are not drawn), not 16 // 3 = 5 steps over 2 epochs with an accumulation across them."""
    run(ROOT, PY, "main.py", "--exp", "exp0001", "--fold", 0,
        *learning_settings(needle_dir, tmp_path, "batch_size=4", "grad_accum=3", "lr=1e-3"))
    assert train_state(tmp_path / "exp0001" / "fold0")["step"] == 4
    lr = pd.read_csv(tmp_path / "exp0001" / "fold0" / "metrics.csv")["lr"]
    assert lr.iloc[-1] == pytest.approx(1e-5)  # the schedule ends exactly at the last step


def test_an_image_too_small_for_the_model_is_a_one_line_error(synth_dir, tmp_path):
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--fold", 0,
              *tiny_settings(synth_dir, tmp_path, "model_name=inception_v3", "image_size=48"), check=False)
    assert out.returncode == 2 and "inception_v3 cannot take image_size=48" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("override, message", [("epochs=-1", "epochs=-1: need epochs >= 1"),
                                               ("n_folds=1", "n_folds=1: need n_folds >= 2")])
def test_an_out_of_range_key_stops_before_anything_is_written(kaggle_dir, tmp_path, override, message):
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", *tiny_settings(kaggle_dir, tmp_path / "out", override),
              check=False)
    assert out.returncode == 2 and out.stderr.strip().splitlines() == [f"error: {message}"], out.stderr
    assert not (tmp_path / "out").exists()


def pseudo_source(kaggle_dir, tmp_path, **changes):
    """(cfg of a run taking pseudo labels from tmp_path/src/submission.csv, the test ids): fold predictions
    of every test id written there, and the source's config.json beside them."""
    import dataclasses

    import main
    from common.seti.config import Config

    cfg = Config(data_dir=str(kaggle_dir), output_dir=str(tmp_path), n_folds=2, wandb=False, **changes)
    ids = pd.read_csv(kaggle_dir / "sample_submission.csv", dtype={"id": str})["id"]
    (tmp_path / "src").mkdir()
    pd.DataFrame({"id": ids, "target": 0.5}).to_csv(tmp_path / "src" / "submission.csv", index=False)
    pd.DataFrame({"id": ids, "fold0": 0.2, "fold1": 0.8}).to_csv(tmp_path / "src" / "submission_folds.csv", index=False)
    (tmp_path / "src" / "config.json").write_text(json.dumps(cfg.to_dict()))
    return dataclasses.replace(cfg, pseudo_labels=str(tmp_path / "src" / "submission.csv")), ids, main


def test_pseudo_labels_without_a_prediction_for_every_test_id_are_refused(kaggle_dir, tmp_path):
    from common.errors import UserError
    from common.seti import competition as seti

    cfg, ids, main = pseudo_source(kaggle_dir, tmp_path)
    assert main.pseudo_labelled(cfg, seti, 1)["target"].tolist() == [0.8] * len(ids)
    folds = tmp_path / "src" / "submission_folds.csv"
    pd.read_csv(folds, dtype={"id": str}).iloc[1:].to_csv(folds, index=False)  # one id lost (was: target 0)
    with pytest.raises(UserError, match=f"submission_folds.csv has no prediction for 1 of the {len(ids)} test ids"):
        main.pseudo_labelled(cfg, seti, 0)


def test_pseudo_labels_named_by_csv_check_the_fold_split(kaggle_dir, tmp_path):
    """pseudo_labels=PATH.csv (g2net001.sh's form): the source's config.json beside it, or the
    <name>_folds.json evaluate.py writes beside its --out, must split the folds as this run does."""
    from common.errors import UserError
    from common.seti import competition as seti

    cfg, ids, main = pseudo_source(kaggle_dir, tmp_path)
    other = tmp_path / "src" / "config.json"
    other.write_text(json.dumps(dict(cfg.to_dict(), seed=7)))
    with pytest.raises(UserError, match=r"split its folds otherwise \(seed differ"):
        main.pseudo_labelled(cfg, seti, 0)
    other.unlink()
    assert len(main.pseudo_labelled(cfg, seti, 0)) == len(ids)  # no config found: nothing to check
    (tmp_path / "src" / "submission_folds.json").write_text(json.dumps(dict(cfg.to_dict(), n_folds=4)))
    with pytest.raises(UserError, match=r"split its folds otherwise \(n_folds differ"):
        main.pseudo_labelled(cfg, seti, 0)


def test_a_run_resumes_with_its_pack_elsewhere(trained_run, synth_dir, tmp_path):
    """pack_dir says where the samples are read from, not what is computed: --resume accepts a change."""
    shutil.copytree(trained_run / "exp0001", tmp_path / "exp0001")
    saved = tmp_path / "exp0001" / "config.json"
    saved.write_text(json.dumps(dict(json.loads(saved.read_text()), output_dir=str(tmp_path))))  # the copy's place
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--resume",
              *tiny_settings(synth_dir, tmp_path, f"pack_dir={tmp_path / 'packs'}"))
    assert out.stdout.count("finished earlier, skipped") == 2
