"""common.pack: one memory-mapped array per split, read instead of the files when present and fresh."""
import dataclasses
import json
import os

import numpy as np
import pytest
import torch

from common import pack
from common.competition import competition
from common.config import load_config
from common.errors import UserError
from conftest import run, tiny_settings, write_kaggle_layout
from g2net.test_data import write_g2net_layout


@pytest.fixture(params=["seti", "g2net"])
def layout(request, tmp_path):
    """(cfg, data_dir) of a tiny Kaggle layout of each competition."""
    root = tmp_path / request.param
    if request.param == "seti":
        write_kaggle_layout(root, n_train=8, n_test=3)
        exp = "exp0001"
    else:
        root.mkdir()
        write_g2net_layout(root, n_train=6, n_test=3)
        exp = "exp0101"
    cfg = load_config(exp, [f"data_dir={root}", "n_folds=2", "num_workers=0", "wandb=false"])
    pack._checked.clear()
    return cfg, root


def build_all(cfg, **kw):
    comp = competition(cfg)
    for df in (comp.read_train(cfg), comp.read_test(cfg)):
        pack.build(cfg, df, progress=False, log=lambda *_: None, **kw)


def samples(cfg, df):
    ds = competition(cfg).make_dataset(cfg, df, train=False)
    return ds, [ds[i] for i in range(len(ds))]


def test_pack_gives_the_same_samples_as_the_files(layout):
    cfg, root = layout
    comp = competition(cfg)
    train, test = comp.read_train(cfg), comp.read_test(cfg)
    _, from_files = samples(cfg, train)
    build_all(cfg)
    npy = root / "packed" / "train.npy"
    arr = np.load(npy, mmap_mode="r")
    assert arr.shape == (len(train), *comp.SAMPLE_SHAPE) and arr.dtype == np.dtype(comp.PACK_DTYPE)
    info = json.loads((root / "packed" / "train.json").read_text())
    assert info["count"] == len(train) and info["inexact_samples"] == 0  # float16 SETI files, float32 G2Net
    for df, files in ((train, from_files), (test, samples(dataclasses.replace(cfg, packed=False), test)[1])):
        ds, from_pack = samples(cfg, df)
        assert ds.packed is not None  # the pack is read, not the files
        for (xf, yf), (xp, yp) in zip(files, from_pack):
            assert xp.dtype == torch.float32 and torch.equal(xf, xp) and torch.equal(yf, yp)
    # a fold subset, and train and test rows mixed (pseudo labels), map to the right rows
    mixed = __import__("pandas").concat([train.iloc[[3, 0]], test.iloc[[2]]])
    ds, got = samples(cfg, mixed)
    assert len(ds.packed.files) == 2
    for (x, _), path in zip(got, mixed["path"]):
        assert torch.equal(x, torch.from_numpy(comp.load_sample(cfg, path)))
    # in loader workers: each opens the memmap itself
    loader = torch.utils.data.DataLoader(ds, batch_size=3, num_workers=2)
    assert torch.equal(next(iter(loader))[0], torch.stack([x for x, _ in got]))
    assert samples(dataclasses.replace(cfg, packed=False), train)[0].__class__.__name__ != "PackedDataset"


def test_no_pack_reads_the_files(layout):
    cfg, _ = layout
    assert pack.packed_rows(cfg, competition(cfg).read_train(cfg)) is None


def _stale(cfg, df, match):
    pack._checked.clear()  # a new process
    with pytest.raises(UserError, match=match) as e:
        competition(cfg).make_dataset(cfg, df, train=False)
    msg = str(e.value)
    assert "\n" not in msg and "python -m common.pack --competition" in msg and "packed.train.npy" not in msg
    assert str(cfg.data_dir) in msg and "train.npy" in msg


def test_stale_after_touching_or_replacing_a_file(layout):
    cfg, root = layout
    comp = competition(cfg)
    build_all(cfg)
    train = comp.read_train(cfg)
    path = train["path"].iloc[1]
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched: same bytes, newer mtime
    _stale(cfg, train, "stale: 1 train files changed since it was built")
    assert getattr(samples(dataclasses.replace(cfg, packed=False), train)[0], "packed", None) is None  # files
    pack.build(cfg, train, progress=False, log=lambda *_: None)
    pack._checked.clear()
    assert samples(cfg, train)[0].packed is not None  # rebuilt: fresh again
    x = np.load(path)
    np.save(path, x * 2)  # replaced with other values (same size)
    _stale(cfg, train, "stale: 1 train files changed")


def test_stale_after_adding_an_id(layout, tmp_path):
    cfg, root = layout
    build_all(cfg)
    # a new sample: copy one file under a new id and list it in the labels CSV
    comp = competition(cfg)
    train = comp.read_train(cfg)
    new_id = "f" * len(train["id"].iloc[0])
    depth = len(os.path.relpath(train["path"].iloc[0], root).split(os.sep)) - 2
    new = root.joinpath("train", *new_id[:depth], f"{new_id}.npy")
    new.parent.mkdir(parents=True, exist_ok=True)
    new.write_bytes(open(train["path"].iloc[0], "rb").read())
    csv = root / ("train_labels.csv" if cfg.competition == "seti" else "training_labels.csv")
    csv.write_text(csv.read_text() + f"{new_id},1\n")
    cfg = dataclasses.replace(cfg, n_folds=2)
    _stale(cfg, comp.read_train(cfg), "stale: 1 of these .* train samples are not in it")
    # `python -m common.pack` rebuilds what is stale, skips what is fresh
    pack.main(["--competition", cfg.competition, "--data-dir", str(root), "--workers", "0"])
    pack._checked.clear()
    assert samples(cfg, comp.read_train(cfg))[0].packed is not None


