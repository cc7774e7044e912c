"""evaluate.py: TTA submission end to end, --oof, and its bad-input messages."""
import shutil
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from common.errors import UserError
from common.metrics import combine, fit_temperature, validate_submission
from conftest import ROOT, run, tiny_settings

PY = sys.executable


def test_submission_end_to_end(trained_run, synth_dir, tmp_path):
    out = run(ROOT, PY, "evaluate.py", "--exp", "exp0001", "--tta", 4, "--out", tmp_path / "sub.csv",
              *tiny_settings(synth_dir, trained_run))
    assert "2 folds x 4 views" in out.stdout
    sub = pd.read_csv(tmp_path / "sub.csv", dtype={"id": str})
    sample = pd.read_csv(synth_dir / "sample_submission.csv", dtype={"id": str})
    assert sub["id"].tolist() == sample["id"].tolist() and sub["target"].between(0, 1).all()
    assert sub["target"].nunique() > 1
    folds = pd.read_csv(tmp_path / "sub_folds.csv", dtype={"id": str})  # each fold's own model (pseudo labels)
    assert list(folds.columns) == ["id", "fold0", "fold1"] and folds["id"].tolist() == sub["id"].tolist()
    assert np.allclose(folds[["fold0", "fold1"]].mean(axis=1), sub["target"])  # prob average over folds


def test_oof_reports_auc_with_and_without_tta(trained_run, synth_dir):
    out = run(ROOT, PY, "evaluate.py", "--exp", "exp0001", "--oof", "--tta", 2, *tiny_settings(synth_dir, trained_run))
    assert "without TTA" in out.stdout and "with 2x TTA" in out.stdout and "48 samples" in out.stdout
    rows = [line for line in out.stdout.splitlines() if line.startswith("| 0 |") or line.startswith("| 1 |")]
    assert [r.split("|")[2].strip() for r in rows] == ["identity", "freq flip"]  # one AUC per view


def test_default_views_are_the_trained_ones(trained_run, synth_dir, tmp_path):
    out = run(ROOT, PY, "evaluate.py", "--exp", "exp0001", "--out", tmp_path / "sub.csv", *tiny_settings(synth_dir, trained_run))
    assert "2 folds x 1 views" in out.stdout  # exp0001 trains without flips or scan shuffles


def test_missing_fold_checkpoint_names_the_fold_and_command(trained_run, synth_dir, tmp_path):
    shutil.copytree(trained_run / "exp0001", tmp_path / "exp0001")
    (tmp_path / "exp0001" / "fold1" / "best.pt").unlink()
    out = run(ROOT, PY, "evaluate.py", "--exp", "exp0001", *tiny_settings(synth_dir, tmp_path), check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "no checkpoint for fold 1 of exp0001" in out.stderr and "main.py --exp exp0001 --fold 1" in out.stderr


def test_checkpoint_from_another_config_is_refused(trained_run, synth_dir):
    out = run(ROOT, PY, "evaluate.py", "--exp", "exp0001", *tiny_settings(synth_dir, trained_run, "layout=aaa_bcd"),
              check=False)
    assert out.returncode == 2 and "was trained with other settings: layout='stack6' (config: 'aaa_bcd')" in out.stderr


def test_checkpoint_older_than_a_model_key_takes_its_base_default(trained_run, synth_dir, tmp_path):
    shutil.copytree(trained_run / "exp0001", tmp_path / "exp0001")
    for fold in (0, 1):  # as saved before the key existed
        path = tmp_path / "exp0001" / f"fold{fold}" / "best.pt"
        ckpt = torch.load(path, weights_only=False)
        del ckpt["config"]["dedoppler_channels"]
        torch.save(ckpt, path)
    out = run(ROOT, PY, "evaluate.py", "--exp", "exp0001", "--out", tmp_path / "sub.csv", *tiny_settings(synth_dir, tmp_path))
    assert "2 folds" in out.stdout
    out = run(ROOT, PY, "evaluate.py", "--exp", "exp0001", *tiny_settings(synth_dir, tmp_path, "dedoppler_channels=true"),
              check=False)
    assert out.returncode == 2 and "dedoppler_channels=False (config: True)" in out.stderr


def test_test_files_not_matching_sample_submission(trained_run, synth_dir, tmp_path):
    data = tmp_path / "input"
    shutil.copytree(synth_dir, data)
    sample = pd.read_csv(data / "sample_submission.csv")
    sample.iloc[1:].to_csv(data / "sample_submission.csv", index=False)
    out = run(ROOT, PY, "evaluate.py", "--exp", "exp0001", *tiny_settings(data, trained_run), check=False)
    assert out.returncode == 2 and "holds 1 files not listed in" in out.stderr


@pytest.fixture
def sample():
    return pd.DataFrame({"id": ["a", "b", "c"], "target": 0.5})


@pytest.mark.parametrize("bad, message", [
    (pd.DataFrame({"id": ["a", "b"], "target": [0.1, 0.2]}), "1 ids of sample_submission.csv missing"),
    (pd.DataFrame({"id": ["a", "b", "b"], "target": [0.1, 0.2, 0.2]}), "appear more than once"),
    (pd.DataFrame({"id": ["b", "a", "c"], "target": [0.1, 0.2, 0.3]}), "not in sample_submission.csv order"),
    (pd.DataFrame({"id": ["a", "b", "c"], "target": [0.1, np.nan, 0.3]}), "1 targets are not finite"),
    (pd.DataFrame({"id": ["a", "b", "c"], "target": [0.1, 1.5, 0.3]}), "not finite numbers in \\[0, 1\\]"),
    (pd.DataFrame({"id": ["a", "b", "c"], "pred": [0.1, 0.2, 0.3]}), "columns must be id,target"),
])
def test_validator_rejects_bad_submissions(bad, message, sample):
    with pytest.raises(UserError, match=message):
        validate_submission(bad, sample, "sub.csv")
    validate_submission(sample.assign(target=[0.0, 1.0, 0.3]), sample, "sub.csv")


def test_combine_modes():
    logits = np.array([[0.0, 2.0, -2.0], [0.0, 4.0, -1.0]])  # 2 views x 3 cadences
    sig = 1 / (1 + np.exp(-logits))
    assert np.allclose(combine(logits, "prob"), sig.mean(0))
    assert np.allclose(combine(logits, "logit"), 1 / (1 + np.exp(-logits.mean(0))))
    assert combine(logits, "rank").tolist() == [0.5, 1.0, 0.0]
    assert combine(logits[None], "prob").shape == (3,)  # (folds, views, N)


def test_fit_temperature_recovers_the_scale_of_miscalibrated_logits():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, 20000)  # calibrated logits: labels drawn from sigmoid(z)
    y = rng.random(20000) < 1 / (1 + np.exp(-z))
    assert fit_temperature(z, y) == pytest.approx(1.0, abs=0.1)
    assert fit_temperature(z / 3, y) == pytest.approx(1 / 3, rel=0.1)  # underconfident -> T < 1
    assert fit_temperature(z * 3, y) == pytest.approx(3.0, rel=0.1)  # overconfident -> T > 1


