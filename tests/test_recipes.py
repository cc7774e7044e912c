"""The multi-stage recipes: every stage's settings resolve, QUICK=1 seti_pretrain_old.sh and g2net_pretrain_pseudo.sh
run end to end, and QUICK=1 data never lands in a real-data folder."""
import os
import shlex
import sys

import pandas as pd
import pytest

from common.config import load_config
from conftest import ROOT, run

RECIPES = ["seti_pretrain_old.sh", "seti_head_warmup.sh", "seti_scan_shuffle.sh", "g2net_pretrain_pseudo.sh"]


def recipe_env(tmp_path, **extra) -> dict:
    """The environment of a recipe run with data and outputs in tmp_path; QUICK only through extra."""
    env = {k: v for k, v in os.environ.items() if k not in ("QUICK", "LAUNCH", "SET")}
    return {**env, "DATA": str(tmp_path / "input"), "OUTPUTS": str(tmp_path / "outputs"),
            "PYTHON": sys.executable, **extra}


def printed(recipe, tmp_path, **extra) -> list[list[str]]:
    """Every command line the recipe would run, printed instead (LAUNCH=echo for the stages, PYTHON=echo
    for the helpers: no data is generated)."""
    out = run(ROOT, "bash", recipe, env=recipe_env(tmp_path, LAUNCH="echo", PYTHON="echo", **extra))
    return [shlex.split(line) for line in out.stdout.splitlines() if line.strip()]


def stages(recipe, tmp_path, **extra) -> list[list[str]]:
    """The recipe's main.py/evaluate.py command lines."""
    return [args for args in printed(recipe, tmp_path, **extra) if args[0] in ("main.py", "evaluate.py")]


def option(args, name: str) -> str:
    return args[args.index(name) + 1]


def set_values(args) -> list[str]:
    """The --set values (each recipe passes them last)."""
    return args[args.index("--set") + 1:]


def settings(args) -> dict[str, str]:
    return dict(v.split("=", 1) for v in set_values(args))


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_stage_resolves(recipe, tmp_path):
    """Each training stage's --set values are valid config keys, and evaluate.py gets the settings of the
    training stage before it (the checkpoint checks need the same model keys) and its views (no --tta: QUICK's
    CQT model has fewer views than the 1D CNN)."""
    commands = stages(recipe, tmp_path, SET="epochs=3")
    assert [c[0] for c in commands][-2:] == ["main.py", "evaluate.py"]
    for args in commands:
        assert set_values(args)[-1] == "epochs=3"  # SET comes last, so it wins
        if args[0] == "main.py":
            load_config(option(args, "--exp"), set_values(args))  # what main.py resolves
            trained = args
        else:
            assert option(args, "--exp") == option(trained, "--exp")
            assert set_values(args) == set_values(trained)
            assert "--tta" not in args


def test_seti_pretrain_old_pretrains_on_old_data_then_fine_tunes_from_its_checkpoint(tmp_path):
    pretrain, finetune, _ = stages("seti_pretrain_old.sh", tmp_path)
    old, new = settings(pretrain), settings(finetune)
    assert (old["data_dir"], old["n_folds"], old["folds"]) == (str(tmp_path / "input" / "old"), "5", "0")
    assert new["data_dir"] == str(tmp_path / "input") and "folds" not in new
    assert new["init_from"] == f"{old['output_dir']}/exp0012/fold0/best.pt"
    assert new["output_dir"] != old["output_dir"]
    assert "--resume" in pretrain and "--resume" in finetune


def test_quick_seti_pretrain_old_writes_a_valid_submission(tmp_path):
    out = run(ROOT, "bash", "seti_pretrain_old.sh", env=recipe_env(tmp_path, QUICK="1", LAUNCH=sys.executable), timeout=900)
    submission = tmp_path / "outputs" / "seti_pretrain_old" / "submission.csv"
    assert str(submission) in out.stdout
    sub = pd.read_csv(submission, dtype={"id": str})
    sample = pd.read_csv(tmp_path / "input" / "sample_submission.csv", dtype={"id": str})
    assert sub["id"].tolist() == sample["id"].tolist()
    assert sub["target"].between(0, 1).all()
    assert (tmp_path / "outputs" / "seti_pretrain_old_pretrain" / "exp0012" / "fold0" / "best.pt").is_file()
    oof = pd.read_csv(tmp_path / "outputs" / "seti_pretrain_old" / "exp0012" / "oof.csv")
    assert sorted(oof["fold"].unique()) == [0, 1, 2, 3]


