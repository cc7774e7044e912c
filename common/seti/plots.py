"""Figures saved as PNG files through matplotlib's Agg canvas (no display, no pyplot state)."""
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SCAN_LABELS = ("A (ON)", "B (OFF)", "A (ON)", "C (OFF)", "A (ON)", "D (OFF)")


def save_cadence_png(cadence: np.ndarray, path, title: str = "") -> Path:
    """Save a (6, time, frequency) cadence as six waterfalls stacked top to bottom in ABACAD order.

    All panels share one colour scale (1st to 99.5th percentile) so ON and OFF scans compare directly.
    """
    cadence = np.asarray(cadence, dtype=np.float32)
    vmin, vmax = np.nanpercentile(cadence, [1, 99.5])
    fig = Figure(figsize=(6, 10), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(cadence), 1, sharex=True)
    for ax, scan, label in zip(axes, cadence, SCAN_LABELS):
        ax.imshow(scan, aspect="auto", interpolation="nearest", cmap="viridis", vmin=vmin, vmax=vmax)
        ax.set_ylabel(label)
        ax.set_yticks([])
    axes[-1].set_xlabel("frequency channel")
    if title:
        fig.suptitle(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
