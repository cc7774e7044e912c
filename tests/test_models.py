import dataclasses

import pytest
import torch

from common.config import load_config
from common.errors import UserError
from common.models import build_model, head_parameters
from common.seti import competition as seti
from common.seti.config import Config


def test_global_pool_catavgmax_feeds_the_head_both_poolings():
    cfg = Config(model_name="resnet18", image_size=32)
    avg = build_model(cfg, seti.make_front_end(cfg), seti.in_channels(cfg))
    both = build_model(dataclasses.replace(cfg, global_pool="catavgmax"), seti.make_front_end(cfg), seti.in_channels(cfg))
    assert both.backbone.fc.in_features == 2 * avg.backbone.fc.in_features
    assert both(torch.randn(3, 6, 273, 256)).shape == (3, 1)


def test_an_unknown_global_pool_is_refused():
    with pytest.raises(UserError, match="global_pool='mean' is not one of avg, max"):
        load_config("exp0001", ["global_pool=mean"])


def test_a_model_without_global_pool_says_so():
    from common.g2net.config import Config as G2NetConfig
    from common.g2net import competition as g2net
    cfg = G2NetConfig(model_name="g2net_cnn1d", front_end="wave", global_pool="max")
    with pytest.raises(UserError, match="g2net_cnn1d does not take global_pool='max'"):
        build_model(cfg, g2net.make_front_end(cfg), g2net.in_channels(cfg))


def test_side_features_add_their_head_logit_to_the_backbone():
    cfg = Config(model_name="resnet18", layout="aaa_bcd", image_size=32, dedoppler_peaks=True)
    model = build_model(cfg, seti.make_front_end(cfg), seti.in_channels(cfg)).eval()
    img, side = model.front_end(torch.randn(3, 6, 273, 256))
    with torch.no_grad():
        logits = model.classify((img, side))
        assert logits.shape == (3, 1)
        assert torch.allclose(logits, model.backbone(img) + model.side_head(side))
        assert not torch.allclose(model.classify((img, side + 1)), logits)  # the features reach the logit
        parts = model.classify((img, side), parts=True)  # separate_losses trains each column on its own
        assert parts.shape == (3, 2) and torch.allclose(parts.sum(-1, keepdim=True), logits)
    side_params = {id(p) for p in model.side_head.parameters()}
    assert side_params and side_params <= head_parameters(model)  # warmed up with the backbone's classifier
    assert any(k.startswith("side_head.") for k in model.state_dict())  # and saved with the checkpoint
    plain_cfg = Config(model_name="resnet18", image_size=32)
    plain = build_model(plain_cfg, seti.make_front_end(plain_cfg), seti.in_channels(plain_cfg))
    assert plain.side_head is None and not any(k.startswith("side_head.") for k in plain.state_dict())
    assert plain(torch.randn(2, 6, 273, 256), parts=True).shape == (2, 1)  # one logit, parts or not
