"""G2Net front end: whitening flattens coloured noise, the spectrum cache, output shapes, checkpoints, autocast."""
import numpy as np
import pytest
import torch

from common.g2net import frontend
from common.g2net.frontend import (DETECTORS, N_RFFT, N_SAMPLES, SAMPLE_RATE, FrontEnd, Whiten,
                                   average_spectrum, cached_spectrum, fold_spectra)

FREQS = np.fft.rfftfreq(3 * N_SAMPLES, 1 / SAMPLE_RATE)
# steep low-frequency wall, a floor and a bump at 300 Hz: band powers over 30-500 Hz span > 100x
ASD = (np.maximum(FREQS, 10) / 30) ** -4 + 0.01 + 0.03 * np.exp(-0.5 * ((FREQS - 300) / 15) ** 2)
BANDS = [(30, 80), (80, 130), (130, 180), (180, 250), (250, 320), (320, 400), (400, 500)]


def coloured_noise(n, seed, detector_gain=(1.0, 1.3, 0.7)):
    """n samples (3, 4096) of Gaussian noise with amplitude spectrum ASD (per-detector gain), order 1."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal((n, 3, len(FREQS))) + 1j * rng.standard_normal((n, 3, len(FREQS)))
    x = np.fft.irfft(white * ASD, n=3 * N_SAMPLES)[..., N_SAMPLES:2 * N_SAMPLES]  # the middle: no wrap-around
    return x / 0.01 * np.asarray(detector_gain)[:, None]


def write_noise_files(folder, n, seed):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, x in enumerate(coloured_noise(n, seed)):
        paths.append(folder / f"{k:010x}.npy")
        np.save(paths[-1], x * 1e-20)  # raw strain, as in the Kaggle files
    return [f"{k:010x}" for k in range(n)], paths


def band_powers(x: torch.Tensor) -> np.ndarray:
    """Mean power per band in BANDS of x (B, 3, 4096), per detector: (3, len(BANDS)). Hann-windowed: with a
    rectangular window the leakage of the steep low-frequency noise would fill the high bands."""
    hann = torch.hann_window(x.shape[-1], periodic=False, dtype=torch.float64)
    power = torch.fft.rfft(x.double() * hann, norm="ortho").abs().pow(2).mean(0).numpy() / hann.pow(2).mean().item()
    f = np.fft.rfftfreq(x.shape[-1], 1 / SAMPLE_RATE)
    return np.stack([power[:, (f >= lo) & (f < hi)].mean(1) for lo, hi in BANDS], axis=1)


@pytest.fixture(scope="module")
def spectrum(tmp_path_factory):
    _, paths = write_noise_files(tmp_path_factory.mktemp("noise"), 48, seed=1)
    return average_spectrum(paths, batch_size=16, progress=False)


def test_whitening_flattens_the_noise_spectrum(spectrum):
    assert spectrum.shape == (3, N_RFFT) and (spectrum > 0).all()
    x = torch.tensor(coloured_noise(24, seed=2), dtype=torch.float32)  # other samples, same colour
    before = band_powers(x)
    assert (before.max(1) / before.min(1) > 100).all()  # orders of magnitude
    y = Whiten(spectrum)(x)
    assert y.shape == x.shape and y.dtype == torch.float32
    after = band_powers(y)
    assert (after.max(1) / after.min(1) < 1.5).all(), after
    assert 0.8 < y.var().item() < 1.25  # unit variance (whiten_gain), all three detectors alike
    passed = band_powers(Whiten(spectrum, bandpass=(30, 300))(x))
    assert passed[:, 0:4].min() > 0.7 and passed[:, -1].max() < 1e-3  # 400-500 Hz removed, band level kept


def test_spectrum_is_cached_and_recomputed_when_stale(tmp_path, monkeypatch, capsys):
    ids, paths = write_noise_files(tmp_path / "train", 8, seed=3)
    calls = []
    real = frontend.spectrum_sums
    monkeypatch.setattr(frontend, "spectrum_sums", lambda p, *a, **k: calls.append(len(p)) or real(p, *a, **k))

    first = cached_spectrum(tmp_path, ids, paths, progress=False)
    assert calls == [8] and (tmp_path / "whitening_spectrum.npz").is_file()
    again = cached_spectrum(tmp_path, ids[::-1], paths[::-1], progress=False)  # order does not matter
    assert calls == [8] and np.array_equal(first, again)
    assert "using" in capsys.readouterr().out.splitlines()[-1]

    cached_spectrum(tmp_path, ids[:7], paths[:7], progress=False)  # the labels changed
    out = capsys.readouterr().out
    assert calls == [8, 7] and "is stale (computed over 8 negatives, now 7), recomputing over 7 negatives" in out
    cached_spectrum(tmp_path, ids[1:], paths[1:], progress=False)  # same count, other ids
    assert calls == [8, 7, 7] and "the negatives' ids changed" in capsys.readouterr().out
    cached_spectrum(tmp_path, ids[1:], paths[1:], alpha=0.3, progress=False)  # other window
    assert calls == [8, 7, 7, 7] and "settings changed: tukey 0.5 -> 0.3" in capsys.readouterr().out
    np.save(paths[1], np.load(paths[1]) * 2)  # regenerated data under the same ids
    cached_spectrum(tmp_path, ids[1:], paths[1:], alpha=0.3, progress=False)
    assert calls == [8, 7, 7, 7, 7] and "the negatives' files changed" in capsys.readouterr().out
    (tmp_path / "whitening_spectrum.npz").write_bytes(b"garbage")
    cached_spectrum(tmp_path, ids[1:], paths[1:], alpha=0.3, progress=False)
    assert calls == [8, 7, 7, 7, 7, 7] and "is unreadable" in capsys.readouterr().out
    cached_spectrum(tmp_path, ids[1:], paths[1:], alpha=0.3, progress=False)
    assert calls == [8, 7, 7, 7, 7, 7]  # the rewritten cache is used


def test_spectrum_without_a_writable_folder(tmp_path, monkeypatch, capsys):
    ids, paths = write_noise_files(tmp_path / "train", 4, seed=4)

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(frontend.tempfile, "mkstemp", read_only)
    spectrum = cached_spectrum(tmp_path, ids, paths, progress=False)
    assert spectrum.shape == (3, N_RFFT) and not (tmp_path / "whitening_spectrum.npz").exists()
    assert "cannot write" in capsys.readouterr().out


def test_fold_spectra_leave_each_fold_out_from_one_cached_pass(tmp_path, monkeypatch, capsys):
    """Fold k's spectrum averages the negatives of the other folds only (its validation negatives are not in
    it), all folds from one pass over the files, cached; other folds are recomputed, never reused."""
    ids, paths = write_noise_files(tmp_path / "train", 9, seed=8)
    folds = [0, 1, 2] * 3
    expected = {k: average_spectrum([p for p, f in zip(paths, folds) if f != k], progress=False) for k in range(3)}
    passes = []
    real = frontend.spectrum_sums
    monkeypatch.setattr(frontend, "spectrum_sums", lambda p, *a, **k: passes.append(len(p)) or real(p, *a, **k))
    spectra = fold_spectra(tmp_path / "cache", ids, paths, folds, progress=False)
    assert passes == [9] and sorted(spectra) == [0, 1, 2] and (tmp_path / "cache" / frontend.FOLD_SPECTRUM_FILE).is_file()
    for k, spectrum in spectra.items():
        np.testing.assert_allclose(spectrum, expected[k], rtol=1e-12)
    assert not np.allclose(spectra[0], spectra[1])
    again = fold_spectra(tmp_path / "cache", ids[::-1], paths[::-1], folds[::-1], progress=False)
    assert passes == [9] and all(np.array_equal(again[k], spectra[k]) for k in spectra)
    capsys.readouterr()
    fold_spectra(tmp_path / "cache", ids, paths, [0, 1] * 4 + [0], progress=False)
    assert passes == [9, 9] and "is stale (the folds changed)" in capsys.readouterr().out


def test_front_end_shapes():
    x = torch.randn(2, 3, N_SAMPLES)
    assert FrontEnd("wave")(x).shape == (2, 3, N_SAMPLES)
    assert FrontEnd("cqt", image_size=64)(x).shape == (2, 3, 64, 64)
    assert FrontEnd("cqt", image_size=0)(x).shape == (2, 3, 64, 129)
    assert FrontEnd("cqt")(x[:1]).shape == (1, 3, 512, 512)  # the default image_size
    assert FrontEnd("cqt").out_channels == FrontEnd("wave").out_channels == len(DETECTORS) == 3
    with pytest.raises(ValueError, match="front end 'mel' is not one of cqt, wave"):
        FrontEnd("mel")


def test_front_end_has_no_trainable_parameters_and_a_state_dict():
    fe = FrontEnd("cqt", image_size=32)
    assert list(fe.parameters()) == []
    state = fe.state_dict()
    assert state["whiten.spectrum"].shape == (3, N_RFFT)
    assert state["cqt.cqt.cqt_kernels_real"].shape[:2] == (64, 1)  # nnAudio's kernels are buffers
    assert set(FrontEnd("wave").state_dict()) == {"whiten.spectrum"}


def test_placeholder_loads_the_training_spectrum(spectrum):
    x = torch.tensor(coloured_noise(2, seed=5), dtype=torch.float32)
    for kind in ("wave", "cqt"):
        trained = FrontEnd(kind, spectrum=spectrum, bandpass=(20, 500), image_size=32)
        restored = FrontEnd(kind, bandpass=(20, 500), image_size=32)
        assert not torch.equal(restored(x), trained(x))
        restored.load_state_dict(trained.state_dict())
        assert torch.equal(restored(x), trained(x))


def test_bad_spectrum_or_bandpass():
    with pytest.raises(ValueError, match="shape"):
        Whiten(np.ones((3, 100)))
    with pytest.raises(ValueError, match="finite and positive"):
        Whiten(np.zeros((3, N_RFFT)))
    with pytest.raises(ValueError, match="bandpass"):
        Whiten(bandpass=(500, 20))


def test_cqt_runs_in_float32_under_autocast(spectrum):
    fe = FrontEnd("cqt", spectrum=spectrum, image_size=32)
    x = torch.tensor(coloured_noise(2, seed=6), dtype=torch.float32)
    plain = fe(x)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        mixed = fe(x)
    assert mixed.dtype == torch.float32 and torch.isfinite(mixed).all()
    torch.testing.assert_close(mixed, plain)  # autocast does not reach inside
    assert 0.5 < plain.mean().item() < 2  # whitened noise images are of order 1 (CQT_NOISE_MEAN)


def test_chirp_shows_in_the_cqt(spectrum):
    noise = coloured_noise(1, seed=7)
    t = np.arange(N_SAMPLES) / SAMPLE_RATE
    phase = 2 * np.pi * (40 * t + 25 * t**2)  # 40 Hz -> 140 Hz over 2 s
    chirp = 0.03 * np.sin(phase) * np.exp(-0.5 * ((t - 1.5) / 0.3) ** 2)  # ~2x the in-band noise std (0.013)
    cqt = FrontEnd("cqt", spectrum=spectrum, image_size=0)
    quiet, loud = (cqt(torch.tensor(v, dtype=torch.float32)) for v in (noise, noise + chirp))
    assert loud.pow(2).sum() > 1.5 * quiet.pow(2).sum()


def test_cqt_keys_reach_the_front_end():
    from common.config import load_config
    from common.errors import UserError
    from common.g2net import competition

    cfg = load_config("exp0101", ["image_size=0", "cqt_fmin=30", "cqt_n_bins=40", "cqt_bins_per_octave=10",
                                  "cqt_hop=64"])
    fe = competition.make_front_end(cfg)
    assert fe(torch.randn(2, 3, N_SAMPLES)).shape == (2, 3, 40, 65)  # 4096 / 64 + 1 frames
    assert "30-448 Hz at 10 bins per octave" in repr(fe.cqt)  # 30 Hz x 2^(39/10)
    with pytest.raises(UserError, match="above the Nyquist frequency"):
        load_config("exp0101", ["cqt_n_bins=100", "cqt_bins_per_octave=12"])  # 22 Hz x 2^(99/12) = 6.6 kHz
    with pytest.raises(UserError, match="kernel .* is longer than the 4096-sample window"):
        load_config("exp0101", ["cqt_fmin=10", "cqt_bins_per_octave=24"])
