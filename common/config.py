"""The base experiment config, experiment loading and `--set key=value` overrides.

An experiment is a file `exp/expNNNN.py` defining `class Config(Parent)` that overrides only the
defaults that differ from its parent (an earlier experiment or a competition's base config,
`common.seti.config.Config` or `common.g2net.config.Config`); the first line of its docstring reads like the experiment
log ("exp0012 = exp0007 + input [aaa,bcd]"). The experiment's name comes from its file.
"""
import dataclasses
import difflib
import importlib
import json
import math
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from common.errors import UserError

EXP_DIR = Path(__file__).resolve().parent.parent / "exp"


@dataclass(frozen=True)
class Range:
    """The values a numeric key may take: low <= value <= high (high optional), either bound strict."""

    low: float
    high: float = math.inf
    strict_low: bool = False  # low < value
    strict_high: bool = False  # value < high

    def problem(self, key: str, value) -> str | None:
        """None when value is in range, else the one-line complaint ("epochs=-1: need epochs >= 1")."""
        above = value > self.low if self.strict_low else value >= self.low
        below = value < self.high if self.strict_high else value <= self.high
        if above and below:  # both False for NaN
            return None
        if self.high == math.inf:
            return f"{key}={value!r}: need {key} {'>' if self.strict_low else '>='} {self.low}"
        return (f"{key}={value!r}: need {self.low} {'<' if self.strict_low else '<='} {key} "
                f"{'<' if self.strict_high else '<='} {self.high}")


COUNT = Range(1)  # a positive integer
NON_NEGATIVE = Range(0)
POSITIVE = Range(0, strict_low=True)
PROBABILITY = Range(0, 1)
FRACTION = Range(0, 1, strict_high=True)  # a share of something that must leave a part over


