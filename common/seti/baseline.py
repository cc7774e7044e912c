"""SETI's classical baseline, in the style of turboSETI: an incoherent dedoppler of each scan on its own.

A scan's peak is its largest straight-line SNR over the drift rates and start channels of
common.seti.dedoppler. Score = mean of the three ON peaks - largest OFF peak:
high when all (or most) ON scans hold a line and no OFF scan does, so RFI seen in every scan and signals
in OFF scans score low. turbo_seti.find_doppler.FindDoppler is not used: it reads .h5/.fil files
through blimpy (one file per scan, padded to a power of two rows) and writes .dat/.log hit lists above
an SNR threshold, not a score per array.
"""
import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from common.seti.data import CadenceDataset
from common.seti.dedoppler import dedoppler, on_off_score, peak_features


def scan_peaks(x: torch.Tensor, max_drift: int) -> torch.Tensor:
    """(B, S, T, F) scans -> (B, S): each scan's largest straight-line SNR over drifts and start channels."""
    return dedoppler(x, max_drift).amax((-2, -1))


def _per_cadence(paths, fn, batch_size: int, workers: int, desc: str) -> np.ndarray:
    loader = DataLoader(CadenceDataset(paths), batch_size=batch_size, num_workers=workers)
    return torch.cat([fn(cadence) for cadence, _ in tqdm(loader, desc=desc, unit="batch", leave=False)]).numpy()


def classical_scores(paths, max_drift: int, batch_size: int, workers: int) -> np.ndarray:
    """ON-minus-OFF dedoppler score of each cadence file: mean ON peak - largest OFF peak."""
    return _per_cadence(paths, lambda x: on_off_score(scan_peaks(x, max_drift)), batch_size, workers, "dedoppler score")


def peak_feature_table(paths, max_drift: int, batch_size: int, workers: int) -> np.ndarray:
    """(N, 10) dedoppler statistics of the cadence files (common.seti.dedoppler.peak_features)."""
    return _per_cadence(paths, lambda x: peak_features(dedoppler(x, max_drift)), batch_size, workers,
                        "dedoppler statistics")
