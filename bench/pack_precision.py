"""Which dtype can a G2Net pack use? In-band error of whitening rounded strain against float64 input.

    python -m common.g2net.synth --out /tmp/g2 --train 200 --test 40 --workers 2
    python -m bench.pack_precision --data-dir /tmp/g2 [--low-freq 1000]

The strain (x1e20, as common.g2net.data.load_strain gives it) is rounded to float32 and to float16, then
whitened in float64 exactly as common.g2net.frontend.Whiten does (odd reflection, Tukey window, division
by the mean amplitude spectrum of the negatives, computed from the same input); the figure is the power of
the difference to the float64 input's whitened output in 20-500 Hz, over that band's power. Twice: on the
data as they are, and with noise below 15 Hz added at `--low-freq` times the in-band rms: the synthetic
design-PSD noise holds little power below 15 Hz, real detector data far more, and float16's rounding
error scales with the total amplitude, not the in-band one.
"""
import argparse

import numpy as np
import torch

from common.errors import cli
from common.g2net import frontend as fe
from common.g2net.data import STRAIN_SCALE, read_labels

BAND = (20.0, 500.0)  # Hz


def whiten64(x: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    """Whiten x (N, 3, 4096) in float64 by the mean amplitude spectrum of x[negatives]."""
    window = fe.tukey(fe.N_FFT, fe.TUKEY_ALPHA, torch.float64)
    spec = fe._rfft(torch.from_numpy(x).double(), window)
    y = torch.fft.irfft(spec / spec[torch.from_numpy(negatives.copy())].abs().mean(0), n=fe.N_FFT, norm="ortho")
    return y[..., fe.PAD:fe.PAD + fe.N_SAMPLES].numpy()


def in_band_error(x: np.ndarray, negatives: np.ndarray, dtype) -> float:
    """In-band power of whiten(x rounded to dtype) - whiten(x), over the in-band power of whiten(x)."""
    freqs = np.fft.rfftfreq(fe.N_SAMPLES, 1 / fe.SAMPLE_RATE)
    band = (freqs >= BAND[0]) & (freqs <= BAND[1])
    ref = np.fft.rfft(whiten64(x, negatives), axis=-1)[..., band]
    rounded = x.astype(dtype).astype(np.float64)
    err = np.fft.rfft(whiten64(rounded, negatives), axis=-1)[..., band] - ref
    return float(np.sum(np.abs(err) ** 2) / np.sum(np.abs(ref) ** 2))


def add_low_frequency(x: np.ndarray, ratio: float, seed: int = 0) -> np.ndarray:
    """x plus Gaussian noise below 15 Hz whose rms is `ratio` times the rms of x's 20-500 Hz part."""
    freqs = np.fft.rfftfreq(fe.N_SAMPLES, 1 / fe.SAMPLE_RATE)
    spec = np.fft.rfft(x, axis=-1)
    in_band = np.fft.irfft(np.where((freqs >= BAND[0]) & (freqs <= BAND[1]), spec, 0), n=fe.N_SAMPLES, axis=-1)
    low = np.fft.rfft(np.random.default_rng(seed).standard_normal(x.shape), axis=-1)
    low[..., freqs >= 15] = 0
    low = np.fft.irfft(low, n=fe.N_SAMPLES, axis=-1)
    return x + low * (ratio * in_band.std() / low.std())


@cli
def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.pack_precision", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", required=True, help="a G2Net Kaggle layout (e.g. from common.g2net.synth)")
    p.add_argument("--low-freq", type=float, default=1000.0,
                   help="rms of the added < 15 Hz noise, in units of the in-band rms (default 1000)")
    p.add_argument("--max-samples", type=int, default=400, help="training samples read (default 400)")
    args = p.parse_args(argv)
    df = read_labels(args.data_dir).iloc[:args.max_samples]
    x = np.stack([np.load(path) for path in df["path"]]).astype(np.float64) * STRAIN_SCALE
    negatives = (df["target"] == 0).to_numpy()
    print(f"{len(df)} samples of {args.data_dir} ({negatives.sum()} negatives); in-band ({BAND[0]:g}-{BAND[1]:g} Hz) "
          "error power of the whitened strain / its in-band power, against float64 input:")
    for name, data in (("as generated", x), (f"+ noise below 15 Hz at {args.low_freq:g}x the in-band rms",
                                              add_low_frequency(x, args.low_freq))):
        figures = ", ".join(f"{np.dtype(d).name} {in_band_error(data, negatives, d):.2e}" for d in (np.float32, np.float16))
        print(f"  {name}: {figures}")


if __name__ == "__main__":
    main()
