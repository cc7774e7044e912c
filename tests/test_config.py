import json
import subprocess
import sys

import pytest

from common.config import Config, apply_overrides, load_config
from common.errors import UserError
from common.seti.config import Config as SetiConfig


def test_exp0001_is_the_base_config():
    cfg = load_config("exp0001")
    assert cfg.exp == "exp0001" and cfg.parent == "base"
    assert {k: v for k, v in cfg.to_dict().items() if k not in ("exp", "parent")} == \
        {k: v for k, v in SetiConfig().to_dict().items() if k not in ("exp", "parent")}


def test_overrides_are_cast_to_the_key_type():
    cfg = apply_overrides(Config(), ["epochs=3", "lr=0.01", "pretrained=true", "folds=0,2", "model_name=resnet18",
                                     "wandb=0"])
    assert (cfg.epochs, cfg.lr, cfg.pretrained, cfg.folds, cfg.model_name, cfg.wandb) == \
        (3, 0.01, True, (0, 2), "resnet18", False)
    assert cfg.fold_ids() == [0, 2]
    assert Config(n_folds=5).fold_ids() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("override, message", [
    ("epoch=3", "unknown config key; did you mean epochs"),
    ("epochs=three", "cannot read 'three' as int"),
    ("pretrained=maybe", "as bool"),
    ("epochs", "expected key=value"),
])
def test_bad_overrides(override, message):
    with pytest.raises(UserError, match=message):
        apply_overrides(Config(), [override])


def test_unknown_experiment_lists_close_matches():
    with pytest.raises(UserError, match="did you mean exp0001"):
        load_config("exp001")


def test_invalid_choice_is_rejected():
    with pytest.raises(UserError, match="layout='abc' is not one of"):
        load_config("exp0001", ["layout=abc"])


def run_main(root, *args):
    return subprocess.run([sys.executable, "main.py", *args], cwd=root, capture_output=True, text=True)


def test_print_config_with_both_set_styles(root):
    a = run_main(root, "--exp", "exp0001", "--print-config", "--set", "epochs=2", "lr=0.5")
    b = run_main(root, "--exp", "exp0001", "--print-config", "--set", "epochs=2", "--set", "lr=0.5")
    assert a.returncode == 0, a.stderr
    assert json.loads(a.stdout) == json.loads(b.stdout)
    assert json.loads(a.stdout)["epochs"] == 2 and json.loads(a.stdout)["lr"] == 0.5


def test_cli_errors_are_one_line(root):
    out = run_main(root, "--exp", "exp0001", "--print-config", "--set", "epoch=2")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --set epoch: unknown config key; did you mean epochs")
