"""Models: the competition's front end followed by a timm backbone with one logit, and checkpoint I/O."""
import importlib
import importlib.util
import os
from pathlib import Path

import timm
import torch
from torch import nn

import common.nets  # noqa: F401  registers the networks timm lacks (resnet16) with timm
from common.errors import UserError


class Classifier(nn.Module):
    """A batch of samples -> one logit each: `front_end` (the competition's transform into the model
    input, run on the device) then `backbone`. Checkpoints hold both, so a front end fitted to the
    training data (a whitening spectrum) travels with the weights.

    A front end with `side_features` = n > 0 returns (input, (B, n) features) instead: a small head
    (batch norm, one hidden layer) turns the features into a logit that adds to the backbone's, as if
    they sat beside its pooled features (the SETI `dedoppler_peaks`: the classical search's statistics).
    `parts=True` returns the two logits side by side, (B, 2), for training each against the target on its
    own (`separate_losses`); without a side head it is the one logit, (B, 1), either way.
    """

    channels_last = False  # set by speed_up: the backbone's 4D input goes in channels_last memory format

    def __init__(self, front_end: nn.Module, backbone: nn.Module):
        super().__init__()
        self.front_end, self.backbone = front_end, backbone
        n = getattr(front_end, "side_features", 0)
        self.side_head = nn.Sequential(nn.BatchNorm1d(n), nn.Linear(n, 32), nn.ReLU(), nn.Linear(32, 1)) if n else None

    def forward(self, x: torch.Tensor, parts: bool = False) -> torch.Tensor:
        return self.classify(self.front_end(x), parts)

    def classify(self, inputs, parts: bool = False) -> torch.Tensor:
        """The front end's output -> (B, 1) logits, or with `parts` the backbone's and the side head's."""
        x, side = inputs if self.side_head is not None else (inputs, None)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        logits = self.backbone(x)
        if side is None:
            return logits
        side_logits = self.side_head(side.to(logits.dtype))
        return torch.cat([logits, side_logits], -1) if parts else logits + side_logits


# keyword arguments of nn.Module.compile for `compile=True` (tests use a cheaper backend than inductor)
COMPILE_KWARGS: dict = {}


def speed_up(model: Classifier, cfg) -> Classifier:
    """Apply the config keys that change speed, not results (main.py and evaluate.py call it before accelerate's
    prepare): `channels_last` puts the backbone's weights and its input in channels_last memory format;
    `compile` compiles the backbone in place with nn.Module.compile (torch.compile; the state_dict keeps its
    keys, so checkpoints do not change). The front end stays eager: the G2Net whitening is FFTs (complex
    ops, which inductor leaves to eager) and the SETI front end is one resize. Mixed precision stays
    accelerate's (autocast around the compiled backbone)."""
    if cfg.channels_last:
        model.channels_last = True
        model.backbone.to(memory_format=torch.channels_last)
    if cfg.compile:
        model.backbone.compile(**COMPILE_KWARGS)
    return model


def build_model(cfg, front_end: nn.Module, in_chans: int) -> Classifier:
    """`front_end` followed by timm model `cfg.model_name` taking `in_chans` channels, with one output logit.

    Weights: `pretrained_path` (a local file, adapted by timm to in_chans and the new head), else
    `pretrained=True` (timm downloads them), else random init. `stem_stride=1` keeps the full
    input resolution in the first convolution.
    """
    kwargs = dict(num_classes=1, in_chans=in_chans, drop_rate=cfg.drop_rate)
    if cfg.drop_path_rate:
        kwargs["drop_path_rate"] = cfg.drop_path_rate
    if cfg.global_pool != "avg":  # timm's default; passed only when changed (not every model takes it)
        kwargs["global_pool"] = cfg.global_pool
    if cfg.pretrained_path:
        if not Path(cfg.pretrained_path).is_file():
            raise UserError(f"pretrained_path {cfg.pretrained_path} not found; give a weights file "
                            f"for {cfg.model_name} (a timm/torchvision state_dict)")
        kwargs.update(pretrained=True, pretrained_cfg_overlay=dict(file=str(cfg.pretrained_path)))
    else:
        kwargs["pretrained"] = cfg.pretrained
    check_model_name(cfg)
    try:
        model = timm.create_model(cfg.model_name, **kwargs)
    except (OSError, RuntimeError, ValueError) as e:
        if cfg.pretrained and not cfg.pretrained_path:
            raise UserError(f"could not get pretrained weights for {cfg.model_name} ({type(e).__name__}; "
                            "offline?): download them and --set pretrained_path=FILE, or --set "
                            "pretrained=false") from None
        raise
    except TypeError as e:
        if "global_pool" in str(e):
            raise UserError(f"{cfg.model_name} does not take global_pool={cfg.global_pool!r}; leave "
                            "global_pool=avg") from None
        raise
    if cfg.stem_stride != 2:
        set_stem_stride(model, cfg.stem_stride)
    return Classifier(front_end, model)


