import dataclasses
import json
import subprocess
import sys
import typing

import pytest

from common.config import Config, apply_overrides, load_config
from common.errors import UserError
from common.g2net.config import Config as G2netConfig
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


@pytest.mark.parametrize("exp, override", [
    *(("exp0001", o) for o in (
        "epochs=-1", "epochs=0", "n_folds=1", "batch_size=0", "grad_accum=0", "num_workers=-1", "seed=-1",
        "lr=0", "lr=-0.001", "lr=nan", "weight_decay=-0.1", "warmup_epochs=-1", "clip_grad=-1", "pos_weight=0",
        "head_only_epochs=-1", "ema_decay=1.5", "swa_start=1", "swa_start=-0.5", "swa_lr=0", "drop_rate=1",
        "drop_path_rate=-0.1", "stem_stride=0", "nan_policy=ignore", "tta=3", "image_size=-1", "flip_freq=1.5",
        "mixup=-0.1", "cutmix=2", "mixup_alpha=0", "mix_off_frac=1.5", "line_snr_min=-1", "line_snr_max=-1",
        "model_name=resnet_18")),
    *(("exp0101", o) for o in (
        "max_shift=-1", "max_shift=4096", "swap_ligo=1.5", "flip_sign=-1", "time_shift=2", "bandpass_low=-5",
        "bandpass_high=2000", "image_size=-64", "tta=8", "front_end=mel", "epochs=-1", "model_name=g2net_cnn2d")),
])
def test_out_of_range_values_are_one_line_errors_naming_the_key(exp, override):
    key = override.partition("=")[0]
    with pytest.raises(UserError) as e:
        load_config(exp, [override])
    assert str(e.value).startswith(f"{key}=") and "\n" not in str(e.value), str(e.value)


@pytest.mark.parametrize("base", [SetiConfig, G2netConfig])
def test_every_numeric_key_has_a_rule(base):
    """A new int or float key needs its range in RULES (the folds are checked against n_folds)."""
    kinds = typing.get_type_hints(base)
    numeric = {f.name for f in dataclasses.fields(base) if kinds[f.name] in (int, float)}
    assert numeric - set(base.RULES) == set()
    assert set(base.RULES) <= {f.name for f in dataclasses.fields(base)}  # no rule for a key that is gone
    base().validate()  # the defaults pass


def test_rules_are_not_a_key():
    with pytest.raises(UserError, match="--set RULES: unknown config key"):
        apply_overrides(SetiConfig(), ["RULES=1"])