def test_g2net_pretrain_pseudo_pretrains_on_synthetic_data_then_fine_tunes_twice(tmp_path):
    commands = printed("g2net_pretrain_pseudo.sh", tmp_path)
    synth = next(c for c in commands if "common.g2net.synth" in c)
    pretrain, finetune, first_sub, pseudo, final_sub = stages("g2net_pretrain_pseudo.sh", tmp_path)
    data = str(tmp_path / "input")
    assert option(synth, "--out") == f"{data}/pretrain" and option(synth, "--test") == "0"
    old, first, second = settings(pretrain), settings(finetune), settings(pseudo)
    assert (old["data_dir"], old["n_folds"], old["folds"]) == (f"{data}/pretrain", "10", "0")
    assert first["data_dir"] == second["data_dir"] == data and "folds" not in first
    # both fine-tunes start from the pretrained checkpoint, the second with the first's test predictions
    assert first["init_from"] == second["init_from"] == f"{old['output_dir']}/exp0116/fold0/best.pt"
    assert second["pseudo_labels"] == option(first_sub, "--out") == f"{first['output_dir']}/submission.csv"
    assert option(pseudo, "--exp") == "exp0117" and load_config("exp0117").parent == "exp0116"
    assert len({old["output_dir"], first["output_dir"], second["output_dir"]}) == 3
    assert option(final_sub, "--out") == f"{second['output_dir']}/submission.csv"
    assert all("--resume" in c for c in (pretrain, finetune, pseudo))


def test_g2net_pretrain_pseudo_keeps_a_finished_pretraining_set(tmp_path):
    (tmp_path / "input" / "pretrain").mkdir(parents=True)
    (tmp_path / "input" / "pretrain" / "sample_submission.csv").write_text("id,target\n")
    assert not any("common.g2net.synth" in c for c in printed("g2net_pretrain_pseudo.sh", tmp_path))


def test_quick_g2net_pretrain_pseudo_writes_a_valid_submission(tmp_path):
    out = run(ROOT, "bash", "g2net_pretrain_pseudo.sh", env=recipe_env(tmp_path, QUICK="1", LAUNCH=sys.executable), timeout=900)
    submission = tmp_path / "outputs" / "g2net_pretrain_pseudo" / "submission.csv"
    assert str(submission) in out.stdout
    sample = pd.read_csv(tmp_path / "input" / "sample_submission.csv", dtype={"id": str})
    for sub in (tmp_path / "outputs" / "g2net_pretrain_pseudo_finetune" / "submission.csv", submission):
        sub = pd.read_csv(sub, dtype={"id": str})
        assert sub["id"].tolist() == sample["id"].tolist()
        assert sub["target"].between(0, 1).all()
    assert (tmp_path / "outputs" / "g2net_pretrain_pseudo_pretrain" / "exp0116" / "fold0" / "best.pt").is_file()
    config = (tmp_path / "outputs" / "g2net_pretrain_pseudo" / "exp0117" / "config.json").read_text()
    assert '"model_name": "resnet18"' in config  # QUICK's model: faster on a CPU than the 1D CNN
    oof = pd.read_csv(tmp_path / "outputs" / "g2net_pretrain_pseudo" / "exp0117" / "oof.csv")
    assert sorted(oof["fold"].unique()) == [0, 1, 2, 3]


@pytest.mark.parametrize("recipe", sorted(p.name for p in ROOT.glob("*.sh")))
def test_quick_data_has_a_folder_of_its_own(recipe, tmp_path):
    """QUICK=1 without DATA generates and reads input/<competition>_quick, never the real data's input/<competition>."""
    env = {k: v for k, v in recipe_env(tmp_path, QUICK="1", LAUNCH="echo", PYTHON="echo").items() if k != "DATA"}
    lines = [shlex.split(line) for line in run(ROOT, "bash", recipe, env=env).stdout.splitlines() if line.strip()]
    competition = load_config(option(next(a for a in lines if a[0] == "main.py"), "--exp")).competition
    synth = next(a for a in lines if f"common.{competition}.synth" in a)
    assert option(synth, "--out") == f"input/{competition}_quick"
    for args in lines:
        if args[0] in ("main.py", "evaluate.py"):
            assert settings(args)["data_dir"].startswith(f"input/{competition}_quick")


@pytest.mark.parametrize("recipe, exp", [("seti_cpu.sh", "exp0025"), ("g2net_cpu.sh", "exp0116")])
def test_cpu_recipes_train_evaluate_and_blend_with_one_set_of_settings(recipe, exp, tmp_path):
    commands = [c for c in printed(recipe, tmp_path, SET="epochs=3") if c[0] in ("main.py", "evaluate.py", "blend.py")]
    assert [(c[0], "--oof" in c) for c in commands] == [("main.py", False), ("evaluate.py", True),
                                                        ("evaluate.py", False), ("blend.py", False)]
    assert option(commands[0], "--exp") == option(commands[1], "--exp") == exp
    assert option(commands[-1], "--exps") == exp and "--classical" in commands[-1]
    assert len({tuple(set_values(c)) for c in commands}) == 1  # every stage sees the training settings
    load_config(exp, set_values(commands[0]))


def test_quick_seti_cpu_recipe_writes_the_blended_submission(tmp_path):
    out = run(ROOT, "bash", "seti_cpu.sh", env=recipe_env(tmp_path, QUICK="1", LAUNCH=sys.executable), timeout=900)
    assert "| blend |" in out.stdout and "| on_off_score |" in out.stdout
    sub = pd.read_csv(tmp_path / "outputs" / "seti_cpu" / "blend" / "submission.csv", dtype={"id": str})
    sample = pd.read_csv(tmp_path / "input" / "sample_submission.csv", dtype={"id": str})
    assert sub.id.tolist() == sample.id.tolist() and sub.target.between(0, 1).all()
