"""bench/: both benchmarks run on tiny inputs and write their tables into a given doc, keeping old text."""
import re

import numpy as np
import pandas as pd
import pytest

from bench import report, sensitivity, throughput
from common.seti import synth
from common.seti.data import read_train
from common.config import config_json, load_config
from common.models import save_checkpoint


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_report_appends_rows_and_replaces_blocks(tmp_path):
    doc = tmp_path / "B.md"
    doc.write_text("# Benchmarks\n\nhand-written intro\n")
    report.append_row(doc, "t", ["a", "b"], [1, 2])
    report.append_row(doc, "t", ["a", "b"], [3, 4])
    report.replace_block(doc, "s", "first")
    report.replace_block(doc, "s", "second")
    text = doc.read_text()
    assert "hand-written intro" in text
    assert text.count("| a | b |") == 1 and "| 1 | 2 |\n| 3 | 4 |\n<!-- t rows -->" in text
    assert "second" in text and "first" not in text


def test_throughput_runs_and_appends_a_row(tmp_path, capsys):
    doc = tmp_path / "B.md"
    throughput.main(["--model", "resnet18", "--image-size", "32", "--batch-size", "2", "--num-workers", "0",
                     "--steps", "1", "--warmup", "1", "--synth-count", "20", "--write", "--doc", str(doc)])
    out = capsys.readouterr().out
    assert "| training, images/s |" in out and "synthetic generation" in out
    rows = [ln for ln in doc.read_text().splitlines() if ln.startswith("| 20")]
    assert len(rows) == 1 and "resnet18" in rows[0]


def test_throughput_runs_for_g2net_from_a_pack(tmp_path, capsys):
    doc = tmp_path / "B.md"
    throughput.main(["--exp", "exp0101", "--model", "resnet18", "--image-size", "32", "--batch-size", "2",
                     "--num-workers", "0", "--steps", "1", "--warmup", "1", "--synth-count", "20", "--pack",
                     "--set", "channels_last=true", "--write", "--doc", str(doc)])
    out = capsys.readouterr().out
    assert "exp0101 (g2net, front_end cqt)" in out and "data from the pack" in out and "channels_last True" in out
    assert "| inference 2x TTA, samples/s |" in out and "| pack build, samples/s (0 workers) |" in out
    rows = [ln for ln in doc.read_text().splitlines() if ln.startswith("| 20")]
    assert len(rows) == 1 and "exp0101" in rows[0] and "| 2 |" in rows[0]


@pytest.fixture
def trained(tmp_path):
    """A tiny synthetic test split and an untrained resnet18 checkpoint standing in for fold 0."""
    data = tmp_path / "data"
    synth.main(["--out", str(data), "--train", "0", "--test", "12", "--old", "0", "--positive-fraction", "0.5",
                "--workers", "1"])
    overrides = ["model_name=resnet18", "image_size=32", "batch_size=4", "num_workers=0", "folds=0",
                 f"output_dir={tmp_path / 'out'}", f"data_dir={data}"]
    cfg = load_config("exp0001", overrides)
    (cfg.exp_dir() / "fold0").mkdir(parents=True)
    save_checkpoint(cfg.exp_dir() / "fold0" / "best.pt", throughput.make_model(cfg), cfg)
    return overrides


def test_sensitivity_runs_and_writes_its_section(tmp_path, trained, capsys):
    doc, png = tmp_path / "B.md", tmp_path / "s.png"
    sensitivity.main(["--exp", "exp0001", "--set", *trained, "--tta", "2", "--max-drift", "4", "--write",
                      "--doc", str(doc), "--png", str(png)])
    out = capsys.readouterr().out
    assert "false-alarm rate the network detects half of the needles" in out
    assert "95% paired bootstrap interval" in out
    text = doc.read_text()
    assert "<!-- sensitivity start -->" in text and "| kind | n |" in text and "](s.png)" in text
    assert png.stat().st_size > 0


