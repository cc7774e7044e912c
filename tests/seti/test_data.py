import numpy as np
import pandas as pd
import pytest
import torch

from common.errors import UserError
from common.seti.competition import make_dataset, make_front_end
from common.seti.config import Config
from common.seti.data import (LAYOUTS, CadenceDataset, cadence_to_image, load_cadence, read_test, read_train,
                              resize_image, subtract_median)

EXPECTED = {"stack6": (1, 1638, 256), "on": (1, 819, 256), "aaa_bcd": (2, 819, 256), "aaabcd": (1, 1638, 256),
            "abacad": (6, 273, 256)}


def marked_cadence():
    """Scan s is filled with the value s, so layouts can be read back."""
    return torch.arange(6, dtype=torch.float32).view(6, 1, 1).expand(6, 273, 256).clone()


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layout_shapes_single_and_batched(layout):
    assert set(EXPECTED) == set(LAYOUTS)
    x = marked_cadence()
    assert tuple(cadence_to_image(x, layout).shape) == EXPECTED[layout]
    assert tuple(cadence_to_image(x.expand(3, 6, 273, 256), layout).shape) == (3, *EXPECTED[layout])


def test_layout_scan_order():
    x = marked_cadence()
    scans_of = lambda img: img[:, ::273, 0].tolist()  # noqa: E731  first row of each stacked scan
    assert scans_of(cadence_to_image(x, "stack6")) == [[0, 1, 2, 3, 4, 5]]
    assert scans_of(cadence_to_image(x, "aaa_bcd")) == [[0, 2, 4], [1, 3, 5]]
    assert scans_of(cadence_to_image(x, "aaabcd")) == [[0, 2, 4, 1, 3, 5]]
    assert scans_of(cadence_to_image(x, "on")) == [[0, 2, 4]]
    assert cadence_to_image(x, "abacad")[:, 0, 0].tolist() == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("mode", ["bicubic", "bilinear", "area", "nearest"])
def test_resize(mode):
    img = torch.rand(2, 819, 256)
    assert resize_image(img, 64, mode).shape == (2, 64, 64)
    assert resize_image(img[None], 64, mode).shape == (1, 2, 64, 64)
    assert resize_image(img, 0, mode) is img
    flat = torch.full((1, 100, 50), 3.0)
    assert torch.allclose(resize_image(flat, 32, mode), torch.tensor(3.0), atol=1e-4)


def test_subtract_median_zeroes_a_constant_spectrum():
    x = torch.rand(1, 256).expand(6, 273, 256)
    assert subtract_median(x).abs().max() == 0


def test_read_train_folds_are_stratified_and_reproducible(kaggle_dir):
    a, b = read_train(kaggle_dir, 4, seed=1), read_train(kaggle_dir, 4, seed=1)
    assert a["fold"].tolist() == b["fold"].tolist()
    assert a["fold"].tolist() != read_train(kaggle_dir, 4, seed=2)["fold"].tolist()
    per_fold = a.groupby("fold")["target"].agg(["sum", "count"])
    assert per_fold["sum"].tolist() == [2, 2, 2, 2] and per_fold["count"].tolist() == [4, 4, 4, 4]
    assert all(pd.Series(a["path"]).map(lambda p: p.endswith(".npy")))


def test_workers_give_cadences_and_the_front_end_makes_images(kaggle_dir):
    df = read_train(kaggle_dir, 4, seed=0)
    x, y = make_dataset(Config(), df, train=False)[0]
    assert x.shape == (6, 273, 256) and x.dtype == torch.float32 and y.item() == df["target"].iloc[0]
    batch = torch.stack([make_dataset(Config(), df, train=False)[i][0] for i in range(3)])
    for layout, channels in (("aaa_bcd", 2), ("abacad", 6)):
        front_end = make_front_end(Config(layout=layout, image_size=32))
        assert front_end(batch).shape == (3, channels, 32, 32)
        assert torch.allclose(front_end(batch)[1], resize_image(cadence_to_image(batch[1], layout), 32), atol=1e-5)


