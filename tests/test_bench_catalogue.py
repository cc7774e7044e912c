"""bench/catalogue.py: experiments at one budget, twins at that budget not trained twice, a resumable table."""
import pytest

from bench import catalogue
from conftest import write_kaggle_layout


def test_expand_ranges():
    assert catalogue.expand(["exp0001-exp0003", "exp0101"]) == ["exp0001", "exp0002", "exp0003", "exp0101"]


def test_an_empty_range_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit):
        catalogue.main(["--exps", "exp0003-exp0001"])
    assert "names no experiment" in capsys.readouterr().err


def test_catalogue_trains_each_distinct_config_once_and_continues(tmp_path, monkeypatch):
    data = write_kaggle_layout(tmp_path / "data", n_train=16, n_test=2)
    budget = [f"data_dir={data}", f"output_dir={tmp_path / 'out'}", "model_name=resnet18", "image_size=32",
              "epochs=1", "batch_size=4", "num_workers=0", "n_folds=2", "folds=0", "wandb=false"]
    # exp0007 (resize 512) and exp0010 (768) equal exp0005 once the budget sets image_size=32
    catalogue.main(["--exps", "exp0005", "exp0007", "exp0010", "--set", *budget, "--out", str(tmp_path / "cat")])
    text = (tmp_path / "cat.md").read_text()
    assert "| exp0005 | seti | exp0003 |" in text
    assert "| exp0007 | | | same config as exp0005 at this budget: not run |" in text
    assert "| exp0010 | | | same config as exp0005" in text
    assert "python -m bench.catalogue --exps exp0005 exp0007 exp0010 --set" in text
    assert (tmp_path / "cat.png").stat().st_size > 0

    calls = []
    monkeypatch.setattr(catalogue, "run", calls.append)
    catalogue.main(["--exps", "exp0005-exp0005", "--set", *budget, "--out", str(tmp_path / "cat")])
    assert calls == []  # exp0005 is in summary.csv: nothing is trained again
    assert "python -m bench.catalogue --exps exp0005-exp0005 --set" in (tmp_path / "cat.md").read_text()


def test_a_failing_experiment_gets_a_row_and_the_others_still_run(tmp_path, monkeypatch):
    data = write_kaggle_layout(tmp_path / "data", n_train=16, n_test=2)
    budget = [f"data_dir={data}", f"output_dir={tmp_path / 'out'}", "model_name=resnet18", "image_size=32",
              "epochs=1", "batch_size=4", "num_workers=0", "n_folds=2", "folds=0", "wandb=false"]
    real_run, calls = catalogue.run, []

    def run_failing_exp0002(args):
        calls.append(args[2])
        return args[2] != "exp0002" and real_run(args)

    monkeypatch.setattr(catalogue, "run", run_failing_exp0002)
    with pytest.raises(SystemExit) as stop:
        catalogue.main(["--exps", "exp0002", "exp0005", "--set", *budget, "--out", str(tmp_path / "cat")])
    assert stop.value.code == 2 and calls == ["exp0002", "exp0005"]
    text = (tmp_path / "cat.md").read_text()
    assert "| exp0002 | | | failed at this budget" in text and "| exp0005 | seti |" in text
