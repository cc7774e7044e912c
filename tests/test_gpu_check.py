"""bench/gpu_check.sh: its dry run (the check's code on the CPU at tiny sizes, in 1 and 2 processes) writes
every case's row, so the check cannot rot before a GPU machine runs it."""
import os
import sys

from bench import gpu_check
from conftest import run


def rows(doc) -> list[str]:
    block = doc.read_text().split("<!-- gpu_check start -->")[1].split("<!-- gpu_check end -->")[0]
    return [ln for ln in block.splitlines() if ln.startswith(("| SETI", "| G2Net"))]


def test_dry_run_writes_a_row_per_case_and_the_two_process_row(root, tmp_path):
    doc = tmp_path / "B.md"
    doc.write_text("# Benchmarks\n\nkept\n")
    run(root, "bash", "bench/gpu_check.sh", "--dry", "--doc", doc,
        env={**os.environ, "PY": sys.executable, "OMP_NUM_THREADS": "1", "GPU_CHECK_PORT": "29541"})
    written = rows(doc)
    assert len(written) == len(gpu_check.cases(dry=True)) + 1, written
    assert not [r for r in written if "failed" in r or "skipped" in r], written
    cells = [[c.strip() for c in r.strip("|").split("|")] for r in written]
    assert [c[5] for c in cells] == ["1"] * (len(cells) - 1) + ["2"]  # processes
    assert {c[0] for c in cells} == {"SETI B0", "G2Net CQT B0", "G2Net 1D CNN"}
    assert {tuple(c[2:5]) for c in cells} == {("fp16", "False", "False"), ("fp16", "True", "False"),
                                              ("bf16", "False", "False"), ("fp16", "True", "True")}
    assert "Dry run on the CPU" in doc.read_text() and "kept" in doc.read_text()


def test_the_gpu_cases_cover_every_model_and_variant_and_compile_last():
    cases = gpu_check.cases(dry=False)
    assert {c.model for c in cases} == {name for name, _, _ in gpu_check.MODELS}
    assert [c.compile for c in cases] == sorted(c.compile for c in cases)
    wave = [c for c in cases if c.exp == "exp0114"]
    assert [(c.precision, c.channels_last, c.compile) for c in wave] == [("fp16", False, False), ("bf16", False, False),
                                                                         ("fp16", True, True)]
    assert len(cases) == len(gpu_check.MODELS) * len(gpu_check.VARIANTS) - 2


def test_pending_writes_the_description_without_a_gpu(root, tmp_path):
    doc = tmp_path / "B.md"
    run(root, "bash", "bench/gpu_check.sh", "--pending", "--doc", doc, env={**os.environ, "PY": sys.executable})
    assert "Not measured on a GPU yet" in doc.read_text() and "<!-- gpu_check end -->" in doc.read_text()
