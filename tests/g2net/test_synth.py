"""common.g2net.synth: Kaggle layout, determinism, the noise spectrum, where the signal sits and how loud,
refusals and --show. Self-contained (no conftest fixtures)."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.signal import hilbert, welch

from common.errors import UserError
from common.g2net import synth

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"train": 12, "test": 4}


def run_cli(*args, timeout=300):  # a loaded 2-core machine makes the 16 samples slow
    return subprocess.run([sys.executable, "-m", "common.g2net.synth", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A tiny dataset made through the real command line, with two worker processes."""
    out = tmp_path_factory.mktemp("g2synth") / "g2net"
    result = run_cli("--out", out, "--train", SIZES["train"], "--test", SIZES["test"], "--workers", 2,
                     "--seed", 0)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def meta(data) -> pd.DataFrame:
    return pd.read_csv(data / "synth_meta.csv", dtype={"id": str})


def test_layout_and_csvs(data, meta):
    assert list(meta.columns) == synth.META_COLUMNS
    assert meta.split.value_counts().to_dict() == SIZES
    assert meta.id.str.fullmatch(r"[0-9a-f]{10}").all() and meta.id.is_unique
    labels = pd.read_csv(data / "training_labels.csv", dtype={"id": str})
    submission = pd.read_csv(data / "sample_submission.csv", dtype={"id": str})
    assert list(labels.columns) == list(submission.columns) == ["id", "target"]
    assert labels.target.dtype.kind == "i" and set(labels.target) == {0, 1}
    assert (submission.target == 0.5).all()
    assert list(labels.id) == sorted(meta.id[meta.split == "train"]) and list(submission.id) == sorted(
        meta.id[meta.split == "test"])
    train = meta[meta.split == "train"]
    assert dict(zip(labels.id, labels.target)) == dict(zip(train.id, train.target))
    assert meta.groupby("split").target.sum().to_dict() == {"train": 6, "test": 2}  # exactly 50%
    npys = sorted(p.relative_to(data).as_posix() for p in data.rglob("*.npy"))
    expected = sorted(f"{r.split}/{r.id[0]}/{r.id[1]}/{r.id[2]}/{r.id}.npy" for r in meta.itertuples())
    assert npys == expected


def test_meta_values(meta):
    pos, neg = meta[meta.target == 1], meta[meta.target == 0]
    assert (neg[synth.SNR_COLUMNS] == 0).all().all() and neg[synth.SIGNAL_COLUMNS].isna().all().all()
    assert pos[synth.META_COLUMNS].notna().all().all()
    assert pos.snr.between(2, 14).all() and pos.merger_time.between(1.5, 1.9).all()
    quad = np.sqrt(pos.snr_h1**2 + pos.snr_l1**2 + pos.snr_v1**2)
    np.testing.assert_allclose(quad, pos.snr, rtol=1e-3)
    assert (pos.mass1 >= pos.mass2).all() and pos.mass2.between(5, 50).all() and pos.mass1.between(5, 50).all()
    assert pos.spin1z.between(-0.5, 0.5).all() and (pos.distance > 0).all()
    assert pos.dec.abs().le(np.pi / 2).all() and pos.inclination.between(0, np.pi).all()


def test_files_dtype_shape_magnitude(data, meta):
    for row in meta.itertuples():
        x = np.load(synth.npy_path(data, row.split, row.id))
        assert x.dtype == np.float64 and x.shape == (3, 4096) and np.isfinite(x).all()
        assert (1e-23 < x.std(1)).all() and (x.std(1) < 1e-18).all()  # raw strain, not normalised


def test_same_seed_same_bytes_whatever_the_workers(data, tmp_path):
    one = tmp_path / "one"
    synth.generate(one, SIZES, seed=0, workers=1)
    assert files(one) == files(data)
    other = tmp_path / "other"
    synth.generate(other, {"train": 4, "test": 0}, seed=1, workers=1)
    a = {k: v for k, v in files(other).items() if k.endswith(".npy")}
    b = {k: v for k, v in files(data).items() if k.endswith(".npy")}
    assert len(a) == 4 and not set(a) & set(b)  # other ids
    assert not set(a.values()) & set(b.values())  # other contents


def test_refuses_to_overwrite_then_overwrites(tmp_path):
    out = tmp_path / "d"
    synth.generate(out, {"train": 2, "test": 0}, seed=3)
    with pytest.raises(UserError, match="--overwrite"):
        synth.generate(out, {"train": 2, "test": 0}, seed=4)
    meta = synth.generate(out, {"train": 2, "test": 1}, seed=4, overwrite=True)
    assert sorted(p.stem for p in out.rglob("*.npy")) == sorted(meta.id)


def test_noise_matches_the_design_psd():
    """Welch PSD of pure noise, averaged over 16 samples, within 15% of the design PSD in 30-500 Hz; H1 and
    L1 differ."""
    rng = np.random.default_rng(0)
    noise = np.stack([synth.colored_noise(rng) for _ in range(16)])
    f, p = welch(noise, fs=synth.FS, nperseg=1024, axis=-1)
    p = p.mean(0)  # (3, 513)
    design = synth.design_psd()
    grid = np.fft.rfftfreq(synth.N, synth.DT)
    band = (f >= 30) & (f <= 500)
    for d, name in enumerate(synth.DETECTORS):
        ratio = p[d, band] / np.interp(f[band], grid, design[d])
        smooth = np.convolve(ratio, np.ones(9) / 9, mode="valid")
        assert abs(ratio.mean() - 1) < 0.05, name
        assert np.abs(smooth - 1).max() < 0.15, (name, smooth.min(), smooth.max())
    assert np.isfinite(design).all() and (design > 0).all()
    h1_over_l1 = np.sqrt(design[0, 60:2000] / design[1, 60:2000])  # ASDs, 30-1000 Hz
    assert 1.3 < h1_over_l1.min() and h1_over_l1.max() < 2.6  # distinct LIGO curves, of distinct shapes