def test_interrupted_build_leaves_no_valid_looking_pack(layout, monkeypatch):
    cfg, root = layout
    comp = competition(cfg)
    train = comp.read_train(cfg)
    build_all(cfg)  # a complete older pack, then a rebuild that fails half way
    calls = {"n": 0}
    real = comp.load_sample

    def failing(c, path):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return real(c, path)

    monkeypatch.setattr(comp, "load_sample", failing)
    with pytest.raises(KeyboardInterrupt):
        pack.build(cfg, train, batch_size=2, progress=False)
    monkeypatch.undo()
    assert not [p for p in (root / "packed").iterdir() if p.name.startswith(".")]  # temporaries removed
    assert not (root / "packed" / "train.json").exists()  # the old manifest went first
    _stale(cfg, train, "incomplete .no manifest: an interrupted build")
    # a killed build (no cleanup) leaves only temporaries, which nothing reads as a pack
    (root / "packed" / "train.npy").unlink()
    (root / "packed" / "train_ids.csv").unlink()
    (root / "packed" / ".train.npy.tmp").write_bytes(b"\x93NUMPY")
    assert pack.packed_rows(cfg, train) is None
    # a manifest that does not match its array (truncated copy) is refused
    pack.build(cfg, train, progress=False, log=lambda *_: None)
    with open(root / "packed" / "train.npy", "r+b") as f:
        f.truncate(1000)
    _stale(cfg, train, "incomplete .missing or of another size")


def test_pack_command_and_training_use(tmp_path, root):
    """`python -m common.pack --exp` then main.py trains from the pack, and refuses a stale one in one line."""
    import sys


    data = write_kaggle_layout(tmp_path / "input", n_train=8, n_test=2)
    out = run(root, sys.executable, "-m", "common.pack", "--exp", "exp0001", "--set", f"data_dir={data}",
              "--workers", "0")
    assert "packed 8 train samples" in out.stdout + out.stderr and (data / "packed" / "test.npy").is_file()
    again = run(root, sys.executable, "-m", "common.pack", "--exp", "exp0001", "--set", f"data_dir={data}",
                "--split", "train")
    assert "is up to date" in again.stdout
    path = next((data / "train").rglob("*.npy"))
    os.utime(path, ns=(0, 10**18))
    res = run(root, sys.executable, "main.py", "--exp", "exp0001",
              *tiny_settings(data, tmp_path / "out", "epochs=1", "batch_size=4"), check=False)
    assert res.returncode == 2
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "is stale" in err[0] and "common.pack" in err[0]


def test_a_read_only_data_dir_is_packed_elsewhere(layout, tmp_path):
    """pack_dir (Kaggle's /kaggle/input is read-only): `python -m common.pack --pack-dir` writes there, nothing
    under data_dir, and training reads the pack there."""
    cfg, root = layout
    comp = competition(cfg)
    train = comp.read_train(cfg)
    packs = tmp_path / "packs"
    modes = {p: p.stat().st_mode for p in [root, *root.rglob("*")]}
    for p in modes:
        p.chmod(p.stat().st_mode & ~0o222)  # read-only (root ignores it: the listing below is the check)
    try:
        pack.main(["--competition", cfg.competition, "--data-dir", str(root), "--pack-dir", str(packs),
                   "--workers", "0"])
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
    assert sorted([root, *root.rglob("*")]) == sorted(modes)  # nothing written under data_dir
    assert (packs / "train.npy").is_file() and (packs / "test.json").is_file()
    assert pack.packed_rows(cfg, train) is None  # <data_dir>/packed: none there
    elsewhere = dataclasses.replace(cfg, pack_dir=str(packs))
    ds, from_pack = samples(elsewhere, train)
    assert ds.packed is not None and ds.packed.files[0] == str(packs / "train.npy")
    for (x, _), path in zip(from_pack, train["path"]):
        assert torch.equal(x, torch.from_numpy(comp.load_sample(cfg, path)))
    os.utime(train["path"].iloc[0], ns=(0, 10**18))  # a stale pack there names the command with its --pack-dir
    _stale(elsewhere, train, f"--pack-dir {packs}")


def test_building_and_reading_a_pack_hold_rows_not_the_pack_in_memory(tmp_path):
    """The build appends rows to the file and the readers read rows from it: a memory map would keep every row
    written or read resident in the process, up to the whole pack (50 GB for Kaggle's SETI training set)."""
    from bench.scaling import step

    write_kaggle_layout(tmp_path, n_train=96, n_test=1)
    cfg = load_config("exp0001", [f"data_dir={tmp_path}", "n_folds=2", "wandb=false"])
    df = competition(cfg).read_train(cfg)
    build = dict(workers=0, batch_size=1, progress=False, log=lambda *_: None)
    pack.build(cfg, df.iloc[:2], **build)  # first-use allocations outside the figure
    measured = {}
    with step(measured, "pack"):
        npy = pack.build(cfg, df, **build)
    assert np.load(npy, mmap_mode="r").shape == (96, 6, 273, 256)
    assert measured["pack"]["peak_mib"] < npy.stat().st_size / 2**20 / 4  # 80 MiB of rows, ~6 MiB of a batch
    rows = pack.packed_rows(cfg, df)
    with step(measured, "read"):  # a memory map would keep the pages of every row read resident
        total = sum(float(rows[i].sum()) for i in range(len(rows)))
    assert measured["read"]["peak_mib"] < npy.stat().st_size / 2**20 / 4
    assert total == pytest.approx(sum(float(np.load(p).astype(np.float32).sum()) for p in df["path"]), rel=1e-6)
    assert np.array_equal(rows[5], competition(cfg).load_sample(cfg, df["path"][5]))
