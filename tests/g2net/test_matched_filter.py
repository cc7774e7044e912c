"""common.g2net.matched_filter: pycbc's matched filter reproduced, optimal SNR recovered, injections far above
noise, the light-travel-time combination, the PSD estimate. Small banks, so it stays fast."""
import numpy as np
import pandas as pd
import pytest

from common.g2net import matched_filter as M
from common.g2net import synth

MASSES = (30.0, 20.0)


def signal(snr: float, seed: int = 0, **overrides) -> tuple[np.ndarray, dict]:
    """A clean projected signal (3, N) of network optimal SNR `snr`, masses MASSES, zero spins."""
    p = synth.draw_parameters(np.random.default_rng(seed))
    p.update(mass1=MASSES[0], mass2=MASSES[1], spin1z=0.0, spin2z=0.0, snr=snr, merger_time=1.7, **overrides)
    clean, snrs, _ = synth.make_signal(p)
    return clean, dict(p, snrs=snrs)


@pytest.fixture(scope="module")
def exact():
    """A one-template bank holding the injected masses, on raw strain (scale 1)."""
    return M.MatchedFilter(pd.DataFrame({"mass1": [MASSES[0]], "mass2": [MASSES[1]]}), scale=1.0)


@pytest.fixture(scope="module")
def small():
    """A 6-template bank around the injected masses (inputs x1e20, as the loader gives them)."""
    return M.MatchedFilter(M.template_bank(3, (1.0, 0.7), mass_range=(15.0, 45.0)))


def test_bank_covers_the_generator_masses():
    bank = M.template_bank()
    assert 50 <= len(bank) <= 70
    assert (bank.mass2 >= 5 - 1e-3).all() and (bank.mass1 <= 50 + 1e-3).all() and (bank.mass2 <= bank.mass1).all()
    assert bank.mchirp.min() == pytest.approx(M.chirp_mass(5, 5)) and bank.mchirp.max() == pytest.approx(M.chirp_mass(50, 50))
    assert len(M.template_bank(spins=(-0.3, 0.0, 0.3))) == 3 * len(bank)


def test_snr_series_is_pycbcs_matched_filter(exact):
    from pycbc.filter import matched_filter
    from pycbc.types import FrequencySeries

    rng = np.random.default_rng(3)
    clean, _ = signal(12.0)
    for x in (synth.colored_noise(rng) + clean, synth.colored_noise(rng)):
        z = exact.snr_series(x[None])[0, 0]  # (3, N)
        template = FrequencySeries(np.fft.rfft(exact.waveforms[0]) * M.DT, delta_f=M.DF)
        for d in range(3):
            data = FrequencySeries(np.fft.rfft(x[d] * exact.window) * M.DT, delta_f=M.DF)
            psd = FrequencySeries(exact.psd[d].copy(), delta_f=M.DF)
            ref = matched_filter(template, data, psd=psd, low_frequency_cutoff=M.F_LOW).numpy()
            assert np.abs(z[d] - ref).max() < 1e-3 * np.abs(ref).max()


def test_noise_free_signal_gives_its_optimal_snr(exact):
    clean, p = signal(15.0, seed=1)
    score, template, t = exact(clean[None], details=True)
    assert 0.85 * 15 < score[0] <= 1.01 * 15
    assert abs(t[0] - p["merger_time"]) < 0.025  # the H1 merger: geocentre time + |delay| <= 21 ms
    z = np.abs(exact.snr_series(clean[None])[0, 0]).max(-1)
    np.testing.assert_allclose(z, p["snrs"], rtol=0.1, atol=0.2)  # per detector too


def test_injection_scores_far_above_noise(small):
    rng = np.random.default_rng(7)
    noise = np.stack([synth.colored_noise(rng) for _ in range(6)])
    clean, _ = signal(15.0, seed=2)
    scores = small(np.concatenate([noise, (noise[0] + clean)[None]]) * 1e20)
    assert scores[-1] > 10 and scores[:-1].max() < 7.5 and scores[-1] > scores[:-1].max() + 3
    assert small(noise * 1e20).tolist() == pytest.approx(scores[:-1].tolist())  # batches do not mix


def test_detectors_combine_within_light_travel_time(exact):
    """H1 and L1 each at SNR 8: the network SNR is sqrt(8^2 + 8^2) when L1 lags by 8 ms (< 10 ms), about 8
    when it lags by 40 ms (no physical source does that)."""
    clean, _ = signal(10.0, seed=4)
    h1 = clean[0] * 8 / synth.optimal_snr(clean[:1])[0]
    l1 = clean[0] * 8 / synth.optimal_snr(clean[None, 0], synth.design_psd()[1:2])[0]  # SNR 8 against L1's PSD

    def score(lag: float) -> float:
        x = np.zeros((3, M.N))
        x[0], x[1] = h1, np.roll(l1, round(lag * M.FS))
        return float(exact(x[None])[0])

    assert score(0.008) == pytest.approx(8 * np.sqrt(2), rel=0.05)
    assert score(-0.008) == pytest.approx(8 * np.sqrt(2), rel=0.05)
    assert score(0.040) < 0.75 * 8 * np.sqrt(2)


def test_delay_windows_are_the_light_travel_times():
    # pycbc: H1-L1 10.01 ms, H1-V1 27.29 ms, L1-V1 26.45 ms; one sample more for a peak between samples
    assert [M.delay_window(*pair) for pair in (("H1", "H1"), ("H1", "L1"), ("L1", "H1"), ("H1", "V1"), ("L1", "V1"))] == [
        0, 22, 22, 57, 56]


def test_average_psd_of_noise_files_is_the_design_psd(tmp_path):
    rng = np.random.default_rng(5)
    paths = []
    for i in range(24):
        paths.append(tmp_path / f"{i}.npy")
        np.save(paths[-1], synth.colored_noise(rng))
    psd = M.average_psd(paths, progress=False)
    band = slice(M.KMIN, 1000)  # 20-500 Hz
    ratio = psd[:, band] / synth.design_psd()[:, band]
    assert np.abs(ratio.mean(1) - 1).max() < 0.05
