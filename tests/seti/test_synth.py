"""common.seti.synth: Kaggle layout, determinism, where the signal sits, refusals and --show."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from common.seti import synth
from common.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
SIZES = ["--train", "24", "--test", "8", "--old", "8"]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "common.seti.synth", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def npy_path(data: Path, split: str, cid: str) -> Path:
    return data / synth.SPLIT_DIRS[split] / cid[0] / f"{cid}.npy"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A tiny dataset made through the real command line, with two worker processes."""
    out = tmp_path_factory.mktemp("synth") / "input"
    result = run_cli("--out", out, *SIZES, "--workers", 2, "--seed", 0)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def meta(data) -> pd.DataFrame:
    return pd.read_csv(data / "synth_meta.csv", dtype={"id": str, "signal_scans": str}, keep_default_na=False)


def test_layout_and_csvs(data, meta):
    assert list(meta.columns) == synth.META_COLUMNS
    assert meta.split.value_counts().to_dict() == {"train": 24, "test": 8, "old": 8}
    assert meta.id.str.fullmatch(r"[0-9a-f]{15}").all() and meta.id.is_unique
    labels = pd.read_csv(data / "train_labels.csv", dtype={"id": str})
    old_labels = pd.read_csv(data / "old" / "train_labels.csv", dtype={"id": str})
    submission = pd.read_csv(data / "sample_submission.csv", dtype={"id": str})
    assert list(labels.columns) == list(old_labels.columns) == list(submission.columns) == ["id", "target"]
    assert labels.target.dtype.kind == "i" and set(labels.target) <= {0, 1}
    assert submission.target.isin([0.5, 0]).all()
    for split, table in (("train", labels), ("old", old_labels), ("test", submission)):
        rows = meta[meta.split == split]
        assert sorted(table.id) == sorted(rows.id)
        if split != "test":
            assert dict(zip(table.id, table.target)) == dict(zip(rows.id, rows.target))
    assert (meta.target == (meta.kind == "needle")).all()
    assert meta.groupby("split").target.sum().to_dict() == {"train": 2, "test": 1, "old": 1}  # 10% rounded
    assert set(meta[meta.split == "train"].kind) == set(synth.KINDS)
    assert not (data / "test" / "sample_submission.csv").exists() and not (data / "old" / "test").exists()


def test_files_shapes_and_normalisation(data, meta):
    npys = sorted(data.rglob("*.npy"))
    assert len(npys) == len(meta)
    for row in meta.itertuples():
        x = np.load(npy_path(data, row.split, row.id))
        assert x.dtype == np.float16 and x.shape == (6, 273, 256)
        x = x.astype(np.float64)
        axes = (0, 1, 2) if row.split == "old" else (1, 2)  # old: whole cadence, else per scan
        np.testing.assert_allclose(x.mean(axes), 0, atol=2e-3)
        np.testing.assert_allclose(x.std(axes), 1, atol=2e-3)
    signal = meta[meta.kind != "noise"]
    assert (signal.snr > 0).all() and (signal.width > 0).all()
    assert set(signal.path) <= {"linear", "sine", "squared"} and set(signal.intensity) <= {"constant", "pulsed"}
    noise = meta[meta.kind == "noise"]
    assert (noise.signal_scans == "").all() and set(noise.path) == {"none"} and (noise.snr == 0).all()


def test_same_seed_same_bytes_whatever_the_workers(data, tmp_path):
    synth.generate(tmp_path / "again", {"train": 24, "test": 8, "old": 8}, seed=0, workers=1)
    assert files(tmp_path / "again") == files(data)
    synth.generate(tmp_path / "other", {"train": 24, "test": 8, "old": 8}, seed=1, workers=1)
    other = files(tmp_path / "other")
    assert other.keys() != files(data).keys()
    assert other["synth_meta.csv"] != files(data)["synth_meta.csv"]


