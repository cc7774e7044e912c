"""blend.py and common.blend: honest out-of-fold CV, per-fold application, the split check, missing inputs,
the classical-feature cache, and mean / rank blends of one experiment."""
import json
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

import blend
from common import baseline
from common.blend import Blend, apply_per_fold, cross_validate
from common.config import load_config
from common.errors import UserError
from conftest import ROOT, run, tiny_settings

PY = sys.executable


def random_table(n=600, k=150, folds=4, seed=0):
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(rng.standard_normal((n, k)), columns=[f"x{i}" for i in range(k)])
    return table.assign(target=rng.integers(0, 2, n), fold=np.arange(n) % folds, id=[f"{i}" for i in range(n)])


def test_out_of_fold_cv_never_sees_a_rows_own_label():
    train = random_table()
    model = Blend("logistic", [c for c in train if c.startswith("x")])
    in_sample = roc_auc_score(train.target, model.fit(train).score(train))
    out_of_fold = roc_auc_score(train.target, cross_validate(model, train))
    assert in_sample > 0.7  # 150 random inputs fit 600 labels
    assert abs(out_of_fold - 0.5) < 0.08  # and predict nothing out of fold


def test_a_fitted_blend_is_applied_per_fold_model_then_averaged():
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"net": rng.standard_normal(200), "target": np.arange(200) % 2, "fold": np.arange(200) % 2})
    train["net"] += 2 * train.target
    model = Blend("logistic", ["net"]).fit(train)
    ids = [f"t{i}" for i in range(50)]
    base = rng.standard_normal(50)
    test = pd.concat([pd.DataFrame({"id": ids, "fold": k, "net": base * s + o}) for k, (s, o) in enumerate([(1, 0), (4, 2)])])
    scores = apply_per_fold(model, test, ids)
    per_model = [model.score(test[test.fold == k]) for k in (0, 1)]
    assert np.allclose(scores, np.mean(per_model, 0))
    averaged_input = model.score(test.groupby("id", sort=False)["net"].mean().reindex(ids).to_frame())
    assert not np.allclose(scores, averaged_input, atol=1e-3)  # the fold-averaged logit is another input