def test_fold_models_share_a_front_end_without_fitted_state():
    from common.g2net import competition as g2net
    from common.models import build_model
    from common.seti import competition as seti
    from evaluate import forward_all, shared_front_end
    cfg = seti.Config(model_name="resnet18", layout="aaa_bcd", image_size=32, dedoppler_peaks=True)
    models = [build_model(cfg, seti.make_front_end(cfg), seti.in_channels(cfg)).eval() for _ in range(2)]
    front_end = shared_front_end(models)
    assert front_end is models[0].front_end
    x = torch.randn(3, 6, 273, 256)
    with torch.no_grad():
        assert torch.allclose(forward_all(models, x, front_end), forward_all(models, x, None), atol=1e-5)
    g2net_cfg = g2net.Config(model_name="resnet18", image_size=32)  # a whitening spectrum per fold
    g2net_models = [build_model(g2net_cfg, g2net.make_front_end(g2net_cfg), g2net.in_channels(g2net_cfg))]
    assert shared_front_end(g2net_models) is None


def test_fold_models_need_no_pretrained_weights(trained_run, synth_dir, tmp_path, monkeypatch):
    """Offline (a Kaggle inference machine): the weights file of pretrained_path is gone and timm cannot
    download; the checkpoints hold every weight, so evaluation builds the models without either."""
    import timm

    from common.accel import make_accelerator
    from common.config import load_config
    from evaluate import load_fold_models

    def offline(name, **kwargs):
        if kwargs.get("pretrained"):
            raise OSError("no internet")
        return create(name, **kwargs)

    create = timm.create_model
    monkeypatch.setattr(timm, "create_model", offline)
    settings = tiny_settings(synth_dir, trained_run)[1:]
    x = torch.randn(2, 6, 273, 256)
    logits = {}
    for weights in ("pretrained=false", "pretrained=true", f"pretrained_path={tmp_path / 'deleted.pth'}"):
        cfg = load_config("exp0001", [*settings, weights])
        models = load_fold_models(cfg, make_accelerator(cfg))
        with torch.no_grad():
            logits[weights] = torch.stack([m(x) for m in models.values()])
    assert all(torch.equal(v, logits["pretrained=false"]) for v in logits.values())  # the checkpoints' weights


def test_fold_predictions_are_probabilities_under_rank_averaging(trained_run, synth_dir, tmp_path):
    """<name>_folds.csv feeds pseudo labels: each fold's probability averaged over views (not its ranks),
    with the run's config beside it as <name>_folds.json (the fold split pseudo labels check)."""
    import json

    run(ROOT, PY, "evaluate.py", "--exp", "exp0001", "--tta", 2, "--out", tmp_path / "sub.csv",
        *tiny_settings(synth_dir, trained_run, "tta_average=rank"))
    folds = pd.read_csv(tmp_path / "sub_folds.csv", dtype={"id": str}).set_index("id")
    views = pd.read_csv(tmp_path / "sub_logits.csv", dtype={"id": str})
    for fold in (0, 1):
        logits = views[views.fold == fold].set_index("id")[["view0", "view1"]]
        expected = (1 / (1 + np.exp(-logits))).mean(axis=1)
        assert np.allclose(folds.loc[logits.index, f"fold{fold}"], expected, atol=1e-6)
    saved = json.loads((tmp_path / "sub_folds.json").read_text())
    assert (saved["exp"], saved["n_folds"], saved["seed"]) == ("exp0001", 2, 42)
