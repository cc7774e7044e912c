"""The networks timm lacks: resnet16 (common.nets) and the G2Net 1D CNN (common.g2net.nets), through
timm's registry and the engine's build_model."""
import pytest
import timm
import torch
from torch import nn

from common.competition import competition
from common.config import load_config
from common.errors import UserError
from common.g2net.augment import swap_ligo
from common.g2net.nets import GeM1d
from common.models import build_model, head_parameters


def forward_backward(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Output of a training-mode forward; asserts every parameter got a finite gradient."""
    model.train()
    out = model(x)
    out.sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, missing[:5]
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
    return out


@pytest.mark.parametrize("name, shape", [("resnet16", (2, 3, 64, 64)), ("g2net_cnn1d", (2, 3, 4096)),
                                         ("g2net_cnn1d_t", (2, 3, 4096))])
def test_forward_and_backward_give_one_logit_and_finite_gradients(name, shape):
    torch.manual_seed(0)
    model = timm.create_model(name, num_classes=1, in_chans=3, drop_rate=0.2, drop_path_rate=0.1)
    out = forward_backward(model, torch.randn(shape))
    assert out.shape == (2, 1) and torch.isfinite(out).all()


def test_resnet16_has_16_weighted_layers():
    model = timm.create_model("resnet16", num_classes=1)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1)]  # not shortcuts
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [len(stage) for stage in (model.layer1, model.layer2, model.layer3, model.layer4)] == [1, 2, 2, 2]
    assert len(convs) + len(linears) == 16
    assert model.pretrained_cfg["first_conv"] == "conv1"


@pytest.mark.parametrize("exp, model_name, shape", [("exp0108", "resnet16", (2, 3, 4096)),
                                                    ("exp0116", "g2net_cnn1d_t", (2, 3, 4096))])
def test_build_model_finds_them_through_the_config(exp, model_name, shape):
    """model_name=<ours> passes build_model's timm.list_models() check; the front end feeds the backbone."""
    cfg = load_config(exp, [f"model_name={model_name}", "image_size=64"])
    comp = competition(cfg)
    model = build_model(cfg, comp.make_front_end(cfg), comp.in_channels(cfg))
    assert model_name in timm.list_models()
    out = forward_backward(model, torch.randn(shape))
    assert out.shape == (2, 1)
    assert head_parameters(model) == {id(p) for p in model.backbone.get_classifier().parameters()}
    assert head_parameters(model)  # head-only warm-up has something to train


def test_h1_and_l1_share_the_same_weights():
    model = timm.create_model("g2net_cnn1d_t", num_classes=1).eval()
    stems = [n for n, m in model.named_children() if n.startswith("stem")]
    assert stems == ["stem_ligo", "stem_virgo"]  # one stem for both LIGO detectors, one for Virgo
    x = torch.randn(2, 3, 4096)
    with torch.no_grad():
        feats, swapped = model.detector_features(x), model.detector_features(swap_ligo(x))
    assert torch.allclose(swapped[:, 0], feats[:, 1]) and torch.allclose(swapped[:, 1], feats[:, 0])
    assert torch.allclose(swapped[:, 2], feats[:, 2])
    # H1 alone and L1 alone each reach the one shared stem's weights
    for channel in (0, 1):
        model.zero_grad()
        x = torch.zeros(2, 3, 4096)
        x[:, channel] = torch.randn(2, 4096)
        model.detector_features(x)[:, channel].sum().backward()
        assert model.stem_ligo[0].weight.grad.abs().sum() > 0


def test_gem_is_float32_under_autocast_where_float16_overflows():
    x = torch.full((2, 4, 8), 50.0)  # 50 ** 3 = 125000 > 65504, the float16 maximum
    x[0, 0, :4] = 0.0  # clamped to eps, which float16 would flush to zero
    assert not torch.isfinite(x.half().clamp(min=1e-6).pow(3)).all()  # what a float16 GeM would meet
    gem = GeM1d(2)
    with torch.autocast("cpu", dtype=torch.float16):
        y = gem(x.half().requires_grad_())
    assert y.dtype == torch.float32 and torch.isfinite(y).all()
    assert torch.allclose(y[1], torch.full_like(y[1], 50.0))
    y.sum().backward()
    assert torch.isfinite(gem.p.grad).all()


def test_model_under_bfloat16_autocast_stays_finite():
    model = timm.create_model("g2net_cnn1d_t", num_classes=1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(10 * torch.randn(2, 3, 4096))
    out.float().sum().backward()
    assert torch.isfinite(out.float()).all()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_timm_conventions():
    model = timm.create_model("g2net_cnn1d_t", num_classes=0)
    assert model(torch.randn(2, 3, 4096)).shape == (2, model.num_features)
    model.reset_classifier(1)
    assert model(torch.randn(2, 3, 4096)).shape == (2, 1)
    assert timm.create_model("g2net_cnn1d", width=8).width == 8
    rates = [b.drop_path.drop_prob for b in timm.create_model("g2net_cnn1d_t", drop_path_rate=0.2).blocks
             if not isinstance(b.drop_path, nn.Identity)]
    assert rates == sorted(rates) and rates[-1] == pytest.approx(0.2)
    assert timm.create_model("g2net_cnn1d_t", drop_rate=0.3).get_classifier().drop.p == 0.3
    with pytest.raises(ValueError, match="in_chans=3"):
        timm.create_model("g2net_cnn1d_t", in_chans=1)
    with pytest.raises(ValueError, match=r"\(batch, 3, samples\)"):
        model(torch.randn(2, 3, 64, 64))


def test_options_that_do_not_apply_say_so():
    cfg = load_config("exp0116", ["model_name=g2net_cnn1d_t", "stem_stride=1"])
    comp = competition(cfg)
    with pytest.raises(UserError, match="stem_stride applies to a 2D model"):
        build_model(cfg, comp.make_front_end(cfg), comp.in_channels(cfg))
    for name in ("resnet16", "g2net_cnn1d"):
        with pytest.raises(UserError, match="no published weights"):
            timm.create_model(name, pretrained=True)
