"""G2Net's classical statistics for blend.py: the matched filter's network SNR and excess power, in df's order."""
import numpy as np
from sklearn.metrics import roc_auc_score

from common.competition import competition
from common.config import load_config
from common.g2net import synth


def test_classical_features_find_loud_signals_in_the_samples_order(tmp_path):
    data = tmp_path / "input"
    synth.generate(data, {"train": 16, "test": 0}, seed=9, snr_min=20, snr_max=30)
    cfg = load_config("exp0101", [f"data_dir={data}", f"output_dir={tmp_path / 'out'}", "num_workers=0"])
    comp = competition(cfg)
    df = comp.read_train(cfg)
    features = comp.classical_features(cfg, df)
    assert list(features.columns) == ["matched_filter", "excess_power"] and len(features) == len(df)
    assert np.isfinite(features.to_numpy()).all()
    assert roc_auc_score(df.target, features.matched_filter) > 0.9  # SNR 20-30 signals stand out
    reversed_rows = comp.classical_features(cfg, df.iloc[::-1])
    assert np.allclose(reversed_rows.matched_filter.to_numpy()[::-1], features.matched_filter, rtol=1e-5)
