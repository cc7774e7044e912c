import dataclasses

import pytest
import torch

from common.config import load_config
from common.errors import UserError
from common.models import build_model
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