def test_albumentations_hook_sees_the_six_scans_as_channels(kaggle_dir):
    df = read_train(kaggle_dir, 4, seed=0)
    calls = []

    def hook(image):
        calls.append(image.shape)
        return {"image": image * 0}

    x, _ = CadenceDataset(df["path"], df["target"], image_transform=hook)[0]
    assert calls == [(273, 256, 6)] and x.shape == (6, 273, 256) and x.abs().max() == 0


# ---- bad input: one clear message naming the path ----

def test_missing_data_folder(tmp_path):
    with pytest.raises(UserError, match=r"nowhere/ not found; generate synthetic data with `python -m common.seti.synth"):
        read_train(tmp_path / "nowhere", 4, 0)


def test_missing_labels_csv(kaggle_dir):
    (kaggle_dir / "train_labels.csv").unlink()
    with pytest.raises(UserError, match="train_labels.csv not found"):
        read_train(kaggle_dir, 4, 0)


def test_labels_without_target_column(kaggle_dir):
    pd.DataFrame({"id": ["a"], "label": [1]}).to_csv(kaggle_dir / "train_labels.csv", index=False)
    with pytest.raises(UserError, match="train_labels.csv has no column target"):
        read_train(kaggle_dir, 4, 0)


def test_ids_without_files(kaggle_dir):
    df = pd.read_csv(kaggle_dir / "train_labels.csv")
    pd.concat([df, pd.DataFrame({"id": ["ffmissing1", "ffmissing2"], "target": [0, 1]})]).to_csv(
        kaggle_dir / "train_labels.csv", index=False)
    with pytest.raises(UserError, match=r"2 ids in .*train_labels.csv have no file in .*train/ \(e.g. ffmissing1, ffmissing2\)"):
        read_train(kaggle_dir, 4, 0)


def test_duplicate_ids(kaggle_dir):
    df = pd.read_csv(kaggle_dir / "train_labels.csv")
    pd.concat([df, df.iloc[:2]]).to_csv(kaggle_dir / "train_labels.csv", index=False)
    with pytest.raises(UserError, match="lists 2 ids more than once"):
        read_train(kaggle_dir, 4, 0)


def test_empty_test_folder(kaggle_dir):
    for f in (kaggle_dir / "test").rglob("*.npy"):
        f.unlink()
    with pytest.raises(UserError, match=r"test/ holds no .npy files"):
        read_test(kaggle_dir)


def test_wrong_shape_and_dtype(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((6, 16, 256), np.float16))
    with pytest.raises(UserError, match=r"a.npy holds a float16 array of shape \(6, 16, 256\); expected"):
        load_cadence(tmp_path / "a.npy")
    np.save(tmp_path / "b.npy", np.zeros((6, 273, 256), np.int32))
    with pytest.raises(UserError, match=r"b.npy holds a int32 array"):
        load_cadence(tmp_path / "b.npy")


def test_truncated_npy(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((6, 273, 256), np.float16))
    data = (tmp_path / "a.npy").read_bytes()
    (tmp_path / "a.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match=r"cannot read .*a.npy .*truncated or not a .npy array"):
        load_cadence(tmp_path / "a.npy")


def test_nan_values_are_zeroed_with_one_warning_or_an_error(tmp_path, monkeypatch):
    import common.data

    monkeypatch.setattr(common.data, "_warned_nonfinite", False)
    x = np.ones((6, 273, 256), np.float16)
    x[0, 0, :3] = np.nan
    x[1, 0, 0] = np.inf
    np.save(tmp_path / "a.npy", x)
    with pytest.warns(UserWarning, match="a.npy holds 4 NaN/Inf values, replaced with 0"):
        y = load_cadence(tmp_path / "a.npy")
    assert np.isfinite(y).all() and y[0, 0, 0] == 0 and y[2, 0, 0] == 1
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_cadence(tmp_path / "a.npy")  # warned once already
    with pytest.raises(UserError, match="holds 4 NaN/Inf values"):
        load_cadence(tmp_path / "a.npy", nan_policy="error")
