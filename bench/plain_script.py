"""The yardstick for SETI: a plain PyTorch training script, no suite machinery, on the suite's data and folds.

    python -m bench.plain_script --data-dir input/seti [--fold 0] [--epochs 6] [--image-size 128]

[aaa,bcd] input (ON scans stacked along time in channel 1, OFF in channel 2), area-average resize, timm
resnet18 from scratch, frequency flip p=0.5, AdamW with a one-cycle schedule, BCE with 4:1 positive weight,
2 test-time views (identity, frequency flip). Reads the data and the fold split as main.py does
(common.seti.data, n_folds 4, seed 42; the rest is plain PyTorch) and prints the validation AUC, and the test
AUC when the data's synth_meta.csv holds the test labels. The suite's recipes are measured against it
(docs/seti_cpu_recipe.md).
"""
import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import timm
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

from common.errors import cli
from common.seti.data import load_cadence, read_test, read_train


def load(paths, size: int) -> torch.Tensor:
    """Cadence files -> (N, 2, size, size): ON scans and OFF scans each stacked along time, area-resized."""
    out = []
    for path in tqdm(paths, desc="load", leave=False):
        x = torch.from_numpy(load_cadence(path))  # (6, 273, 256) float32
        img = torch.stack([x[[0, 2, 4]].flatten(0, 1), x[[1, 3, 5]].flatten(0, 1)])  # (2, 819, 256)
        out.append(F.interpolate(img[None], size=(size, size), mode="area")[0])
    return torch.stack(out)


def predict(model, x: torch.Tensor) -> np.ndarray:
    """Mean probability over the identity and the frequency-flipped view."""
    model.eval()
    with torch.no_grad():
        p = [torch.cat([torch.sigmoid(model(b.flip(-1) if flip else b)).squeeze(1) for (b,) in
                        DataLoader(TensorDataset(x), batch_size=64)]) for flip in (False, True)]
    return ((p[0] + p[1]) / 2).numpy()


@cli
def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.plain_script", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default="input/seti")
    p.add_argument("--fold", type=int, default=0)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--image-size", type=int, default=128)
    args = p.parse_args(argv)
    torch.manual_seed(0)
    data = Path(args.data_dir)
    df = read_train(data, n_folds=4, seed=42)
    train, valid = df[df["fold"] != args.fold], df[df["fold"] == args.fold]
    x_train, x_valid = load(train["path"], args.image_size), load(valid["path"], args.image_size)
    y_train = torch.tensor(train["target"].values, dtype=torch.float32)

    model = timm.create_model("resnet18", pretrained=False, in_chans=2, num_classes=1)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, drop_last=True)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=args.epochs * len(loader))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(4.0))
    for epoch in range(args.epochs):
        model.train()
        for x, y in tqdm(loader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False):
            flip = torch.rand(len(x)) < 0.5
            x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
            loss = loss_fn(model(x).squeeze(1), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}: valid AUC {roc_auc_score(valid['target'], predict(model, x_valid)):.4f}", flush=True)

    meta = data / "synth_meta.csv"
    if meta.is_file():
        labels = pd.read_csv(meta, dtype={"id": str}).query("split == 'test'")[["id", "target"]]
        test = read_test(data).drop(columns="target").merge(labels, on="id")
        x_test = load(test["path"], args.image_size)
        print(f"test AUC {roc_auc_score(test['target'], predict(model, x_test)):.4f} ({len(test)} cadences)")


if __name__ == "__main__":
    main()