def test_sensitivity_stack_scores_blend_pys_blend_beside_the_network(tmp_path, capsys):
    """--stack: an untrained network's logit (noise, in oof.csv and on test) beside the dedoppler statistics;
    blend.py's logistic regression, fitted out of fold on the training cadences, learns to read the statistics."""
    data = tmp_path / "data"
    synth.main(["--out", str(data), "--train", "40", "--test", "20", "--old", "0", "--positive-fraction", "0.5",
                "--workers", "1"])
    overrides = ["model_name=resnet18", "image_size=32", "batch_size=8", "num_workers=0", "n_folds=2",
                 f"output_dir={tmp_path / 'out'}", f"data_dir={data}"]
    cfg = load_config("exp0001", overrides)
    for fold in (0, 1):
        (cfg.exp_dir() / f"fold{fold}").mkdir(parents=True)
        save_checkpoint(cfg.exp_dir() / f"fold{fold}" / "best.pt", throughput.make_model(cfg), cfg)
    (cfg.exp_dir() / "config.json").write_text(config_json(cfg))
    with pytest.raises(SystemExit):
        sensitivity.main(["--exp", "exp0001", "--set", *overrides, "--tta", "1", "--stack"])
    assert "oof.csv not found; write it with `python main.py --exp exp0001" in capsys.readouterr().err
    train = read_train(data, 2, cfg.seed)
    train.assign(logit=np.random.default_rng(0).standard_normal(len(train)))[["id", "target", "fold", "logit"]].to_csv(
        cfg.exp_dir() / "oof.csv", index=False)
    sensitivity.main(["--exp", "exp0001", "--set", *overrides, "--tta", "1", "--stack", "--png", str(tmp_path / "s.png")])
    out = capsys.readouterr().out
    assert "blend.py's logistic blend" in out and "blend - classical" in out and "the blend detects half" in out
    blended, classical = map(float, re.search(r"network [0-9.]+, classical ([0-9.]+), blend ([0-9.]+)", out).groups()[::-1])
    assert blended > 0.8 and classical > 0.8, out  # an untrained network alone ranks at chance


def test_g2net_sensitivity_runs_and_writes_its_block(tmp_path, capsys):
    """bench.g2net_sensitivity end to end: a tiny synthetic G2Net set, an untrained resnet18 checkpoint built
    through the competition interface for fold 0, a 6-template matched filter; block and PNG in tmp paths."""
    from bench import g2net_sensitivity
    from common.competition import competition
    from common.g2net import synth as g2synth
    from common.models import build_model

    data = tmp_path / "g2net"
    g2synth.generate(data, {"train": 4, "test": 8}, seed=3, snr_min=8, snr_max=20)
    overrides = ["model_name=resnet18", "image_size=32", "batch_size=4", "num_workers=0", "n_folds=2", "folds=0",
                 f"output_dir={tmp_path / 'out'}", f"data_dir={data}"]
    cfg = load_config("exp0101", overrides)
    comp = competition(cfg)
    (cfg.exp_dir() / "fold0").mkdir(parents=True)
    save_checkpoint(cfg.exp_dir() / "fold0" / "best.pt",
                    build_model(cfg, comp.make_front_end(cfg, fit=True), comp.in_channels(cfg)), cfg)
    doc, png = tmp_path / "B.md", tmp_path / "g.png"
    doc.write_text("# Benchmarks\n\nkept\n")
    g2net_sensitivity.main(["--exp", "exp0101", "--set", *overrides, "--tta", "1", "--bank-mchirp", "3",
                            "--write", "--doc", str(doc), "--png", str(png)])
    out = capsys.readouterr().out
    assert "Overall AUC: network" in out and "the matched filter detects half of the signals" in out
    assert "exp0101 (resnet18, cqt front end, 32 px, " in out  # a wave front end names no image size
    text = doc.read_text()
    assert "kept" in text and "<!-- g2net_sensitivity start -->" in text and "](g.png)" in text
    assert "| snr | signals | network AUC | matched filter AUC | excess power AUC |" in text
    assert "| mchirp | signals |" in text and png.stat().st_size > 0
    meta_csv = data / "synth_meta.csv"
    meta = meta_csv.read_text()
    meta_csv.write_text(meta.replace(",test,0,", ",test,1,"))  # no noise-only test sample left
    with pytest.raises(SystemExit):
        g2net_sensitivity.main(["--exp", "exp0101", "--set", *overrides])
    assert "needs signals and noise-only samples" in capsys.readouterr().err
    meta_csv.unlink()
    with pytest.raises(SystemExit):
        g2net_sensitivity.main(["--exp", "exp0101", "--set", *overrides])
    assert "synth_meta.csv not found" in capsys.readouterr().err


def test_auc_difference_interval_covers_zero_for_equal_methods_and_not_for_a_better_one():
    rng = np.random.default_rng(0)
    target = np.r_[np.ones(50), np.zeros(450)]
    score = target * 1.0 + rng.normal(size=500)
    df = pd.DataFrame({"target": target, "network": score, "classical": score})
    diff, low, high = sensitivity.auc_difference(df, n_boot=200)
    assert diff == 0 and low == 0 and high == 0  # same scores on every resample
    df["classical"] = target * 1.0 + rng.normal(size=500) * 3  # a much noisier statistic
    diff, low, high = sensitivity.auc_difference(df, n_boot=200)
    assert 0 < low < diff < high