@dataclass
class Config:
    """The engine's keys, grouped by concern. A competition's base config (`common/<competition>/config.py`)
    adds its own keys; every experiment inherits from one of those."""

    competition: str = ""  # the package under common/ that reads, transforms and augments the data

    # data
    data_dir: str = "input"  # the competition's Kaggle layout
    output_dir: str = "outputs"  # runs go to <output_dir>/<exp>/
    nan_policy: str = "warn"  # warn: NaN/Inf -> 0 with one warning | error
    n_folds: int = 4
    folds: tuple[int, ...] = ()  # folds to train; empty = all n_folds
    seed: int = 42
    num_workers: int = 4
    packed: bool = True  # read the pack (python -m common.pack) when there is one; false reads the files
    pack_dir: str = ""  # where packs are written and read; empty: <data_dir>/packed (a read-only data_dir: elsewhere)

    # model
    model_name: str = "tf_efficientnet_b0"  # any timm model
    pretrained: bool = False  # download ImageNet weights through timm (needs internet)
    pretrained_path: str = ""  # local weights file for the backbone (timm or torchvision state_dict)
    init_from: str = ""  # start from a trained checkpoint: a .pt file or an experiment name (two-stage recipes)
    drop_rate: float = 0.0
    drop_path_rate: float = 0.0
    stem_stride: int = 2  # 1 keeps full resolution in the first conv (exp0021)
    global_pool: str = "avg"  # the backbone's pooling before its head (timm): avg | max | avgmax | catavgmax
    channels_last: bool = False  # backbone and its input in channels_last memory format (4D inputs only)
    compile: bool = False  # torch.compile the backbone (nn.Module.compile: checkpoints keep their keys)

    # optimisation
    epochs: int = 20
    batch_size: int = 32  # global batch per optimiser step, split across processes
    optimizer: str = "adamw"  # any timm optimizer name: adamw, radam, sgd (Nesterov momentum), lamb, ...
    lr: float = 1e-3
    weight_decay: float = 1e-2
    warmup_epochs: float = 1.0
    grad_accum: int = 1
    clip_grad: float = 1.0  # max gradient norm; 0 turns clipping off
    mixed_precision: str = "fp16"  # no | fp16 | bf16; falls back to no on a CPU for fp16
    loss: str = "bce"  # bce | roc_auc | libauc
    pos_weight: float = 1.0  # bce: weight of the positive term (class weighting with sampler=shuffle, e.g. 4)
    # shuffle: every sample once per epoch | balanced: class-balanced WeightedRandomSampler (seed 001). On SETI's
    # 10% needles, balanced oversampling memorised the few positives (docs/seti_cpu_recipe.md: 0.829 -> 0.871)
    sampler: str = "shuffle"
    head_only_epochs: int = 0  # train only the classifier head for the first N epochs
    # a model with a side head (SETI dedoppler_peaks): train its logit and the backbone's each against the
    # target (their sum predicts), not only the sum, in which the backbone fits the training set alone
    separate_losses: bool = False
    ema: bool = False  # evaluate and save a timm ModelEmaV3 copy
    ema_decay: float = 0.999
    swa: bool = False  # stochastic weight averaging (torch.optim.swa_utils)
    swa_start: float = 0.75  # fraction of epochs after which SWA averages weights
    swa_lr: float = 1e-4

    # pseudo labels and evaluation
    pseudo_labels: str = ""  # submission.csv (or experiment name) whose test predictions become soft labels
    tta: int = 1  # test-time views (the competition says which counts it has)
    tta_average: str = "prob"  # how views and folds are averaged: prob | logit | rank
    temperature_scaling: bool = False  # fit a temperature on OOF logits and apply it to the submission

    # logging
    wandb: bool = True  # offline unless logged in
    wandb_project: str = "signal-search"

    # set by load_config, not by experiments
    exp: str = ""
    parent: str = ""

    # every key with a range or a set of choices: key -> Range, or a tuple of the allowed values (competitions
    # extend it with their keys); keys not listed are free-form (paths, names, switches). Checked by validate.
    RULES: ClassVar[dict] = dict(
        nan_policy=("warn", "error"), n_folds=Range(2), seed=Range(0, 2**31 - 1), num_workers=NON_NEGATIVE,
        drop_rate=FRACTION, drop_path_rate=FRACTION, stem_stride=COUNT,
        global_pool=("avg", "max", "avgmax", "catavgmax"),
        epochs=COUNT, batch_size=COUNT, lr=POSITIVE, weight_decay=NON_NEGATIVE, warmup_epochs=NON_NEGATIVE,
        grad_accum=COUNT, clip_grad=NON_NEGATIVE, mixed_precision=("no", "fp16", "bf16"),
        loss=("bce", "roc_auc", "libauc"), pos_weight=POSITIVE, sampler=("balanced", "shuffle"),
        head_only_epochs=NON_NEGATIVE, ema_decay=PROBABILITY, swa_start=FRACTION, swa_lr=POSITIVE,
        tta=COUNT, tta_average=("prob", "logit", "rank"),
    )

    def validate(self) -> None:
        """Refuse values no run could use (`RULES`, the optimizer, the model, the folds), before anything is written;
        competitions extend it for checks across their own keys."""
        from timm.optim import list_optimizers

        from common.models import check_model_name

        for key, rule in self.RULES.items():
            value = getattr(self, key)
            if isinstance(rule, Range):
                if problem := rule.problem(key, value):
                    raise UserError(problem)
            elif value not in rule:
                raise UserError(f"{key}={value!r} is not one of {', '.join(map(str, rule))}")
        if self.optimizer.lower() not in list_optimizers():
            close = difflib.get_close_matches(self.optimizer.lower(), list_optimizers(), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}?" if close else "see timm.optim.list_optimizers()"
            raise UserError(f"optimizer={self.optimizer!r} is not a timm optimizer; {hint}")
        check_model_name(self)
        bad = [f for f in self.fold_ids() if not 0 <= f < self.n_folds]
        if bad:
            raise UserError(f"folds {bad} out of range for n_folds={self.n_folds}")

    def fold_ids(self) -> list[int]:
        """The folds this run trains: `folds`, or all `n_folds` when empty."""
        return list(self.folds) if self.folds else list(range(self.n_folds))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def exp_dir(self) -> Path:
        return Path(self.output_dir) / self.exp