def check_model_name(cfg) -> None:
    """UserError unless `model_name` is a timm model, the competition's own networks included (Config.validate)."""
    register_competition_models(cfg)
    if cfg.model_name not in timm.list_models() and cfg.model_name.split(".")[0] not in timm.list_models():
        raise UserError(f"model_name={cfg.model_name!r} is not a timm model; try "
                        f"timm.list_models('*{cfg.model_name[:6]}*')")


def register_competition_models(cfg) -> None:
    """Import `common/<competition>/nets.py` where it exists: a competition's own networks (G2Net's 1D CNN)
    register themselves with timm's registry there."""
    name = f"common.{cfg.competition}.nets"
    if cfg.competition and importlib.util.find_spec(name) is not None:
        importlib.import_module(name)


def set_stem_stride(model: nn.Module, stride: int) -> None:
    """Set the stride of the model's first convolution (timm's `first_conv`), a 2D one."""
    conv = model.get_submodule(model.pretrained_cfg.get("first_conv") or "")
    if not isinstance(conv, nn.Conv2d):
        name = model.pretrained_cfg.get("architecture", type(model).__name__)
        raise UserError(f"stem_stride applies to a 2D model's first convolution; {name} has none "
                        f"({type(conv).__name__}): leave stem_stride=2")
    conv.stride = (stride, stride)


def head_parameters(model: Classifier) -> set[int]:
    """ids of the classifier head's parameters, the side head's included (for head-only warm-up epochs)."""
    side = model.side_head.parameters() if model.side_head is not None else ()
    return {id(p) for p in (*model.backbone.get_classifier().parameters(), *side)}


def save_checkpoint(path, model: nn.Module, cfg, **info) -> None:
    """Write {model, config, **info} atomically (temp file + rename): never a half-written file."""
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "config": cfg.to_dict(), **info}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except (OSError, RuntimeError, EOFError) as e:
        raise UserError(f"cannot read checkpoint {path} ({type(e).__name__}); retrain that fold") from None


def init_from(model: nn.Module, source: str, output_dir: str) -> str:
    """Load the backbone's weights from a checkpoint file or from experiment `source`'s best fold-0
    checkpoint (the hold-out fold of a pretraining stage). Returns the file used."""
    path = Path(source) if source.endswith(".pt") else Path(output_dir) / source / "fold0" / "best.pt"
    if not path.is_file():
        hint = "" if source.endswith(".pt") else f" (train it first: python main.py --exp {source} --fold 0)"
        raise UserError(f"init_from: checkpoint {path} not found{hint}")
    # the backbone's weights only: the front end is fitted to this run's data (a whitening spectrum)
    state = {k: v for k, v in load_checkpoint(path)["model"].items() if k.startswith("backbone.")}
    own = model.state_dict()
    mismatch = [k for k, v in state.items() if k in own and own[k].shape != v.shape]
    if mismatch or not set(own) & set(state):
        raise UserError(f"init_from: {path} does not fit {type(model).__name__} (e.g. {mismatch[:2]}); "
                        "it was trained with another model or input")
    model.load_state_dict(state, strict=False)
    return str(path)
