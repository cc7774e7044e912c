"""G2Net's own networks, registered with timm's model registry (common.models.build_model imports this
module for G2Net experiments, so `model_name=g2net_cnn1d` works through timm.create_model).

The 1D CNN on the whitened strain (front_end=wave, input (B, 3, 4096): H1, L1, V1) after the 3rd place's
design (ZiyueWang25/Kaggle_G2Net, 1D_Model; the top three teams' best single models were 1D CNNs):

    per detector  Conv1d(k=127) -> BN -> SiLU -> Conv1d(k=127) -> BN -> SiLU -> GeM(2)     (B, w, 2048)
                  H1 and L1 through ONE module (the same weights), V1 through its own
    concatenate   (B, 3w, 2048)
    stage 1       ResBlock k=31 3w->2w, GeM(4); ResBlock k=31 2w->2w                 (B, 2w, 512)
    stage 2       ResBlock k=15 2w->4w, GeM(4); ResBlock k=15 4w->4w                 (B, 4w, 128)
    stage 3       ResBlock k=7  4w->8w, GeM(2); ResBlock k=7  8w->8w, GeM(2)         (B, 8w, 32)
    head          concat(global average, global max) 16w -> Linear 64 -> SiLU -> Dropout(drop_rate)
                  -> Linear num_classes

A ResBlock is Conv1d(k) -> BN -> SiLU -> Conv1d(k) -> BN (last BN zero-initialised), added to the
shortcut (identity, or 1x1 conv + BN when the width changes) through DropPath (stochastic depth,
drop_path_rate ramped linearly over the 6 blocks), SiLU, then the GeM downsampling. The stems end in BN
and SiLU before their GeM too: GeM clamps its input at eps, so a raw convolution output would lose its
negative half. Long kernels first: 127 taps = 62 ms at 2048 Hz, a few cycles of a 20-150 Hz chirp.

Width w: `width` keyword (timm.create_model("g2net_cnn1d", width=16)) or the named variants, so that the
config's model_name alone says the size (checkpoints are checked on it):
    g2net_cnn1d     w=32  (3rd place: 16-32; about 2.8 GMAC per sample, a GPU model)
    g2net_cnn1d_s   w=16  (about 0.7 GMAC)
    g2net_cnn1d_t   w=8   (about 0.2 GMAC: CPU tests and QUICK recipes)

timm conventions: in_chans (must be 3: the detectors' layout is fixed), num_classes (0: the pooled
features), drop_rate, drop_path_rate, get_classifier / reset_classifier, forward_features / forward_head.
GeM runs in float32 even under autocast: in float16 x**p overflows (x > 40 for p = 3) and eps = 1e-6
underflows to 0, whose 1/p-th power has an infinite gradient - both give NaN.
"""
from collections import OrderedDict

import torch
import torch.nn.functional as F
from timm.layers import DropPath
from timm.models import build_model_with_cfg, generate_default_cfgs, register_model
from torch import nn

from common.nets import no_published_weights

DETECTORS = ("H1", "L1", "V1")
STEM_KERNEL = 127
# (out width in units of w, kernel, GeM downsampling) per residual block; the first block of a stage
# changes the width
BLOCKS = ((2, 31, 4), (2, 31, 1), (4, 15, 4), (4, 15, 1), (8, 7, 2), (8, 7, 2))
HEAD_WIDTH = 64


