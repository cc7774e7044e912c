"""main.py's training pieces: optimizer groups, EMA, the learning-rate schedule, per-process seeds, pseudo labels,
an epoch's host reads, SWA's BatchNorm statistics over processes."""
import dataclasses
import json
import os
import sys

import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

import main
from common.data import seed_worker
from common.errors import UserError
from common.losses import build_loss
from common.models import build_model
from common.seti import competition as seti
from common.seti.config import Config
from conftest import ROOT, free_port, run


def cfg_with(**changes) -> Config:
    return dataclasses.replace(Config(model_name="resnet18", image_size=32, wandb=False), **changes)


def tiny_model(cfg):
    return build_model(cfg, seti.make_front_end(cfg), seti.in_channels(cfg))


def test_weight_decay_skips_norms_biases_and_loss_parameters():
    cfg = cfg_with(loss="libauc", weight_decay=0.05)
    model, loss_fn = tiny_model(cfg), build_loss(cfg)
    optimizer = main.make_optimizer(cfg, model, loss_fn)
    decay = {id(p): g["weight_decay"] for g in optimizer.param_groups for p in g["params"]}
    bn = model.backbone.bn1
    assert decay[id(bn.weight)] == 0 and decay[id(bn.bias)] == 0
    assert decay[id(model.backbone.fc.bias)] == 0
    assert decay[id(model.backbone.conv1.weight)] == 0.05 and decay[id(model.backbone.fc.weight)] == 0.05
    for p in loss_fn.parameters():  # LibAUC's a, b, alpha
        assert decay[id(p)] == 0
    assert len(decay) == sum(1 for _ in model.parameters()) + sum(1 for _ in loss_fn.parameters())


def test_ema_warms_up_to_the_model():
    """At decay 0.999 without warm-up the EMA keeps ~98% of where the model was at its first update after
    20 steps; with timm's warm-up it follows a model that keeps moving, a few steps behind."""
    cfg = cfg_with(ema=True, ema_decay=0.999)
    model = torch.nn.Linear(4, 1)
    ema = main.make_ema(cfg, model)
    start = model.weight.detach().clone()
    for step in range(1, 21):
        with torch.no_grad():
            model.weight.add_(0.05)
        ema.update(model, step=step)
    gap = (ema.module.weight - model.weight).abs().max().item()
    assert gap < 0.5 * (model.weight - start).abs().max().item(), gap


def lrs(cfg, steps_per_epoch: int) -> list[float]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=cfg.lr)
    schedule = main.Schedule(cfg, optimizer, steps_per_epoch)
    out = []
    for step in range(cfg.epochs * steps_per_epoch):
        schedule.step_update(step)
        out.append(optimizer.param_groups[0]["lr"])
    return out


def test_schedule_without_head_only_epochs_warms_up_then_decays():
    lr = lrs(cfg_with(epochs=4, warmup_epochs=1, lr=1e-3), 10)
    assert lr[0] == pytest.approx(1e-5) and lr[10] == pytest.approx(1e-3)
    assert all(a < b for a, b in zip(lr[:10], lr[1:11])) and all(a >= b for a, b in zip(lr[10:], lr[11:]))


def test_warm_up_restarts_when_the_backbone_is_unfrozen():
    cfg = cfg_with(epochs=5, warmup_epochs=1, head_only_epochs=2, lr=1e-3)
    lr = lrs(cfg, 10)
    assert lr[0] == pytest.approx(1e-5) and lr[10:20] == pytest.approx([1e-3] * 10)  # the head warms up
    assert lr[20] == pytest.approx(1e-5)  # the backbone starts at the bottom of a fresh warm-up
    assert all(a < b for a, b in zip(lr[20:30], lr[21:31])) and lr[30] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(lr[30:], lr[31:])) and lr[-1] < 0.05 * 1e-3  # then the full cosine


