"""Networks timm lacks, registered with timm's model registry so `model_name=<name>` works through
timm.create_model like any timm model (common.models.build_model imports this module first).

Generic image networks live here; a competition's own networks live in `common/<competition>/nets.py`
(the G2Net 1D CNN: its layout is the three detectors'), which build_model imports for that competition.

    resnet16    ResNet with basic blocks, layers (1, 2, 2, 2) (seed 004)
"""
from timm.models import build_model_with_cfg, generate_default_cfgs, register_model
from timm.models.resnet import BasicBlock, ResNet

from common.errors import UserError


def _cfg(**kwargs) -> dict:
    """A pretrained cfg without weights (what timm's in_chans/num_classes adaptation and stem_stride read)."""
    return dict(url="", num_classes=1000, input_size=(3, 224, 224), pool_size=(7, 7), crop_pct=0.875,
                interpolation="bilinear", mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                first_conv="conv1", classifier="fc", **kwargs)


default_cfgs = generate_default_cfgs({"resnet16": _cfg()})


def no_published_weights(name: str, pretrained: bool, kwargs: dict) -> None:
    """pretrained=True needs a local file (pretrained_path): timm would silently initialise at random."""
    if pretrained and not (kwargs.get("pretrained_cfg_overlay") or {}).get("file"):
        raise UserError(f"{name} has no published weights: --set pretrained=false, or give your own "
                        "with pretrained_path=FILE")


@register_model
def resnet16(pretrained: bool = False, **kwargs) -> ResNet:
    """ResNet-16: timm's ResNet with BasicBlock and layers (1, 2, 2, 2), channels 64-128-256-512.

    16 weighted layers: 1 stem conv (7x7) + 7 basic blocks x 2 convs (3x3) + 1 fc; like ResNet-18
    (layers (2, 2, 2, 2), 18 = 1 + 8 x 2 + 1) the three 1x1 projection shortcuts are not counted.
    One block fewer than ResNet-18, in the first (highest-resolution, most expensive) stage.
    """
    no_published_weights("resnet16", pretrained, kwargs)
    return build_model_with_cfg(ResNet, "resnet16", pretrained, **dict(dict(block=BasicBlock, layers=(1, 2, 2, 2)),
                                                                       **kwargs))