@pytest.fixture(scope="module")
def loud():
    """A positive at network SNR 20 made in memory, and the noise the same rng state gives a negative."""
    strain, clean, meta = synth.make_sample(np.random.default_rng(123), 1, snr_min=20, snr_max=20)
    noise, zero, neg_meta = synth.make_sample(np.random.default_rng(123), 0, snr_min=20, snr_max=20)
    return strain, clean, meta, noise, zero, neg_meta


def test_optimal_snr_agrees_with_pycbc_sigma(loud):
    from pycbc.filter import sigma
    from pycbc.types import FrequencySeries, TimeSeries

    _, clean, meta, _, _, _ = loud
    assert meta["snr"] == 20
    psd = synth.design_psd()
    snrs = []
    for d, name in enumerate(synth.DETECTORS):
        s = sigma(TimeSeries(clean[d], delta_t=synth.DT), psd=FrequencySeries(psd[d].copy(), delta_f=0.5),
                  low_frequency_cutoff=synth.F_LOWER)
        assert s == pytest.approx(meta[f"snr_{name.lower()}"], rel=0.01), name
        snrs.append(s)
    assert np.sqrt(np.sum(np.square(snrs))) == pytest.approx(20, rel=0.05)


def test_matched_filter_with_the_known_signal(loud):
    strain, clean, meta, noise, zero, neg_meta = loud
    np.testing.assert_allclose(strain - clean, noise, rtol=0, atol=1e-35)  # same rng state: same noise
    assert not zero.any() and neg_meta["snr"] == 0 and np.isnan(neg_meta["mass1"])

    from pycbc.filter import overlap_cplx
    from pycbc.types import FrequencySeries, TimeSeries

    psds = [FrequencySeries(row.copy(), delta_f=0.5) for row in synth.design_psd()]

    def inner(a, b):  # network <a, b>, pycbc's noise-weighted inner product summed over the detectors
        return sum(overlap_cplx(TimeSeries(a[d], delta_t=synth.DT), TimeSeries(b[d], delta_t=synth.DT), psd=psd,
                                low_frequency_cutoff=synth.F_LOWER, normalized=False).real
                   for d, psd in enumerate(psds))

    def statistic(x):  # network <x, h> / sqrt(<h, h>): unit variance for noise, the optimal SNR on average
        return inner(x, clean) / np.sqrt(inner(clean, clean))

    assert statistic(clean) == pytest.approx(20, rel=1e-6)
    assert abs(statistic(strain) - 20) < 4
    rng = np.random.default_rng(7)
    noise_stats = [statistic(noise)] + [statistic(synth.colored_noise(rng)) for _ in range(40)]
    assert max(map(abs, noise_stats)) < 5
    assert 0.6 < np.std(noise_stats) < 1.5


def test_merger_where_the_metadata_says(loud):
    from pycbc.detector import Detector

    _, clean, meta, _, _, _ = loud
    assert 1.5 <= meta["merger_time"] <= 1.9
    peaks = np.abs(hilbert(clean, axis=-1)).argmax(-1) * synth.DT
    for d, name in enumerate(synth.DETECTORS):
        delay = Detector(name).time_delay_from_earth_center(meta["ra"], meta["dec"], synth.REF_GPS)
        assert abs(delay) < 0.022
        assert abs(peaks[d] - (meta["merger_time"] + delay)) < 0.005, name
    assert not clean[:, 0].any() and not clean[:, -1].any()  # tapered to 0 at both window edges
    assert np.abs(clean[:, :10]).max() < 1e-2 * np.abs(clean).max()


@pytest.mark.parametrize("args, message", [
    (["--train", "-1"], "--train must be >= 0"),
    (["--test", "-5"], "--test must be >= 0"),
    (["--seed", "-1"], "--seed must be >= 0"),
    (["--positive-fraction", "1.5"], "--positive-fraction"),
    (["--snr-min", "10", "--snr-max", "5"], "--snr-min"),
    (["--snr-min", "0"], "--snr-min"),
    (["--workers", "0"], "--workers must be >= 1"),
    (["--out", "README.md"], "is a file"),
    (["--show", "0123456789", "--data-dir", "."], "training_labels.csv"),
    (["--show", "0123456789", "--data-dir", "no/such/dir"], "does not exist"),
])
def test_bad_options_are_one_line_errors(args, message, tmp_path):
    out = [] if "--out" in args else ["--out", tmp_path / "never"]
    result = run_cli(*args, *out, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert not (tmp_path / "never").exists()


def test_refusal_on_existing_dataset_via_cli(data):
    before = files(data)
    result = run_cli("--out", data, "--train", 1, "--test", 0)
    assert result.returncode == 2 and "--overwrite" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert files(data) == before


def test_show_writes_png(data, meta, tmp_path):
    sample_id = meta[meta.target == 1].id.iloc[0]
    png = synth.show(sample_id, data, tmp_path / "x.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    with pytest.raises(UserError, match=re.escape("training_labels.csv")):
        synth.show("ffffffffff", data)
