"""common.accel: the process group waits long enough for the main process's preprocessing."""
import os
import re
import sys

from common.accel import PROCESS_GROUP_TIMEOUT
from conftest import ROOT, free_port, run

SHOW_TIMEOUT = """
import torch
from common.accel import process_state

state = process_state()
group = torch.distributed.group.WORLD
print(f"rank {state.process_index} timeout {group._get_backend(torch.device('cpu')).options._timeout.total_seconds():.0f}")
"""


def test_the_process_group_waits_hours_for_preprocessing(tmp_path):
    """G2Net's whitening spectrum is one pass over ~280,000 files on the main process while the others wait at
    a broadcast: the process group that process_state forms (every Accelerator after it shares it) waits hours,
    not torch's default (NCCL 10 min, gloo 30 min)."""
    script = tmp_path / "show_timeout.py"
    script.write_text(SHOW_TIMEOUT)
    out = run(ROOT, sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", 2,
              "--main_process_port", free_port(), script, env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = PROCESS_GROUP_TIMEOUT.total_seconds()
    assert seconds >= 2 * 3600
    shown = sorted(re.findall(r"rank \d timeout \d+", out.stdout))  # the two processes' lines may interleave
    assert shown == [f"rank {r} timeout {seconds:.0f}" for r in (0, 1)], out.stdout  # gloo's default: 1800
