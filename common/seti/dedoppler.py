"""The incoherent dedoppler transform: each scan's straight-line SNR for every drift rate and start channel.

For drift d channels per scan (-max_drift .. max_drift, whole channels) and start channel f, the line covers
channel f + round(d * t / T) in row t; its SNR is the sum of the standardised scan along it divided by
sqrt(rows), in noise sigmas. The classical baseline (common.seti.baseline) scores a scan by the largest
value of this plane; the front end (common.seti.data.CadenceToImage, `dedoppler_channels`) shows the planes
to the network beside the scans, and `dedoppler_peaks` gives its head their peaks (peak_features).
"""
import functools

import torch
import torch.nn.functional as F

from common.seti.cadence import OFF_SCANS, ON_SCANS

MAX_DRIFT = 48  # channels per scan: beyond the generator's 35 (a drift grid of whole channels)


@functools.lru_cache(maxsize=32)
def shift_tables(rows: int, chans: int, max_drift: int, device: torch.device) -> tuple:
    """Per drift -max_drift .. max_drift, the tables dedoppler gathers with, on `device`: (ends, counts, index),
    the groups of rows that share a shift (their end row and length) and, per group, the channels of the padded
    plane it adds to each start channel. Built once per shape and device (not per forward pass: on an
    accelerator that was 3 copies from the host for each of the 97 drifts)."""
    tables = []
    for drift in range(-max_drift, max_drift + 1):
        shifts, counts = torch.unique_consecutive(torch.round(drift * torch.arange(rows) / rows).long(),
                                                  return_counts=True)
        index = max_drift + shifts[:, None] + torch.arange(chans)
        tables.append(tuple(t.to(device) for t in (counts.cumsum(0), counts, index)))
    return tuple(tables)


def dedoppler(x: torch.Tensor, max_drift: int = MAX_DRIFT) -> torch.Tensor:
    """(..., T, F) scans -> (..., 2 * max_drift + 1, F): line SNR per drift rate (rows) and start channel.

    Rows sharing a shift are summed first (differences of cumulative sums over time); the |d| + 1 group
    sums are then shifted and added, which costs |d| + 1 rather than T gathers per drift. Computed in float32.
    """
    x = x.float()
    rows, chans = x.shape[-2:]
    x = (x - x.mean((-2, -1), keepdim=True)) / x.std((-2, -1), keepdim=True).clamp_min(1e-6)
    cum = F.pad(x.cumsum(-2), (0, 0, 1, 0))  # cum[..., r, :] = sum of rows before r
    planes = []
    for ends, counts, index in shift_tables(rows, chans, max_drift, x.device):
        groups = F.pad(cum[..., ends, :] - cum[..., ends - counts, :], (max_drift, max_drift))
        planes.append(groups.gather(-1, index.expand(*groups.shape[:-1], -1)).sum(-2))
    return torch.stack(planes, -2) / rows**0.5


def follow_through(planes: torch.Tensor, scans) -> torch.Tensor:
    """(..., 6, 2M+1, F) scan planes -> (..., 2M+1, F): each straight line's SNR through the cadence's `scans`.

    The line starting at channel f of scan 0 with drift d channels per scan starts at channel f + d * k in
    scan k (scans back to back, as in the synthetic data; a real cadence's slews between scans shift it a
    little), so its SNR over `scans` is the sum of their planes there over sqrt(len(scans)); starts outside
    the band add nothing. A needle's line seen in three ON scans scores sqrt(3) times its scan SNR.
    """
    drifts, chans = planes.shape[-2:]
    drift = torch.arange(drifts, device=planes.device)[:, None] - drifts // 2
    total = torch.zeros_like(planes[..., 0, :, :])
    for k in scans:
        start = torch.arange(chans, device=planes.device) + drift * k  # (2M+1, F)
        index = start.clamp(0, chans - 1).expand_as(total)
        total += planes[..., k, :, :].gather(-1, index) * ((start >= 0) & (start < chans))
    return total / len(scans)**0.5


def on_off_planes(planes: torch.Tensor) -> torch.Tensor:
    """(..., 6, 2M+1, F) scan planes -> (..., 2, 2M+1, F): each line followed through the ON and the OFF scans."""
    return torch.stack([follow_through(planes, ON_SCANS), follow_through(planes, OFF_SCANS)], -3)


def on_off_score(peaks: torch.Tensor) -> torch.Tensor:
    """(..., 6) scan peaks -> (...): the classical score, mean ON peak - largest OFF peak."""
    return peaks[..., list(ON_SCANS)].mean(-1) - peaks[..., list(OFF_SCANS)].amax(-1)


PEAK_FEATURES = 10  # the length of peak_features' vector


def peak_features(planes: torch.Tensor, through: torch.Tensor | None = None) -> torch.Tensor:
    """(..., 6, 2M+1, F) scan planes -> (..., 10): the classical search's statistics of a cadence, in signed
    log scale (sign(v) log(1 + |v|)): each scan's peak (ON scans, then OFF), the peaks of the lines followed
    through the ON and through the OFF scans, the classical score (on_off_score) and the followed-through
    score (ON peak - OFF peak). A needle scores high on the last two; RFI in every scan on neither.
    `through`: on_off_planes(planes), where the caller has them already."""
    peaks = planes.amax((-2, -1))
    through = (on_off_planes(planes) if through is None else through).amax((-2, -1))
    scores = torch.stack([on_off_score(peaks), through[..., 0] - through[..., 1]], -1)
    v = torch.cat([peaks[..., list(ON_SCANS)], peaks[..., list(OFF_SCANS)], through, scores], -1)
    return v.sign() * v.abs().log1p()
