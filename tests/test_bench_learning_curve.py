"""bench.learning_curve: nested training subsets, one fold's model per size, resumable, one-line errors."""
import pandas as pd
import pytest

from bench import learning_curve
from common.seti import synth

SETTINGS = ["model_name=resnet18", "image_size=32", "epochs=1", "batch_size=4", "num_workers=0", "n_folds=2",
            "wandb=false", "tta=1"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A work folder whose synthetic set is made here, with half the cadences needles (the default's 10% leaves
    a 16-cadence size too few for 2 folds): a training pool of 32, a test split of 12."""
    work = tmp_path_factory.mktemp("learning_curve")
    synth.generate(work / "data", {"train": 32, "test": 12}, positive_fraction=0.5, workers=1)
    return work


def args(work, *sizes, extra=()):
    return ["--exp", "exp0001", "--sizes", *map(str, sizes), "--test", "12", "--work", str(work), "--n-boot", "50",
            "--set", *SETTINGS, *extra]


def test_trains_nested_sizes_once_and_writes_the_table_and_the_plot(work, tmp_path, capsys, monkeypatch):
    doc, png = tmp_path / "B.md", tmp_path / "lc.png"
    learning_curve.main([*args(work, 32, 16), "--write", "--doc", str(doc), "--png", str(png)])
    small, large = (pd.read_csv(work / f"size{n}" / "data" / "train_labels.csv", dtype={"id": str}) for n in (16, 32))
    assert len(small) == 16 and len(large) == 32 and small["id"].tolist() == large["id"].tolist()[:16]
    text = doc.read_text()
    assert "<!-- learning_curve_exp0001 start -->" in text and "](lc.png)" in text and png.stat().st_size > 0
    assert ("| size | train minutes | network | classical | blend | network - classical | blend - classical "
            "| blend - network |") in text
    rows = [line for line in text.splitlines() if line.startswith(("| 16 |", "| 32 |"))]
    assert len(rows) == 6  # the AUC row, then the network's and the blend's detection rows, per size
    assert (work / "size32" / "out" / "exp0001" / "fold0" / "best.pt").is_file()
    assert not (work / "size32" / "out" / "exp0001" / "fold1").exists()  # one fold's model per size
    caches = [pd.read_csv(f) for f in (work / "classical_features").glob("seti-*.csv")]
    assert sorted(map(len, caches)) == [8, 12, 16]  # each size's validation half, and the test split once

    def no_training(*_):
        raise AssertionError("a finished size was trained again")

    monkeypatch.setattr(learning_curve, "train", no_training)
    capsys.readouterr()
    learning_curve.main(args(work, 16, 32, 16))  # sorted, duplicates dropped
    out = capsys.readouterr().out
    assert "size 16: done earlier, not retrained" in out and "size 32: done earlier" in out


@pytest.mark.parametrize("sizes, extra, message", [
    ((0, 16), (), "--sizes must be positive"),
    ((16, 64), (), "size 64 is larger than the training pool"),
    ((16,), ("--set", "data_dir=x"), "sets data_dir, output_dir and folds itself"),
])
def test_bad_input_is_a_one_line_error(work, capsys, sizes, extra, message):
    with pytest.raises(SystemExit) as e:
        learning_curve.main(args(work, *sizes, extra=extra))
    err = capsys.readouterr().err
    assert e.value.code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (work / "size64").exists()


def test_bad_sizes_write_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit):
        learning_curve.main(args(tmp_path / "w", 0))
    assert not (tmp_path / "w").exists() and "--sizes must be positive" in capsys.readouterr().err