class GeM1d(nn.Module):
    """Generalised mean pooling, (mean over a window of clamp(x, eps) ** p) ** (1 / p), with a learnt p
    (>= 1; p = 1 is average pooling, large p tends to max pooling). kernel_size=None pools the whole
    series to length 1. Always float32 (see the module docstring)."""

    def __init__(self, kernel_size: int | None = 2, p: float = 3.0, eps: float = 1e-6):
        super().__init__()
        self.kernel_size, self.eps = kernel_size, eps
        self.p = nn.Parameter(torch.full((1,), float(p)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=x.device.type, enabled=False):
            p = self.p.float().clamp(min=1.0)
            x = x.float().clamp(min=self.eps).pow(p)
            x = x.mean(-1, keepdim=True) if self.kernel_size is None else F.avg_pool1d(x, self.kernel_size)
            return x.pow(1.0 / p)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, p={self.p.item():.2f}"


def conv_bn(cin: int, cout: int, kernel: int) -> list[nn.Module]:
    return [nn.Conv1d(cin, cout, kernel, padding=kernel // 2, bias=False), nn.BatchNorm1d(cout)]


class DetectorStem(nn.Sequential):
    """One detector's series (B, 1, T) -> (B, width, T / 2): two long convolutions, then GeM(2)."""

    def __init__(self, width: int, kernel: int = STEM_KERNEL):
        super().__init__(*conv_bn(1, width, kernel), nn.SiLU(inplace=True),
                         *conv_bn(width, width, kernel), nn.SiLU(inplace=True), GeM1d(2))


class ResBlock1d(nn.Module):
    """conv-BN-SiLU-conv-BN plus shortcut (through DropPath), SiLU, then GeM(pool) when pool > 1."""

    def __init__(self, cin: int, cout: int, kernel: int, pool: int = 1, drop_path: float = 0.0):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(cin, cout, kernel)
        self.conv2, self.bn2 = conv_bn(cout, cout, kernel)
        nn.init.zeros_(self.bn2.weight)  # each block starts as its shortcut (timm's zero_init_last)
        self.act = nn.SiLU(inplace=True)
        self.shortcut = nn.Identity() if cin == cout else nn.Sequential(*conv_bn(cin, cout, 1))
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.pool = GeM1d(pool) if pool > 1 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))
        return self.pool(self.act(self.shortcut(x) + self.drop_path(y)))


class G2NetCNN1d(nn.Module):
    """The 1D CNN of the module docstring: (B, 3, T) whitened H1, L1, V1 strain -> (B, num_classes)."""

    def __init__(self, in_chans: int = 3, num_classes: int = 1, width: int = 32, drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0, head_width: int = HEAD_WIDTH):
        super().__init__()
        if in_chans != len(DETECTORS):
            raise ValueError(f"g2net_cnn1d takes the {len(DETECTORS)} detectors {', '.join(DETECTORS)} "
                             f"(in_chans={len(DETECTORS)}), got in_chans={in_chans}")
        self.width, self.head_width, self.drop_rate = width, head_width, drop_rate
        self.stem_ligo = DetectorStem(width)  # H1 and L1: the same weights
        self.stem_virgo = DetectorStem(width)
        rates = torch.linspace(0, drop_path_rate, len(BLOCKS)).tolist()
        blocks, cin = [], len(DETECTORS) * width
        for (mult, kernel, pool), rate in zip(BLOCKS, rates):
            blocks.append(ResBlock1d(cin, mult * width, kernel, pool, rate))
            cin = mult * width
        self.blocks = nn.Sequential(*blocks)
        self.num_features = 2 * cin  # average and max pooled
        self.reset_classifier(num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.head = nn.Identity() if num_classes == 0 else nn.Sequential(OrderedDict(
            fc1=nn.Linear(self.num_features, self.head_width), act=nn.SiLU(inplace=True),
            drop=nn.Dropout(self.drop_rate), fc=nn.Linear(self.head_width, num_classes)))

    def get_classifier(self) -> nn.Module:
        return self.head

    def detector_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, T) -> (B, 3, width, T / 2): each detector through its stem (H1 and L1 one batch)."""
        b, _, t = x.shape
        ligo = self.stem_ligo(x[:, :2].reshape(2 * b, 1, t))
        virgo = self.stem_virgo(x[:, 2:])
        return torch.cat([ligo.reshape(b, 2, *ligo.shape[1:]), virgo[:, None]], dim=1)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, T) -> (B, 8 width, T / 128)."""
        return self.blocks(self.detector_features(x).flatten(1, 2))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = torch.cat([x.mean(-1), x.amax(-1)], dim=1)
        return x if pre_logits else self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1] != len(DETECTORS):
            raise ValueError(f"g2net_cnn1d takes (batch, 3, samples) whitened strain (front_end=wave), got "
                             f"{tuple(x.shape)}")
        return self.forward_head(self.forward_features(x))


def _cfg(**kwargs) -> dict:
    # timm's input_size is (C, H, W); a wave is one row of 4096 samples
    return dict(url="", num_classes=1, input_size=(3, 1, 4096), first_conv="stem_ligo.0",
                classifier="head.fc", mean=(0.0,) * 3, std=(1.0,) * 3, **kwargs)


default_cfgs = generate_default_cfgs({name: _cfg() for name in ("g2net_cnn1d", "g2net_cnn1d_s", "g2net_cnn1d_t")})


def _create(variant: str, pretrained: bool, width: int, kwargs: dict) -> G2NetCNN1d:
    no_published_weights(variant, pretrained, kwargs)
    return build_model_with_cfg(G2NetCNN1d, variant, pretrained, **dict(dict(width=width), **kwargs))


@register_model
def g2net_cnn1d(pretrained: bool = False, **kwargs) -> G2NetCNN1d:
    """The 3rd place's 1D CNN design at width 32."""
    return _create("g2net_cnn1d", pretrained, 32, kwargs)


@register_model
def g2net_cnn1d_s(pretrained: bool = False, **kwargs) -> G2NetCNN1d:
    """g2net_cnn1d at width 16."""
    return _create("g2net_cnn1d_s", pretrained, 16, kwargs)


@register_model
def g2net_cnn1d_t(pretrained: bool = False, **kwargs) -> G2NetCNN1d:
    """g2net_cnn1d at width 8 (CPU tests, QUICK recipes)."""
    return _create("g2net_cnn1d_t", pretrained, 8, kwargs)