def fake_run(output_dir, data_dir, exp="exp0001", views=1, **keys):
    """Outputs of a trained and evaluated experiment without training: config.json, oof.csv, submission_logits.csv."""
    overrides = [f"data_dir={data_dir}", f"output_dir={output_dir}", "n_folds=2", *(f"{k}={v}" for k, v in keys.items())]
    cfg = load_config(exp, overrides)
    exp_dir = cfg.exp_dir()
    exp_dir.mkdir(parents=True)
    (exp_dir / "config.json").write_text(json.dumps(cfg.to_dict()))
    labels = pd.read_csv(data_dir / "train_labels.csv", dtype={"id": str})
    rng = np.random.default_rng(0)
    logit = labels.target + rng.standard_normal(len(labels))
    labels.assign(fold=np.arange(len(labels)) // 2 % 2, pred=1 / (1 + np.exp(-logit)), logit=logit).to_csv(exp_dir / "oof.csv", index=False)
    test = pd.read_csv(data_dir / "sample_submission.csv", dtype={"id": str})
    pd.concat([pd.DataFrame({"id": test.id, "fold": k, **{f"view{v}": rng.standard_normal(len(test)) for v in range(views)}})
               for k in (0, 1)]).to_csv(exp_dir / "submission_logits.csv", index=False)
    return overrides


def test_blend_writes_a_valid_submission_with_its_weights(kaggle_dir, tmp_path, capsys):
    overrides = fake_run(tmp_path / "out", kaggle_dir)
    blend.main(["--exps", "exp0001", "--set", *overrides, "--out", str(tmp_path / "b" / "sub.csv")])
    printed = capsys.readouterr().out
    assert "| exp0001 |" in printed and "| blend |" in printed and "weights exp0001" in printed
    sub = pd.read_csv(tmp_path / "b" / "sub.csv", dtype={"id": str})
    sample = pd.read_csv(kaggle_dir / "sample_submission.csv", dtype={"id": str})
    assert sub.id.tolist() == sample.id.tolist() and sub.target.between(0, 1).all()
    record = json.loads((tmp_path / "b" / "sub_weights.json").read_text())
    assert record["method"] == "logistic" and set(record["weights"]) == {"exp0001", "intercept"}
    assert record["weights"]["exp0001"] > 0 and set(record["cv_auc"]) == {"exp0001", "blend"}
    assert {"exp0001", "blend", "target", "fold"} <= set(pd.read_csv(tmp_path / "b" / "sub_oof.csv"))


def test_a_fold_split_that_differs_is_refused(kaggle_dir, tmp_path, capsys):
    overrides = fake_run(tmp_path / "out", kaggle_dir)
    fake_run(tmp_path / "out", kaggle_dir, exp="exp0002", seed=7)
    with pytest.raises(SystemExit):  # exp0002 trained on another split than the one --set asks for
        blend.main(["--exps", "exp0001", "exp0002", "--set", *overrides])
    assert "exp0002 was trained with seed=7" in capsys.readouterr().err


def test_experiments_on_other_splits_are_refused(kaggle_dir, tmp_path):
    cfgs = [load_config("exp0001", [f"data_dir={kaggle_dir}", "n_folds=2"]),
            load_config("exp0002", [f"data_dir={kaggle_dir}", "n_folds=3"])]
    with pytest.raises(UserError, match="differ in n_folds"):
        blend.check_split(cfgs)


@pytest.mark.parametrize("missing, command", [("submission_logits.csv", "python evaluate.py --exp exp0001"),
                                              ("oof.csv", "python main.py --exp exp0001")])
def test_missing_inputs_name_the_command_that_writes_them(kaggle_dir, tmp_path, capsys, missing, command):
    overrides = fake_run(tmp_path / "out", kaggle_dir)
    (tmp_path / "out" / "exp0001" / missing).unlink()
    with pytest.raises(SystemExit):
        blend.main(["--exps", "exp0001", "--set", *overrides])
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and missing in err and command in err
    assert not (tmp_path / "out" / "blend").exists()  # nothing written before the error


def test_oof_views_are_used_when_they_match_the_test_views(kaggle_dir, tmp_path):
    overrides = fake_run(tmp_path / "out", kaggle_dir, views=2)
    cfg = load_config("exp0001", overrides)
    oof, test, how = blend.experiment_logits(cfg, "")
    assert list(oof.filter(like="view")) == ["view0"] and "evaluate.py --exp exp0001 --oof --tta 2" in how
    train, rows, _ = blend.input_tables([cfg], "logistic", "")
    assert np.allclose(rows.exp0001, test.view0)  # fitted on one view: applied to the same one
    oof.assign(view1=oof.view0 + 1).to_csv(cfg.exp_dir() / "oof_views.csv", index=False)
    oof, test, how = blend.experiment_logits(cfg, "")
    assert list(oof.filter(like="view")) == list(test.filter(like="view")) == ["view0", "view1"]


def test_classical_cache_is_recomputed_when_the_ids_change(kaggle_dir, tmp_path, monkeypatch):
    cfg = load_config("exp0001", [f"data_dir={kaggle_dir}", f"output_dir={tmp_path}"])
    calls = []

    def fake_features(cfg, df):
        calls.append(len(df))
        return pd.DataFrame({"stat": np.arange(len(df), dtype=float)})

    monkeypatch.setattr("common.seti.competition.classical_features", fake_features)
    df = pd.DataFrame({"id": ["a", "b", "c"], "path": ["x", "y", "z"]})
    first = baseline.classical_features(cfg, df)
    assert baseline.classical_features(cfg, df).equals(first) and calls == [3]  # the cache, not a second pass
    baseline.classical_features(cfg, df.iloc[:2])
    assert calls == [3, 2]
    assert len(list((tmp_path / "classical").glob("*.csv"))) == 2  # under output_dir, not data_dir


def test_classical_cache_is_shared_by_folders_linking_the_same_files(kaggle_dir, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr("common.seti.competition.classical_features",
                        lambda cfg, df: calls.append(len(df)) or pd.DataFrame({"stat": np.zeros(len(df))}))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.npy").write_bytes(b"x")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.npy").symlink_to(tmp_path / "a" / "x.npy")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.npy").write_bytes(b"x")
    for folder in ("a", "b", "c"):
        cfg = load_config("exp0001", [f"data_dir={tmp_path / folder}", f"output_dir={tmp_path / 'out'}"])
        baseline.classical_features(cfg, pd.DataFrame({"id": ["x"], "path": [str(tmp_path / folder / "x.npy")]}))
    assert calls == [1, 1]  # b links a's file: a's statistics; c holds another file: computed again


@pytest.mark.parametrize("method", ["mean", "rank"])
def test_mean_and_rank_of_one_experiment_rank_as_its_submission(trained_run, synth_dir, tmp_path, method):
    settings = tiny_settings(synth_dir, trained_run, f"tta_average={method if method == 'rank' else 'prob'}")
    run(ROOT, PY, "evaluate.py", "--exp", "exp0001", "--tta", 2, *settings)
    out = run(ROOT, PY, "blend.py", "--exps", "exp0001", "--method", method, "--out", tmp_path / "sub.csv", *settings)
    assert f"{method} blend: CV AUC" in out.stdout
    own = pd.read_csv(trained_run / "exp0001" / "submission.csv")
    blended = pd.read_csv(tmp_path / "sub.csv")
    assert blended.id.tolist() == own.id.tolist()
    assert spearmanr(own.target, blended.target).statistic == pytest.approx(1.0)


def test_classical_blend_end_to_end(trained_run, synth_dir, tmp_path):
    settings = tiny_settings(synth_dir, trained_run)
    run(ROOT, PY, "evaluate.py", "--exp", "exp0001", *settings)
    out = run(ROOT, PY, "blend.py", "--exps", "exp0001", "--classical", "--out", tmp_path / "sub.csv", *settings)
    assert "| on_off_score |" in out.stdout and "| through_score |" in out.stdout
    record = json.loads((tmp_path / "sub_weights.json").read_text())
    assert len(record["weights"]) == 1 + 10 + 1  # the network, the 10 dedoppler statistics, the intercept
    assert list((trained_run / "classical").glob("seti-*.csv"))  # cached for the next blend


@pytest.mark.parametrize("method", ["mean", "rank"])
def test_mean_and_rank_turn_an_input_that_ranks_backwards(method):
    rng = np.random.default_rng(2)
    target = np.arange(400) % 2
    train = pd.DataFrame({"target": target, "fold": np.arange(400) // 2 % 4, "net": target + rng.standard_normal(400),
                          "off_peak": -target + rng.standard_normal(400)})  # higher for noise, as an OFF-scan peak
    model = Blend(method, ["net", "off_peak"])
    assert roc_auc_score(target, cross_validate(model, train)) > roc_auc_score(target, train.net)
    assert model.fit(train).weights() == {"net": 0.5, "off_peak": -0.5}
