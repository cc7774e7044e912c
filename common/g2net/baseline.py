"""G2Net's plain classical baseline: excess power of the whitened strain, a detector that knows no waveform.

Each sample is whitened by the training negatives' average spectrum (the front end's Whiten) and
band-passed to BAND, where binary black holes of 5-50 solar masses put most of their SNR against the
design PSDs; its power, summed over the three detectors, is averaged over sliding WINDOW-long windows,
and the score is the loudest window. A merger adds power for a fraction of a second, so loud signals
score high; weak ones drown in the noise, which is where a network (or a matched filter, that knows
the waveform) must do better.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from common.g2net.data import StrainDataset
from common.g2net.frontend import SAMPLE_RATE, Whiten

BAND = (30.0, 350.0)  # Hz
WINDOW = 0.25  # s


def excess_power(whitened: torch.Tensor, window: float = WINDOW) -> torch.Tensor:
    """(B, 3, T) whitened, band-passed strain -> (B,) loudest mean power over `window` seconds."""
    samples = int(window * SAMPLE_RATE)
    power = whitened.pow(2).sum(1, keepdim=True)
    return F.avg_pool1d(power, samples, stride=samples // 8).amax(-1).squeeze(1)


@torch.no_grad()
def classical_scores(paths, spectrum, batch_size: int = 64, num_workers: int = 0, nan_policy: str = "warn") -> np.ndarray:
    """Excess-power score of each strain file, whitened by `spectrum` (common.g2net.frontend.cached_spectrum)."""
    whiten = Whiten(spectrum, BAND)
    loader = DataLoader(StrainDataset(paths, nan_policy=nan_policy), batch_size=batch_size, num_workers=num_workers)
    return torch.cat([excess_power(whiten(x)) for x, _ in loader]).numpy()
