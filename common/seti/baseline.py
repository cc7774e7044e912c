"""SETI's classical baseline, in the style of turboSETI: an incoherent dedoppler of each scan on its own.

For each drift rate on a grid of whole channels per scan (-max_drift .. max_drift) and each start channel,
the sum of the standardised scan along the straight line, divided by sqrt(rows): the line's SNR in noise
sigmas. A scan's peak is its largest line SNR. Score = mean of the three ON peaks - largest OFF peak:
high when all (or most) ON scans hold a line and no OFF scan does, so RFI seen in every scan and signals
in OFF scans score low. turbo_seti.find_doppler.FindDoppler is not used: it reads .h5/.fil files
through blimpy (one file per scan, padded to a power of two rows) and writes .dat/.log hit lists above
an SNR threshold, not a score per array.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from common.seti.cadence import OFF_SCANS, ON_SCANS
from common.seti.data import CadenceDataset

MAX_DRIFT = 48  # channels per scan: beyond the generator's 35 (a drift grid of whole channels)


def scan_peaks(x: torch.Tensor, max_drift: int) -> torch.Tensor:
    """(B, S, T, F) scans -> (B, S): each scan's largest straight-line SNR over drifts and start channels.

    A line of drift d channels per scan from channel f covers channel f + round(d * t / T) in row t.
    Rows sharing a shift are summed first (differences of cumulative sums over time); the |d| + 1 group
    sums are then shifted and added, which costs |d| + 1 rather than T gathers per drift.
    """
    batch, scans, rows, chans = x.shape
    x = (x - x.mean((-2, -1), keepdim=True)) / x.std((-2, -1), keepdim=True).clamp_min(1e-6)
    cum = F.pad(x.cumsum(-2), (0, 0, 1, 0))  # cum[..., r, :] = sum of rows before r
    peak = torch.full((batch, scans), -torch.inf)
    for drift in range(-max_drift, max_drift + 1):
        shifts, counts = torch.unique_consecutive(torch.round(drift * torch.arange(rows) / rows).long(),
                                                  return_counts=True)
        ends = counts.cumsum(0)
        groups = F.pad(cum[..., ends, :] - cum[..., ends - counts, :], (max_drift, max_drift))
        index = (max_drift + shifts[:, None] + torch.arange(chans)).expand(batch, scans, -1, -1)
        peak = torch.maximum(peak, groups.gather(-1, index).sum(-2).amax(-1))
    return peak / rows**0.5


def classical_scores(paths, max_drift: int, batch_size: int, workers: int) -> np.ndarray:
    """ON-minus-OFF dedoppler score of each cadence file: mean ON peak - largest OFF peak."""
    loader = DataLoader(CadenceDataset(paths), batch_size=batch_size, num_workers=workers)
    scores = []
    for cadence, _ in loader:
        peaks = scan_peaks(cadence, max_drift)
        scores.append(peaks[:, list(ON_SCANS)].mean(1) - peaks[:, list(OFF_SCANS)].amax(1))
    return torch.cat(scores).numpy()