class RandomDraws(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return torch.rand(())


def first_draws(rank: int) -> torch.Tensor:
    torch.manual_seed(42)  # what set_seed(cfg.seed + fold) leaves behind, the same on every process
    main.seed_augmentations(42, 0, rank)
    loader = DataLoader(RandomDraws(), batch_size=4, num_workers=1, worker_init_fn=seed_worker)
    return torch.cat([next(iter(loader)), torch.rand(4)])  # worker draws, then the process's own


def test_processes_draw_different_augmentations():
    assert torch.equal(first_draws(0), first_draws(0))  # reproducible
    assert not torch.equal(first_draws(0), first_draws(1))  # but not the same on every process


def test_pseudo_labels_of_fold_k_come_from_fold_k_model(kaggle_dir, tmp_path):
    cfg = cfg_with(data_dir=str(kaggle_dir), output_dir=str(tmp_path), n_folds=2, pseudo_labels="src")
    test_ids = pd.read_csv(kaggle_dir / "sample_submission.csv", dtype={"id": str})["id"]
    (tmp_path / "src").mkdir()
    pd.DataFrame({"id": test_ids, "target": 0.5}).to_csv(tmp_path / "src" / "submission.csv", index=False)
    with pytest.raises(UserError, match="submission_folds.csv not found; run evaluate.py for src"):
        main.pseudo_labelled(cfg, seti, 0)  # no silent fallback to the ensemble, which saw fold 0's labels
    pd.DataFrame({"id": test_ids, "fold0": 0.1, "fold1": 0.9}).to_csv(tmp_path / "src" / "submission_folds.csv",
                                                                      index=False)
    (tmp_path / "src" / "config.json").write_text(json.dumps(cfg.to_dict()))
    for fold, target in ((0, 0.1), (1, 0.9)):
        labelled = main.pseudo_labelled(cfg, seti, fold)
        assert labelled["target"].tolist() == [target] * len(test_ids) and (labelled["fold"] == -1).all()
    other = dict(cfg.to_dict(), seed=7)
    (tmp_path / "src" / "config.json").write_text(json.dumps(other))
    with pytest.raises(UserError, match="split its folds otherwise"):
        main.pseudo_labelled(cfg, seti, 0)
    plain = tmp_path / "other_sub.csv"  # someone's submission: only the ensemble exists, with a warning
    pd.DataFrame({"id": test_ids, "target": 0.3}).to_csv(plain, index=False)
    with pytest.warns(UserWarning, match="CV reads optimistic"):
        labelled = main.pseudo_labelled(dataclasses.replace(cfg, pseudo_labels=str(plain)), seti, 0)
    assert labelled["target"].tolist() == [0.3] * len(test_ids)


SWA_ON_TWO_PROCESSES = """
import sys
from test_train import swa_statistics_of_this_process
swa_statistics_of_this_process(sys.argv[1])
"""


def swa_statistics_of_this_process(out_dir):
    """One launched process: BatchNorm statistics of update_bn over this process's own batches, then
    main.average_batch_norm; saved per rank (raw: before averaging, avg: after)."""
    from accelerate import Accelerator
    from torch.optim.swa_utils import update_bn

    accelerator = Accelerator(cpu=True)
    rank = accelerator.process_index
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    update_bn(batches_of(rank), model)
    raw = {k: v.clone() for k, v in model[1].state_dict().items()}
    main.average_batch_norm(model, accelerator)
    torch.save({"raw": raw, "avg": model[1].state_dict()}, f"{out_dir}/rank{rank}.pt")


def batches_of(rank: int) -> list[torch.Tensor]:
    """Three batches of process `rank`'s share: its own numbers, shifted and scaled by rank."""
    g = torch.Generator().manual_seed(rank)
    return [torch.randn(4, 3, 8, 8, generator=g) * (1 + rank) + rank for _ in range(3)]


def test_swa_batch_norm_statistics_are_one_over_the_processes(tmp_path):
    """After update_bn on each process's share, average_batch_norm leaves every process with the statistics one
    process would compute over all the batches (before, each validated with its own). Launched as two fresh
    processes: accelerate's debug_launcher forks pytest, whose OpenMP pool then hangs the children's first conv."""
    from torch.optim.swa_utils import update_bn

    script = tmp_path / "swa_on_two_processes.py"
    script.write_text(SWA_ON_TWO_PROCESSES)
    run(ROOT, sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", 2,
        "--main_process_port", free_port(), script, tmp_path, env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT}/tests"},
        timeout=300)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1)]
    assert not torch.allclose(ranks[0]["raw"]["running_mean"], ranks[1]["raw"]["running_mean"])
    torch.manual_seed(0)
    one = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    update_bn(batches_of(0) + batches_of(1), one)  # one process, all six batches
    for key in ("running_mean", "running_var"):
        assert torch.equal(ranks[0]["avg"][key], ranks[1]["avg"][key])
        torch.testing.assert_close(ranks[0]["avg"][key], one[1].state_dict()[key])


def test_an_epoch_reads_the_loss_back_once_not_every_micro_step(kaggle_dir, tmp_path, monkeypatch):
    """main.py's loop makes no host read per batch (on a GPU each waits for the device): the losses are summed
    where they are and read once at the end (and at a bar refresh, every main.LOSS_REFRESH batches)."""
    cfg = cfg_with(data_dir=str(kaggle_dir), output_dir=str(tmp_path), exp="exp0001", n_folds=2, batch_size=2,
                   num_workers=0, epochs=1)
    run = main.set_up_fold(cfg, 0, seti.read_train(cfg), None)
    reads = []
    for name in ("item", "tolist", "__float__", "__bool__"):
        real = getattr(torch.Tensor, name)

        def counted(self, *args, _real=real, **kwargs):
            if sys._getframe(1).f_code.co_filename == main.__file__:
                reads.append(sys._getframe(1).f_lineno)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    loss = main.train_epoch(run, 0)
    assert run.steps_per_epoch == 4 and len(reads) == 1, reads  # 4 micro-steps, one read: the epoch's mean
    assert 0.3 < loss < 3
