"""bench.full_configs: the largest experiments (by parameters and input size) train and evaluate at their real
size, so a shape or memory failure there cannot land; the whole list runs from the command."""
import re

import pytest

from bench import full_configs

# the largest by parameters (B7, ResNet152), the largest SETI input (B0 at 768 px), InceptionV3 and the 1D CNN at
# full width; the figures of every experiment are in docs/BENCHMARKS.md (full_configs block)
LARGEST = ("exp0106", "exp0113", "exp0010", "exp0107", "exp0114")


def test_the_largest_configs_train_and_evaluate_at_their_real_size(tmp_path, capsys):
    doc = tmp_path / "B.md"
    full_configs.main(["--exps", *LARGEST, "--steps", "1", "--data-dir", str(tmp_path / "data"), "--write",
                       "--doc", str(doc)])
    text = doc.read_text()
    for name in LARGEST:
        row = next(ln for ln in text.splitlines() if ln.startswith(f"| {name} |"))
        assert row.rstrip().endswith("| ok |"), row
    assert re.search(r"\| exp0106 \| tf_efficientnet_b7 \| 3x512x512 \| 6\d\.\d \|", text)
    assert "| exp0114 | g2net_cnn1d | 3x4096 |" in text and "| exp0010 | tf_efficientnet_b0 | 1x768x768 |" in text


def test_a_failing_config_is_named_in_its_row_and_fails_the_command(tmp_path, capsys):
    full_configs.make_data(tmp_path / "data", ["seti"], 8)
    with pytest.raises(SystemExit) as stop:  # the 4 training samples of fold 0 make no batch of 64
        full_configs.main(["--exps", "exp0001", "--data-dir", str(tmp_path / "data"), "--batch-size", "64"])
    assert stop.value.code == 1
    assert re.search(r"\| exp0001 \|.*\| failed: .*no batch of 64", capsys.readouterr().out)
