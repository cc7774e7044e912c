"""common.report on a hand-made outputs folder: the Markdown rows, the PNG, the no-runs error."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from common.errors import UserError
from common.report import budget, write_report
from conftest import ROOT

RUNS = {"exp0001": ("base", 0.71), "exp0012": ("exp0007", 0.93)}


def fake_run(output_dir, exp, parent, separation, epochs=4, n=200, seed=0):
    """A finished run of `exp`: config.json, oof.csv and per-fold metrics.csv as main.py writes them."""
    rng = np.random.default_rng(seed)
    run = output_dir / exp
    run.mkdir(parents=True)
    target = (np.arange(n) % 5 == 0).astype(int)
    logit = separation * 4 * target + rng.standard_normal(n)
    pd.DataFrame({"id": [f"{i:015x}" for i in range(n)], "target": target, "fold": np.arange(n) % 2,
                  "pred": 1 / (1 + np.exp(-logit)), "logit": logit}).to_csv(run / "oof.csv", index=False)
    config = {"exp": exp, "parent": parent, **({"competition": "seti"} if exp != "exp0001" else {})}
    (run / "config.json").write_text(json.dumps(config))  # exp0001's predates the competition key
    for fold in (0, 1):
        (run / f"fold{fold}").mkdir()
        auc = separation - 0.3 * np.exp(-np.arange(epochs)) + 0.01 * fold
        pd.DataFrame({"epoch": range(epochs), "train_loss": 0.5, "valid_auc": auc, "lr": 1e-3}).to_csv(
            run / f"fold{fold}" / "metrics.csv", index=False)


@pytest.fixture
def outputs(tmp_path):
    out = tmp_path / "outputs"
    for seed, (exp, (parent, separation)) in enumerate(RUNS.items()):
        fake_run(out, exp, parent, separation, seed=seed)
    # exp0012 ran twice: the report keeps its latest row
    pd.DataFrame({"exp": ["exp0012", "exp0001", "exp0012"], "folds": ["0", "0 1", "0 1"],
                  "cv_auc": [0.5, 0.71234, 0.93456], "minutes": [1.0, 2.25, 3.5], "commit": "abc1234"}).to_csv(
        out / "summary.csv", index=False)
    return out


def test_report_lists_the_latest_run_of_each_experiment(outputs, tmp_path):
    md_path, png_path, markdown = write_report(outputs, tmp_path / "docs" / "report")
    assert md_path == tmp_path / "docs" / "report.md" and md_path.read_text() == markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| exp0")]
    assert rows == [
        "| exp0001 | seti | base | exp0001 = simple baseline: six scans stacked along time, EfficientNet-B0, BCE. "
        "| 0.7123 | 0 1 | 2.2 |",
        "| exp0012 | seti | exp0007 | exp0012 = exp0007 + input [aaa,bcd] | 0.9346 | 0 1 | 3.5 |",
    ]
    with Image.open(png_path) as png:
        assert png.format == "PNG" and png.width > 1000 and png.height > 500


def test_cli_prints_the_table(outputs, tmp_path):
    out = subprocess.run([sys.executable, "-m", "common.report", "--output-dir", outputs, "--out",
                          tmp_path / "r.md"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "| exp0012 | seti | exp0007 |" in out.stdout and (tmp_path / "r.md").is_file() and (tmp_path / "r.png").is_file()


def test_no_runs_is_a_one_line_error(tmp_path):
    with pytest.raises(UserError, match="no runs in .*train one first"):
        write_report(tmp_path / "outputs", tmp_path / "report")
    out = subprocess.run([sys.executable, "-m", "common.report", "--output-dir", tmp_path / "none", "--out",
                          tmp_path / "report"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "python main.py --exp" in out.stderr
    assert not (tmp_path / "report.md").exists()


def test_blends_are_drawn_and_tabled_beside_the_runs(outputs, tmp_path):
    blend_dir = outputs / "blend" / "exp0012+classical-logistic"
    blend_dir.mkdir(parents=True)
    oof = pd.read_csv(outputs / "exp0012" / "oof.csv")
    rng = np.random.default_rng(3)
    table = oof[["id", "target", "fold"]].assign(exp0012=oof.logit, on_off_score=oof.target + rng.standard_normal(len(oof)),
                                                 blend=oof.logit + 2 * oof.target)
    table.to_csv(blend_dir / "submission_oof.csv", index=False)
    (blend_dir / "submission_weights.json").write_text(json.dumps({"inputs": ["exp0012", "on_off_score"]}))
    _, png_path, markdown = write_report(outputs, tmp_path / "r")
    assert "| exp0012+classical-logistic | on_off_score |" in markdown and "| exp0012+classical-logistic | blend |" in markdown
    with Image.open(png_path) as png:  # black (the blend) and grey (the classical statistic) curves are drawn
        pixels = np.asarray(png.convert("RGB")).reshape(-1, 3)
    assert (pixels == 0).all(1).sum() > 500 and (np.abs(pixels.astype(int) - 128) < 3).all(1).sum() > 100


def test_one_folds_auc_says_so(outputs, tmp_path):
    config = json.loads((outputs / "exp0012" / "config.json").read_text())
    (outputs / "exp0012" / "config.json").write_text(json.dumps({**config, "n_folds": 4}))
    markdown = write_report(outputs, tmp_path / "r")[2]
    assert "0.9346 (valid AUC of fold 0 1 only)" in markdown  # 2 of its 4 folds
    assert "| 0.7123 | 0 1 |" in markdown  # exp0001's config predates n_folds: its row is left as it is


def test_cli_writes_under_the_output_dir_by_default(outputs):
    out = subprocess.run([sys.executable, "-m", "common.report", "--output-dir", outputs], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (outputs / "report.md").is_file() and (outputs / "report.png").is_file()


def test_budget_names_the_image_size_only_for_an_image_front_end(outputs):
    config = outputs / "exp0012" / "config.json"
    config.write_text(json.dumps({"model_name": "resnet18", "image_size": 128, "epochs": 8, "n_folds": 2}))
    assert budget(outputs, "exp0012") == "resnet18, 128 px, 8 epochs, 2 of 2 folds, 200 samples"
    config.write_text(json.dumps({"model_name": "g2net_cnn1d_t", "image_size": 512, "front_end": "wave",
                                  "epochs": 8, "n_folds": 2}))
    assert budget(outputs, "exp0012") == "g2net_cnn1d_t, 8 epochs, 2 of 2 folds, 200 samples"