def list_experiments() -> list[str]:
    return sorted(p.stem for p in EXP_DIR.glob("exp[0-9]*.py"))


def experiment_class(name: str) -> type:
    """The Config class of experiment `name` (a file in exp/)."""
    if not (EXP_DIR / f"{name}.py").is_file():
        number = re.fullmatch(r"exp0*(\d+)", name)
        padded = [f"exp{int(number[1]):04d}"] if number else []
        close = [e for e in padded if e in list_experiments()] or difflib.get_close_matches(
            name, list_experiments(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; see {EXP_DIR}"
        recipe = f" ({name}.sh is a recipe: bash {name}.sh)" if (EXP_DIR.parent / f"{name}.sh").is_file() else ""
        raise UserError(f"no experiment {name!r} (exp/{name}.py does not exist){hint}{recipe}")
    return importlib.import_module(f"exp.{name}").Config


def parent_name(cls: type) -> str:
    """The experiment `cls` derives from, or "base" for a competition's base config."""
    module = cls.__mro__[1].__module__
    return module.rsplit(".", 1)[-1] if module.startswith("exp.") else "base"


def _cast(key: str, value: str, kind):
    origin = typing.get_origin(kind)
    try:
        if kind is bool:
            low = value.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if origin is tuple:
            return tuple(int(v) for v in value.replace(" ", "").split(",") if v != "")
        return kind(value)
    except ValueError:
        name = "comma-separated ints" if origin is tuple else kind.__name__
        raise UserError(f"--set {key}={value}: cannot read {value!r} as {name}") from None


def apply_overrides(cfg: Config, overrides: list[str]) -> Config:
    """Apply `key=value` strings, each cast to the key's type; unknown keys list close matches."""
    kinds = typing.get_type_hints(type(cfg))
    hints = {f.name: kinds[f.name] for f in dataclasses.fields(cfg) if f.name not in ("exp", "parent", "competition")}
    changes = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"--set {item!r}: expected key=value")
        if key not in hints:
            close = difflib.get_close_matches(key, list(hints), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UserError(f"--set {key}: unknown config key{hint}")
        changes[key] = _cast(key, value, hints[key])
    return dataclasses.replace(cfg, **changes)


def load_config(name: str, overrides: list[str] = ()) -> Config:
    """Resolve experiment `name` with `overrides` applied."""
    cls = experiment_class(name)
    cfg = cls(exp=name, parent=parent_name(cls))
    cfg = apply_overrides(cfg, list(overrides))
    cfg.validate()
    return cfg


def experiment_summary(name: str) -> str:
    """First docstring line of an experiment ("exp0012 = exp0007 + input [aaa,bcd]")."""
    experiment_class(name)
    doc = (importlib.import_module(f"exp.{name}").__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def config_json(cfg: Config) -> str:
    return json.dumps(cfg.to_dict(), indent=2)


def add_config_args(parser) -> None:
    """The options main.py and evaluate.py share: --exp, --fold, --set."""
    parser.add_argument("--exp", default="exp0001", help="experiment name, a file in exp/ (default exp0001)")
    parser.add_argument("--fold", type=int, action="append", help="run only this fold (repeatable)")
    parser.add_argument("--set", nargs="+", action="append", default=[], metavar="KEY=VALUE",
                        help="override config keys, e.g. --set epochs=3 image_size=128")


def config_from_args(args) -> Config:
    """Resolve the config named by parsed `add_config_args` options."""
    overrides = [v for group in args.set for v in group]
    if args.fold is not None:
        overrides.append("folds=" + ",".join(map(str, args.fold)))
    return load_config(args.exp, overrides)
