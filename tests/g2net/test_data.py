"""G2Net data layer: the Kaggle layout read back, and one-line errors naming the file for bad input."""
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

import common.data
from common.errors import UserError
from common.g2net.data import StrainDataset, load_strain, read_labels, read_submission_ids, sample_path


def write_g2net_layout(root, n_train=6, n_test=3, seed=0):
    """Random (3, 4096) float64 strain x1e-20 in the Kaggle layout, with both CSVs; returns the ids."""
    rng = np.random.default_rng(seed)
    ids = [f"{rng.integers(16**10):010x}" for _ in range(n_train + n_test)]
    for split, split_ids in (("train", ids[:n_train]), ("test", ids[n_train:])):
        for i in split_ids:
            path = sample_path(root, split, i)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, rng.standard_normal((3, 4096)) * 1e-20)
    pd.DataFrame({"id": ids[:n_train], "target": [k % 2 for k in range(n_train)]}).to_csv(
        root / "training_labels.csv", index=False)
    pd.DataFrame({"id": ids[n_train:], "target": 0.5}).to_csv(root / "sample_submission.csv", index=False)
    return ids[:n_train], ids[n_train:]


@pytest.fixture
def g2net_dir(tmp_path):
    root = tmp_path / "g2net"
    write_g2net_layout(root)
    return root


@pytest.fixture
def fresh_warning(monkeypatch):
    monkeypatch.setattr(common.data, "_warned_nonfinite", False)


def test_layout_read_back(tmp_path):
    root = tmp_path / "g2net"
    train_ids, test_ids = write_g2net_layout(root)
    train = read_labels(root)
    assert list(train.columns) == ["id", "target", "path"]
    assert list(train["id"]) == train_ids and list(train["target"]) == [0, 1, 0, 1, 0, 1]
    i = train_ids[0]
    assert train["path"][0] == str(root / "train" / i[0] / i[1] / i[2] / f"{i}.npy")
    test = read_submission_ids(root)
    assert list(test["id"]) == test_ids and all(p.startswith(str(root / "test")) for p in test["path"])
    x = load_strain(train["path"][0])
    assert x.dtype == np.float32 and x.shape == (3, 4096)
    np.testing.assert_allclose(x, np.load(train["path"][0]) * 1e20, rtol=1e-6)  # scaled to order 1
    xs, ys = StrainDataset(train["path"], train["target"])[1]
    assert xs.shape == (3, 4096) and xs.dtype == torch.float32 and ys.dtype == torch.float32 and ys.item() == 1
    assert StrainDataset(test["path"])[0][1].item() == 0.0


def _first(root, split="train"):
    return pd.read_csv(root / ("training_labels.csv" if split == "train" else "sample_submission.csv"),
                       dtype={"id": str})


def _break(root, how):
    """Damage the layout; returns (reader, text the one-line message must contain)."""
    labels = root / "training_labels.csv"
    first = sample_path(root, "train", _first(root)["id"][0])
    if how == "missing folder":
        return lambda: read_labels(root.parent / "nowhere"), ["nowhere/ not found", "python -m common.g2net.synth"]
    if how == "missing csv":
        labels.unlink()
        return lambda: read_labels(root), ["training_labels.csv not found", "g2net-gravitational-wave-detection"]
    if how == "unparseable csv":
        labels.write_bytes(b"")
        return lambda: read_labels(root), ["cannot parse", "training_labels.csv"]
    if how == "missing column":
        _first(root).drop(columns="target").to_csv(labels, index=False)
        return lambda: read_labels(root), ["training_labels.csv has no column target"]
    if how == "duplicate ids":
        df = _first(root)
        pd.concat([df, df.iloc[:1]]).to_csv(labels, index=False)
        return lambda: read_labels(root), ["training_labels.csv lists 1 ids more than once", df["id"][0]]
    if how == "ids without file":
        first.unlink()
        return lambda: read_labels(root), [
            "1 ids in", "training_labels.csv", _first(root)["id"][0], "train/<id[0]>/<id[1]>/<id[2]>/<id>.npy"]
    if how == "extra test file":
        extra = sample_path(root, "test", "abcdef0123")
        extra.parent.mkdir(parents=True, exist_ok=True)
        np.save(extra, np.zeros((3, 4096)))
        return lambda: read_submission_ids(root), ["1 files not listed in", "sample_submission.csv", "abcdef0123"]
    if how == "empty folder":
        for p in (root / "test").rglob("*.npy"):
            p.unlink()
        return lambda: read_submission_ids(root), ["test/ holds no .npy files", "python -m common.g2net.synth"]
    if how == "wrong shape":
        np.save(first, np.zeros((2, 4096)))
        return lambda: load_strain(first), [str(first), "shape (2, 4096)", "(3, 4096)"]
    if how == "wrong dtype":
        np.save(first, np.zeros((3, 4096), dtype=np.int64))
        return lambda: load_strain(first), [str(first), "int64", "float"]
    if how == "truncated file":
        first.write_bytes(first.read_bytes()[:1000])
        return lambda: load_strain(first), [f"cannot read {first}", "re-download or regenerate"]
    if how == "nan with nan_policy=error":
        x = np.load(first)
        x[1, 7] = np.nan
        np.save(first, x)
        return lambda: load_strain(first, nan_policy="error"), [str(first), "1 NaN/Inf", "nan_policy=error"]
    raise AssertionError(how)


BAD_INPUTS = ["missing folder", "missing csv", "unparseable csv", "missing column", "duplicate ids",
              "ids without file", "extra test file", "empty folder", "wrong shape", "wrong dtype",
              "truncated file", "nan with nan_policy=error"]


@pytest.mark.parametrize("how", BAD_INPUTS)
def test_bad_input_is_one_line_naming_the_file(g2net_dir, how):
    read, expected = _break(g2net_dir, how)
    with pytest.raises(UserError) as e:
        read()
    message = str(e.value)
    assert "\n" not in message
    for text in expected:
        assert text in message, (text, message)


def test_nan_warns_once_and_becomes_zero(g2net_dir, fresh_warning):
    paths = read_labels(g2net_dir)["path"]
    for p in paths[:2]:
        x = np.load(p)
        x[0, :3] = [np.nan, np.inf, -np.inf]
        np.save(p, x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a, b = load_strain(paths[0]), load_strain(paths[1])
    assert len(caught) == 1 and paths[0] in str(caught[0].message) and "NaN/Inf" in str(caught[0].message)
    assert (a[0, :3] == 0).all() and (b[0, :3] == 0).all() and np.isfinite(a).all()
