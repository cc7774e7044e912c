"""Every exp/expNNNN.py loads, says what it changes from its actual parent, and does change something."""
import importlib
import re

import pytest
import torch

from common.competition import competition
from common.config import experiment_class, list_experiments, load_config
from common.models import build_model

EXPERIMENTS = list_experiments()
DERIVED = [name for name in EXPERIMENTS if load_config(name).parent != "base"]


def settings(cfg) -> dict:
    return {k: v for k, v in cfg.to_dict().items() if k not in ("exp", "parent")}


def first_doc_line(name: str) -> str:
    doc = (importlib.import_module(f"exp.{name}").__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def test_the_log_is_covered():
    assert {f"exp{i:04d}" for i in range(1, 25)} <= set(EXPERIMENTS)
    assert {f"exp{i:04d}" for i in range(101, 118)} <= set(EXPERIMENTS)  # G2Net: seeds 000, 004 and the winners


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_loads_and_its_docstring_starts_with_its_name(name):
    cfg = load_config(name)
    assert cfg.exp == name
    assert first_doc_line(name).startswith(f"{name} = "), first_doc_line(name)


@pytest.mark.parametrize("name", DERIVED)
def test_docstring_names_the_actual_parent(name):
    parent = load_config(name).parent
    assert re.match(rf"{name} = {parent} \+ \S", first_doc_line(name)), (first_doc_line(name), parent)


@pytest.mark.parametrize("name", DERIVED)
def test_differs_from_its_parent(name):
    cfg = load_config(name)
    assert settings(cfg) != settings(load_config(cfg.parent))


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_overrides_only_existing_keys(name):
    """A misspelt key in an experiment would silently add a field that nothing reads."""
    cfg = experiment_class(name)()
    assert set(settings(cfg)) == set(settings(competition(cfg).Config()))


def one_per_model() -> list[str]:
    """The first experiment of each distinct model and input (the keys a checkpoint must share)."""
    first = {}
    for name in EXPERIMENTS:
        cfg = load_config(name)
        model_keys = competition(cfg).MODEL_KEYS
        first.setdefault((cfg.competition, *(getattr(cfg, k) for k in model_keys if k != "image_size")), name)
    return list(first.values())


# image models are built at 64 px, except those whose downsampling needs more
SMALLEST_IMAGE = {"inception_v3": 75}


@pytest.mark.parametrize("name", one_per_model())
def test_model_builds_and_gives_one_logit(name):
    cfg = load_config(name)
    cfg = load_config(name, [f"image_size={SMALLEST_IMAGE.get(cfg.model_name, 64)}"])
    comp = competition(cfg)
    model = build_model(cfg, comp.make_front_end(cfg), comp.in_channels(cfg)).eval()
    with torch.no_grad():
        out = model(torch.randn(2, *comp.SAMPLE_SHAPE))
    assert out.shape == (2, 1)
