"""bench/plain_script.py: the plain yardstick trains on the suite's fold split and scores the synthetic test split."""
import re

import torch

from bench import plain_script
from common.seti import synth


def test_plain_script_trains_and_scores_valid_and_test(tmp_path, capsys):
    torch.set_num_threads(1)
    data = tmp_path / "data"
    synth.main(["--out", str(data), "--train", "48", "--test", "8", "--old", "0", "--positive-fraction", "0.5",
                "--workers", "1"])
    plain_script.main(["--data-dir", str(data), "--epochs", "2", "--image-size", "32"])
    out = capsys.readouterr().out
    aucs = [float(a) for a in re.findall(r"epoch \d: valid AUC ([0-9.]+)", out)]
    assert len(aucs) == 2 and all(0 <= a <= 1 for a in aucs)
    assert re.search(r"test AUC [0-9.]+ \(8 cadences\)", out)
