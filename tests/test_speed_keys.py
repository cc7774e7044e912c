"""channels_last and compile: the same predictions, finite, in a model, a training run and an evaluation.

Compiling with inductor (the default backend) takes about a minute even for timm's test_resnet on the
shared 2-core CPU these tests run on, so the tests compile with dynamo's "eager" backend (graph capture
without code generation, through common.models.COMPILE_KWARGS); the inductor test runs only with
RUN_INDUCTOR_TESTS=1.
"""
import copy
import os
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import common.models
from common.competition import competition
from common.config import load_config
from common.models import build_model, speed_up
from conftest import write_kaggle_layout
from g2net.test_data import write_g2net_layout


@pytest.fixture(autouse=True)
def one_thread_eager_compile(monkeypatch):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setattr(common.models, "COMPILE_KWARGS", {"backend": "eager"})
    torch._dynamo.reset()
    yield
    torch.set_num_threads(threads)
    torch._dynamo.reset()


@pytest.mark.parametrize("exp", ["exp0012", "exp0101"])
def test_keys_keep_the_predictions(exp):
    cfg = load_config(exp, ["model_name=test_resnet", "image_size=32", "channels_last=true", "compile=true"])
    comp = competition(cfg)
    torch.manual_seed(0)
    model = build_model(cfg, comp.make_front_end(cfg), comp.in_channels(cfg))
    eager = copy.deepcopy(model)
    keys = list(model.state_dict())
    speed_up(model, cfg)
    assert model.backbone._compiled_call_impl is not None and model.front_end._compiled_call_impl is None
    conv = next(m for m in model.backbone.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert list(model.state_dict()) == keys  # checkpoints keep their keys
    x = torch.randn(3, *comp.SAMPLE_SHAPE)
    out = model(x)
    out.sum().backward()  # trains (dropout: not comparable with the eager model)
    assert torch.isfinite(out).all() and out.shape == (3, 1)
    assert all(torch.isfinite(p.grad).all() for p in model.backbone.parameters() if p.grad is not None)
    model.eval(), eager.eval()
    eager.load_state_dict(model.state_dict())  # the same running statistics
    with torch.no_grad():
        out = model(x)
        torch.testing.assert_close(out, eager(x), rtol=1e-4, atol=1e-4)
        assert torch.equal(copy.deepcopy(model)(x), out)  # EMA / SWA copy the model


def test_tiny_run_and_evaluation_with_both_keys(tmp_path, monkeypatch, capsys):
    """main.py and evaluate.py in-process on a tiny G2Net layout with channels_last and compile on."""
    import evaluate
    import main

    data = tmp_path / "g2net"
    data.mkdir()
    write_g2net_layout(data, n_train=8, n_test=3)
    sets = [f"data_dir={data}", f"output_dir={tmp_path / 'out'}", "model_name=test_resnet", "image_size=32",
            "epochs=1", "batch_size=4", "num_workers=0", "n_folds=2", "folds=0", "wandb=false",
            "channels_last=true", "compile=true"]
    monkeypatch.setattr(sys, "argv", ["main.py", "--exp", "exp0101", "--set", *sets])
    main.main()
    oof = pd.read_csv(tmp_path / "out" / "exp0101" / "oof.csv")
    assert len(oof) == 4 and np.isfinite(oof["logit"]).all()
    monkeypatch.setattr(sys, "argv", ["evaluate.py", "--exp", "exp0101", "--tta", "2", "--set", *sets])
    evaluate.main()
    sub = pd.read_csv(tmp_path / "out" / "exp0101" / "submission.csv")
    assert len(sub) == 3 and np.isfinite(sub["target"]).all() and sub["target"].between(0, 1).all()


@pytest.mark.skipif(not os.environ.get("RUN_INDUCTOR_TESTS"),
                    reason="inductor compiles timm's test_resnet in ~1 min on the 2-core test machine; "
                           "RUN_INDUCTOR_TESTS=1 runs it")
def test_inductor_compiles_the_backbone(monkeypatch):
    monkeypatch.setattr(common.models, "COMPILE_KWARGS", {})
    cfg = load_config("exp0012", ["model_name=test_resnet", "image_size=32", "compile=true"])
    comp = competition(cfg)
    model = build_model(cfg, comp.make_front_end(cfg), comp.in_channels(cfg)).eval()
    eager = copy.deepcopy(model)
    x = torch.randn(2, *comp.SAMPLE_SHAPE)
    with torch.no_grad():
        out = speed_up(model, cfg)(x)
        torch.testing.assert_close(out, eager(x), rtol=1e-3, atol=1e-3)


def test_seti_channels_last_training_step(tmp_path):
    """One SETI training step through the experiment's loader with channels_last: finite loss, weights move."""
    data = write_kaggle_layout(tmp_path / "input", n_train=8, n_test=2)
    cfg = load_config("exp0012", [f"data_dir={data}", "model_name=test_resnet", "image_size=32",
                                  "channels_last=true", "n_folds=2", "num_workers=0"])
    comp = competition(cfg)
    df = comp.read_train(cfg)
    x, y = next(iter(torch.utils.data.DataLoader(comp.make_dataset(cfg, df, train=True), batch_size=4)))
    model = speed_up(build_model(cfg, comp.make_front_end(cfg), comp.in_channels(cfg)), cfg)
    before = copy.deepcopy(model.state_dict())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(-1), y)
    loss.backward()
    opt.step()
    assert torch.isfinite(loss) and any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