@pytest.mark.parametrize("style", [synth.NEW, synth.OLD], ids=["new", "old"])
@pytest.mark.parametrize("kind", synth.KINDS)
def test_signal_only_in_named_scans(kind, style):
    allowed = {"needle": {0, 2, 4}, "off_only": {1, 3, 5}, "rfi": set(range(6)), "noise": set()}[kind]
    seen = set()
    for seed in range(12):
        x, meta = synth.make_cadence(np.random.default_rng(seed), kind, 20.0, style)
        y, _ = synth.make_cadence(np.random.default_rng(seed), kind, 20.0, style, with_signal=False)
        assert x.dtype == np.float32 and x.shape == (6, 273, 256)
        scans = {int(s) for s in meta["signal_scans"].split(",") if s}
        if style.per_scan_norm:
            changed = {s for s in range(6) if not np.array_equal(x[s], y[s])}
        else:  # one affine map over the whole cadence: fit it on the scans without signal
            free = [s for s in range(6) if s not in scans]
            a, b = np.polyfit(y[free].ravel(), x[free].ravel(), 1) if free else (1.0, 0.0)
            changed = {s for s in range(6) if np.abs(x[s] - (a * y[s] + b)).max() > 1e-3}
        assert changed == scans <= allowed
        assert len(scans) >= min(2, len(allowed))
        seen.add(len(scans))
    if kind in ("needle", "off_only"):
        assert seen == {2, 3}  # sometimes one scan goes missing


def test_refuses_to_overwrite(data, tmp_path):
    out = tmp_path / "input"
    (out / "train").mkdir(parents=True)
    with pytest.raises(UserError, match=re.escape(str(out)) + ".*--overwrite"):
        synth.generate(out, {"train": 2, "test": 0, "old": 0})
    meta = synth.generate(out, {"train": 2, "test": 1, "old": 0}, overwrite=True)
    assert len(meta) == 3 and (out / "train_labels.csv").is_file()
    result = run_cli("--out", out, "--train", 2)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"error: {out} already holds a dataset")


@pytest.mark.parametrize("option, value", [("--positive-fraction", "1.5"), ("--snr-min", "0"),
                                           ("--workers", "0"), ("--train", "-1")])
def test_bad_options(option, value, tmp_path):
    with pytest.raises(UserError, match=option):
        synth.main.__wrapped__(["--out", str(tmp_path / "x"), option, value])


def test_show_writes_png(data, meta, tmp_path):
    for split in ("train", "test", "old"):
        cid = meta[(meta.split == split) & (meta.kind != "noise")].id.iloc[0]
        png = synth.show(cid, data, tmp_path / f"{cid}.png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    synth.main(["--show", cid, "--data-dir", str(data), "--png", str(tmp_path / "cli.png")])
    assert (tmp_path / "cli.png").stat().st_size > 10_000


def test_show_unknown_id_is_one_line(data):
    result = run_cli("--show", "0123456789abcde", "--data-dir", data)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: no cadence 0123456789abcde in ") and str(data) in result.stderr


def test_prints_the_snr_range_it_used(tmp_path, capsys):
    synth.main(["--out", str(tmp_path / "bright"), "--train", "4", "--test", "0", "--old", "0", "--snr-min", "12",
                "--snr-max", "120", "--workers", "1"])
    assert "signal SNR 12-120 log-uniform)" in capsys.readouterr().out
    synth.main(["--out", str(tmp_path / "default"), "--train", "4", "--test", "0", "--old", "2", "--workers", "1"])
    assert "signal SNR 4-40 log-uniform; old/: x2 (the defaults)" in capsys.readouterr().out


def test_default_out_is_the_competitions_data_dir(monkeypatch):
    """Without --out the set lands where a SETI run reads it (not in input/, beside the other competition)."""
    from common.seti.config import Config

    written = []
    monkeypatch.setattr(synth, "generate", lambda out, *a: written.append(out) or pd.DataFrame({"target": []}))
    synth.main.__wrapped__(["--train", "1", "--test", "0", "--old", "0"])
    assert written == [Config().data_dir]
