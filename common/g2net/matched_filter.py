"""G2Net's classical detection statistic: a matched filter over a small IMRPhenomD template bank, the
detectors combined within their light-travel-time window.

This is what a gravitational-wave search does (PyCBC's matched filter and coincidence, without its signal
consistency tests), and the yardstick a network is measured against (bench/g2net_sensitivity.py).

Templates (`template_bank`): IMRPhenomD, zero spins, on a grid of chirp mass (geometric, BANK_MCHIRP
steps from Mc(5, 5) = 4.35 to Mc(50, 50) = 43.5 solar masses) by mass ratio q = m2 / m1 (BANK_Q), kept
where both masses lie in the generator's [5, 50] (common.g2net.synth.MASS_RANGE): 60 templates by
default. Each is generated like the synthetic signals (get_td_waveform, f_lower 20 Hz, 2048 Hz; the
plus polarisation, face-on) and cut to what a 2 s window can hold: its last TEMPLATE_PRE = 1.4 s before
the merger (the peak of |h+ - i hx|, the generator's definition) with a TEMPLATE_TAPER cosine ramp at
that start, and up to TEMPLATE_POST after it. A merger at 1.5-1.9 s leaves 1.4-1.8 s of inspiral in
the window; a longer template would be normalised over inspiral the data never hold. The template is
laid out cyclically with its merger at sample 0 (the inspiral wraps to the end of the 4096 samples), so
the SNR series peaks at the sample where the data's merger is. Spins are the generator's
U[-0.5, 0.5] aligned components: a zero-spin bank loses a little SNR on long, spinning inspirals.

Per detector (`MatchedFilter.snr_series`), exactly pycbc.filter.matched_filter(template, data, psd,
low_frequency_cutoff=20) (tests/g2net/test_matched_filter.py checks it sample by sample), computed for a
batch of samples and all templates at once with numpy/scipy FFTs in complex64 (pycbc's per-call overhead is ~15 ms, 200
calls a sample): the data are multiplied by a Tukey window (DATA_TUKEY: 0.1 s cosine ramps at each end,
against spectral leakage of the low-frequency noise), s~ = rfft(w s) dt; with the one-sided PSD S
(default: the design PSD the generator draws its noise from, common.g2net.synth.design_psd; or
`average_psd` of training negatives for data with no known PSD)

    z(t) = 4 df / sigma * sum_{20 Hz <= f < 1024 Hz} h~*(f) s~(f) / S(f) e^{2 pi i f t},
    sigma^2 = 4 df sum |h~(f)|^2 / S(f),

the complex SNR: |z| is the SNR maximised over the coalescence phase, of unit variance per quadrature
in Gaussian noise (|z|^2 ~ chi^2 with 2 degrees of freedom), and equal to the optimal SNR for a noise-free
signal that matches the template. The PSD is that of the unwindowed noise: where the window is 1 (the
whole merger region) the filter sees the noise unattenuated.

Network statistic (`MatchedFilter.__call__`): for each template and each time t of the reference
detector (H1) within SEARCH (the generator's merger range 1.5-1.9 s widened by the Earth's light-travel
radius 21 ms; the window's edges are never searched),

    rho^2(t) = |z_H1(t)|^2 + max_{|tau| <= T_L1} |z_L1(t + tau)|^2 + max_{|tau| <= T_V1} |z_V1(t + tau)|^2,

T_d the light-travel time between H1 and d (pycbc's Detector.light_travel_time_to_detector: 10.0 ms
for L1, 27.3 ms for V1; plus one sample for a
peak that lands between samples). This is coincidence with the maximum taken per detector: it allows
any arrival-time difference physics allows and any phase and amplitude in each detector (no coherence
test, which would need the antenna patterns). The sample's score is the maximum of rho over templates
and times. Maximising over a detector's delays adds its noise maximum too, yet V1 (AdvVirgo, less
sensitive) pays for it: on a synthetic set (seed 21, SNR U[2, 14]) H1+L1+V1 scored AUC 0.836 on the 1,000
test samples (0.863 on the 1,000 training samples), H1+L1 0.818 (0.835).

Bank efficiency (noise-free injections of the generator at SNR 10, 120 draws: score / optimal SNR): mean
0.87, by chirp mass 0.67 (4-10), 0.77 (10-15), 0.85 (15-20), 0.93 (20-30), 0.96 (30-45): the zero-spin
bank loses most on light, long, spinning inspirals. Spins (-0.3, 0, 0.3) for both bodies (180 templates,
3x the time) raise the mean to 0.93 (0.86 below chirp mass 10) and the test AUC above to 0.854.

`matched_filter_scores(paths)` scores strain files the way the loader reads them (x1e20 float32,
common.g2net.data.StrainDataset), batch by batch with a progress bar.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import scipy.fft
from scipy.ndimage import maximum_filter1d
from scipy.signal.windows import tukey
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from common.g2net import synth
from common.g2net.data import STRAIN_SCALE, StrainDataset

FS, N, DT = synth.FS, synth.N, synth.DT
DF = FS / N  # 0.5 Hz
DETECTORS = synth.DETECTORS
F_LOW = synth.F_LOWER  # Hz: low-frequency cutoff of every filter, as in the generator's SNR
KMIN, KMAX = int(F_LOW / DF), N // 2  # filtered bins: pycbc's get_cutoff_indices for this cutoff, Nyquist excluded

TEMPLATE_PRE = 1.4  # s of inspiral before the merger kept in a template
TEMPLATE_TAPER = 0.1  # s of cosine ramp at the template's start
TEMPLATE_POST = 0.1  # s after the merger kept at most (the ringdown is over within tens of ms)
DATA_TUKEY = 0.1  # Tukey alpha of the data window: 0.1 * 2 s / 2 = 0.1 s ramps at each end

BANK_MCHIRP = 16  # chirp-mass steps, geometric between Mc(5, 5) and Mc(50, 50)
BANK_Q = (1.0, 0.8, 0.6, 0.4, 0.25, 0.15)  # mass ratios m2 / m1
BANK_SPIN = (0.0,)  # aligned spin of both bodies

EARTH_RADIUS_DELAY = 0.0213  # s: the largest |delay| of a detector from the geocentre
SEARCH = (synth.MERGER_RANGE[0] - EARTH_RADIUS_DELAY - 0.005, synth.MERGER_RANGE[1] + EARTH_RADIUS_DELAY + 0.005)
DEFAULT_DETECTORS = DETECTORS  # all three: V1 helps (see the module docstring)


def chirp_mass(m1, m2):
    """(m1 m2)^(3/5) / (m1 + m2)^(1/5), solar masses: pycbc.conversions.mchirp_from_mass1_mass2."""
    from pycbc.conversions import mchirp_from_mass1_mass2

    return mchirp_from_mass1_mass2(np.asarray(m1, float), np.asarray(m2, float))


def template_bank(n_mchirp: int = BANK_MCHIRP, q_values=BANK_Q, spins=BANK_SPIN,
                  mass_range=synth.MASS_RANGE) -> pd.DataFrame:
    """The bank's (mass1 >= mass2, spin1z = spin2z, mchirp, q): a geometric chirp-mass grid of n_mchirp steps
    spanning the mass range, by the mass ratios q_values, by the aligned spins `spins` (both bodies alike),
    only points with both masses inside mass_range."""
    lo, hi = mass_range
    mcs = np.geomspace(chirp_mass(lo, lo), chirp_mass(hi, hi), n_mchirp) if n_mchirp > 1 else [chirp_mass(lo, hi)]
    rows = []
    for chi in spins:
        for q in q_values:
            for mc in mcs:
                m1 = mc * (1 + q) ** 0.2 / q ** 0.6
                m2 = q * m1
                if lo - 1e-6 <= m2 and m1 <= hi + 1e-6:
                    rows.append((round(float(m1), 3), round(float(m2), 3), float(chi), float(chi), float(mc), float(q)))
    return pd.DataFrame(rows, columns=["mass1", "mass2", "spin1z", "spin2z", "mchirp", "q"])


def template_waveform(mass1: float, mass2: float, spin1z: float = 0.0, spin2z: float = 0.0) -> np.ndarray:
    """One template in the time domain (N,): IMRPhenomD h+ (face-on), cut to TEMPLATE_PRE s before the merger
    (tapered there) and TEMPLATE_POST after, laid out cyclically with the merger at sample 0."""
    hp, hc = synth._pycbc().waveform.get_td_waveform(
        approximant=synth.APPROXIMANT, mass1=mass1, mass2=mass2, spin1z=spin1z, spin2z=spin2z,
        distance=1.0, delta_t=DT, f_lower=F_LOW)
    hp, hc = hp.numpy(), hc.numpy()
    peak = int(np.argmax(hp * hp + hc * hc))
    pre, post, ramp = round(TEMPLATE_PRE * FS), round(TEMPLATE_POST * FS), round(TEMPLATE_TAPER * FS)
    start = max(peak - pre, 0)
    seg = hp[start:peak + post + 1].copy()
    n_ramp = min(ramp, peak - start)
    seg[:n_ramp] *= 0.5 * (1 - np.cos(np.pi * np.arange(n_ramp) / n_ramp))
    out = np.zeros(N)
    out[(np.arange(start, start + len(seg)) - peak) % N] = seg
    return out


def data_window() -> np.ndarray:
    """The Tukey window (N,) the data are multiplied by before the FFT."""
    return tukey(N, DATA_TUKEY)


def average_psd(paths, batch_size: int = 64, num_workers: int = 0, nan_policy: str = "warn",
                progress: bool = True) -> np.ndarray:
    """One-sided PSD (3, N//2 + 1) in strain^2/Hz estimated from noise files (the training negatives):
    the average periodogram of the data as the filter sees them (x1e20 as loaded, Tukey window),
    2 dt |rfft(w x)|^2 / (N mean(w^2)) / 1e40, the noise's PSD where the window is 1."""
    paths = list(paths)
    if not paths:
        raise ValueError("average_psd needs at least one noise file")
    w = torch.from_numpy(data_window())
    total = torch.zeros(len(DETECTORS), N // 2 + 1, dtype=torch.float64)
    loader = DataLoader(StrainDataset(paths, nan_policy=nan_policy), batch_size=batch_size, num_workers=num_workers)
    for x, _ in tqdm(loader, desc="matched filter: PSD of negatives", disable=not progress, leave=False):
        total += torch.fft.rfft(x.double() * w).abs().pow(2).sum(0)
    psd = 2 * DT * total.numpy() / len(paths) / (N * np.mean(data_window() ** 2))
    return psd / STRAIN_SCALE**2


def delay_window(reference: str, detector: str) -> int:
    """Half-width in samples of the arrival-time window of `detector` around `reference`."""
    if reference == detector:
        return 0
    detector_class = synth._pycbc().detector.Detector
    tau = detector_class(reference).light_travel_time_to_detector(detector_class(detector))
    return int(np.ceil(tau * FS)) + 1


class MatchedFilter:
    """The matched-filter statistic of batches of strain (see the module docstring).

    bank: template_bank()'s table (mass1, mass2); psd: (3, N//2 + 1) one-sided PSD of H1, L1, V1 in raw
    strain units on rfftfreq(N, dt) (default synth.design_psd(N)); scale: the factor the input strain
    carries (the loader's x1e20; 1 for raw strain); detectors: those the network statistic combines,
    the first the reference for the time search.
    """

    def __init__(self, bank: pd.DataFrame | None = None, psd: np.ndarray | None = None,
                 scale: float = STRAIN_SCALE, detectors=DEFAULT_DETECTORS, search=SEARCH):
        self.bank = template_bank() if bank is None else bank.reset_index(drop=True)
        if self.bank.empty:
            raise ValueError("the template bank is empty")
        self.psd = np.asarray(synth.design_psd(N) if psd is None else psd, float)
        if self.psd.shape != (len(DETECTORS), N // 2 + 1) or not (self.psd[:, KMIN:KMAX] > 0).all():
            raise ValueError(f"psd must be positive, shape ({len(DETECTORS)}, {N // 2 + 1}); got {self.psd.shape}")
        unknown = set(detectors) - set(DETECTORS)
        if unknown or not detectors:
            raise ValueError(f"detectors {detectors!r}: choose among {', '.join(DETECTORS)}")
        self.detectors = tuple(detectors)
        self.rows = [DETECTORS.index(d) for d in self.detectors]
        self.scale = float(scale)
        self.search = slice(int(np.floor(search[0] * FS)), int(np.ceil(search[1] * FS)) + 1)
        self.windows = [delay_window(self.detectors[0], d) for d in self.detectors]
        spins = [self.bank.get(c, pd.Series(0.0, index=self.bank.index)) for c in ("spin1z", "spin2z")]
        self.waveforms = np.stack([template_waveform(*p) for p in zip(self.bank.mass1, self.bank.mass2, *spins)])
        h = np.fft.rfft(self.waveforms) * DT  # (T, F): template spectra
        # filter coefficients on whitened data: conj(h~) / sqrt(S) * 4 df N / sigma, per template and detector
        asd = np.sqrt(self.psd[:, KMIN:KMAX])  # (3, K)
        hw = h[:, None, KMIN:KMAX] / asd  # (T, 3, K)
        self.sigma = np.sqrt(4 * DF * np.sum(np.abs(hw) ** 2, -1))  # (T, 3): template norms, raw strain at 1 Mpc
        coef = np.zeros((len(self.bank), len(DETECTORS), KMAX), np.complex64)  # bins below KMIN stay 0
        coef[..., KMIN:] = np.conj(hw) * (4 * DF * N / self.sigma[..., None])
        self.coef = np.ascontiguousarray(coef[:, self.rows])  # (T, D, KMAX)
        self.asd = asd[self.rows] * self.scale  # (D, K): whitens data carrying `scale`
        self.window = data_window()

    def whitened_spectrum(self, x) -> np.ndarray:
        """(B, 3, N) strain -> (B, D, KMAX) complex64: rfft(window * x) dt / sqrt(S) (bins below KMIN: 0)."""
        x = np.asarray(x, np.float64)[:, self.rows]
        s = np.zeros(x.shape[:2] + (KMAX,), np.complex64)
        s[..., KMIN:] = np.fft.rfft(x * self.window, axis=-1)[..., KMIN:KMAX] * DT / self.asd
        return s

    def snr_series(self, x) -> np.ndarray:
        """(B, 3, N) strain -> (B, T, D, N) complex64 SNR series z (template t, detector d, time); sample j
        of z is the template's merger at data sample j. Bins from KMAX up (Nyquist, negative frequencies)
        are the zeros ifft pads with."""
        return scipy.fft.ifft(self.coef[None] * self.whitened_spectrum(x)[:, None], n=N, axis=-1, workers=1)

    def network(self, z: np.ndarray) -> np.ndarray:
        """(B, T, D, N) complex SNR -> (B, T, search length) network SNR rho over the reference detector's
        searched times, each other detector maximised within its light-travel window."""
        lo, hi = self.search.start, self.search.stop
        pad = max(self.windows)
        part = z[..., lo - pad:hi + pad]
        power = part.real ** 2 + part.imag ** 2  # (B, T, D, L): |z|^2
        total = np.zeros(power.shape[:2] + (hi - lo,), np.float32)
        for d, half in enumerate(self.windows):
            p = power[:, :, d]
            if half:
                p = maximum_filter1d(p, 2 * half + 1, axis=-1, mode="constant", cval=0.0)
            total += p[..., pad:pad + hi - lo]
        return np.sqrt(total)

    def __call__(self, x, details: bool = False, chunk: int = 4):
        """(B, 3, N) strain -> (B,) scores: max over templates and searched times of rho, `chunk` samples at
        a time. With details, also the best template's index (B,) and its reference-detector merger time in
        s (B,)."""
        x = np.asarray(x)
        best, template, time = [], [], []
        for i in range(0, len(x), chunk):
            rho = self.network(self.snr_series(x[i:i + chunk]))  # (b, T, L)
            flat = rho.reshape(len(rho), -1)
            where = flat.argmax(1)
            best.append(flat[np.arange(len(flat)), where])
            template.append(where // rho.shape[-1])
            time.append((self.search.start + where % rho.shape[-1]) / FS)
        best, template, time = (np.concatenate(v) if v else np.zeros(0) for v in (best, template, time))
        return (best, template, time) if details else best


def matched_filter_scores(paths, mf: MatchedFilter | None = None, batch_size: int = 16, num_workers: int = 0,
                          nan_policy: str = "warn", progress: bool = True) -> np.ndarray:
    """The matched-filter score of each strain file (read as the loader reads them, x1e20)."""
    mf = MatchedFilter() if mf is None else mf
    loader = DataLoader(StrainDataset(list(paths), nan_policy=nan_policy), batch_size=batch_size,
                        num_workers=num_workers)
    out = [mf(x.numpy()) for x, _ in tqdm(loader, desc=f"matched filter ({len(mf.bank)} templates)",
                                          unit="batch", disable=not progress)]
    return np.concatenate(out) if out else np.zeros(0)


def main_parser():
    import argparse

    p = argparse.ArgumentParser(prog="python -m common.g2net.matched_filter", description=(
        "Score a split of a G2Net data set with the matched filter; print its AUC when the labels are known "
        "(training_labels.csv for train, synth_meta.csv for a synthetic test split) and the rate."))
    p.add_argument("--data-dir", default="input/g2net", help="Kaggle-layout folder (default input/g2net)")
    p.add_argument("--split", choices=("train", "test"), default="test", help="which split (default test)")
    p.add_argument("--psd", choices=("design", "negatives"), default="design",
                   help="the generator's design PSD (default) or the training negatives' average periodogram")
    p.add_argument("--bank-mchirp", type=int, default=BANK_MCHIRP, help=f"chirp-mass steps (default {BANK_MCHIRP})")
    p.add_argument("--bank-spins", type=float, nargs="+", default=list(BANK_SPIN), help="aligned spins (default 0)")
    p.add_argument("--detectors", nargs="+", default=list(DEFAULT_DETECTORS), choices=DETECTORS,
                   help="detectors combined, the first the time reference (default H1 L1 V1)")
    p.add_argument("--limit", type=int, help="score only the first N samples")
    p.add_argument("--out", help="CSV of id, score")
    return p


def main(argv=None):
    import time

    from sklearn.metrics import roc_auc_score

    from common.errors import UserError
    from common.g2net.data import read_labels, read_submission_ids

    args = main_parser().parse_args(argv)
    df = read_labels(args.data_dir) if args.split == "train" else read_submission_ids(args.data_dir)
    if args.split == "test":
        meta_csv = Path(args.data_dir) / "synth_meta.csv"
        meta = pd.read_csv(meta_csv, dtype={"id": str}) if meta_csv.is_file() else None
        df = df.drop(columns="target")
        if meta is not None:
            df = df.merge(meta[meta.split == "test"][["id", "target"]], on="id", how="left")
    df = df.iloc[:args.limit] if args.limit else df
    psd = None
    if args.psd == "negatives":
        negatives = read_labels(args.data_dir).query("target == 0")
        if negatives.empty:
            raise UserError(f"--psd negatives needs training negatives in {args.data_dir}")
        psd = average_psd(negatives.path)
    start = time.perf_counter()
    mf = MatchedFilter(template_bank(args.bank_mchirp, spins=args.bank_spins), psd, detectors=args.detectors)
    built = time.perf_counter()
    scores = matched_filter_scores(df.path, mf)
    done = time.perf_counter()
    line = (f"matched filter: {len(mf.bank)} templates ({args.psd} PSD, {'+'.join(mf.detectors)}) on {len(df)} "
            f"{args.split} samples of {args.data_dir}: {len(df) / (done - built):.1f} samples/s "
            f"(bank built in {built - start:.1f} s)")
    if "target" in df and df.target.notna().all() and df.target.nunique() == 2:
        line += f"; AUC {roc_auc_score(df.target.round(), scores):.4f}"
    print(line)
    if args.out:
        pd.DataFrame({"id": df.id, "score": scores}).to_csv(args.out, index=False)


if __name__ == "__main__":
    from common.errors import cli

    cli(main)()
