"""main.py end to end on tiny synthetic data: one vs two processes, resume, output safety."""
import signal
import subprocess
import sys
import time

import pandas as pd
from sklearn.metrics import roc_auc_score

from conftest import ROOT, run, tiny_settings

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


def test_two_processes_match_one(trained_run, synth_dir, tmp_path):
    run(ROOT, PY, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", 2, "--main_process_port",
        29517, "main.py", "--exp", "exp0001", *tiny_settings(synth_dir, tmp_path))
    one, two = oof_of(trained_run).set_index("id"), oof_of(tmp_path).set_index("id")
    assert sorted(two.index) == sorted(one.index)  # gather_for_metrics: each id once, none padded in
    cv1, cv2 = (roc_auc_score(d["target"], d["pred"]) for d in (one, two))
    assert abs(cv1 - cv2) < 0.1, (cv1, cv2)  # same global batches; only BatchNorm sees half-batches


def test_existing_run_is_never_silently_overwritten(trained_run, synth_dir):
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", *tiny_settings(synth_dir, trained_run), check=False)
    assert out.returncode == 2 and "already holds a run of exp0001: add --resume" in out.stderr
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--resume", *tiny_settings(synth_dir, trained_run, "lr=0.5"),
              check=False)
    assert out.returncode == 2 and "holds a run with other settings (lr)" in out.stderr
    out = run(ROOT, PY, "main.py", "--exp", "exp0001", "--resume", *tiny_settings(synth_dir, trained_run))
    assert out.stdout.count("finished earlier, skipped") == 2


def test_interrupt_then_resume_ends_with_all_epochs(synth_dir, tmp_path):
    args = [PY, "main.py", "--exp", "exp0001", *tiny_settings(synth_dir, tmp_path, "epochs=3")]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first_epoch = tmp_path / "exp0001" / "fold0" / "state"
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
