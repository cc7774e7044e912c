"""bench.scaling: a row per stage and size, ratios and extrapolations computed, the work folder removed, bad options
a one-line error before anything is written."""
import math
import re

import pytest

from bench import scaling


def rows_of(block: str) -> dict[str, list[str]]:
    """Markdown table rows of a block, by their first cell."""
    cells = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in block.splitlines() if ln.startswith("| ")]
    return {c[0]: c[1:] for c in cells}


def test_both_competitions_get_a_row_per_stage_and_size_and_the_work_folder_goes(tmp_path, capsys):
    work, doc = tmp_path / "work", tmp_path / "B.md"
    scaling.main(["--seti-sizes", "20", "40", "--g2net-sizes", "16", "24", "--set", "n_folds=2", "batch_size=4",
                  "--eval-batches", "1", "--workers", "0", "--work", str(work), "--write", "--doc", str(doc)])
    assert not work.exists()
    text = doc.read_text()
    for name, sizes in (("seti", ("20", "40")), ("g2net", ("16", "24"))):
        block = text.split(f"<!-- scaling_{name} start -->")[1].split(f"<!-- scaling_{name} end -->")[0]
        rows = rows_of(block)
        assert rows["stage"][:2] == list(sizes) and rows["step, memory"][:2] == list(sizes)
        for _, label in scaling.stages(name, 0):
            figures = rows[label]
            assert len(figures) == 5, (label, figures)  # 2 sizes, ratio, exponent, full size
            assert re.fullmatch(r"\d+\.\dx", figures[2]) and re.fullmatch(r"-?\d+\.\d\d|nan", figures[3]), figures
        assert any(k.startswith("**before the first GPU step") for k in rows)
        assert ("whitening spectra (fit_front_ends: one pass over the negatives)" in rows) == (name == "g2net")
        assert re.search(r"Python memory kept \(tracemalloc\) \| \d+ B/sample \| \d+ B/sample", block)


def result(n: int, seconds: float) -> dict:
    stage = dict(seconds=seconds, peak_mib=n / 100)
    res = {key: dict(stage) for key, _ in scaling.stages("seti", 1)}
    for key in ("loader files", "loader pack", "evaluation"):
        res[key] = dict(rate=n / seconds, seconds=seconds, views=1)  # a pass over the set costs `seconds`
    res["startup"]["held_bytes"] = 100 * n
    res["meta"] = dict(n=n, train=n // 2, n_folds=2, batch_size=4, workers=1, exp="exp0025", load=1.0)
    return res


@pytest.mark.parametrize("slow, exponent", [(10.0, 1.0), (100.0, 2.0), (2.0, 1.0)])
def test_ratios_exponents_and_full_size(slow, exponent):
    """1 s at 600 samples, `slow` s at 6,000: the ratio, the exponent and the extrapolation to 60,000 (exponent at
    least 1: a sublinear start is taken as linear)."""
    res = {600: result(600, 1.0), 6000: result(6000, slow)}
    rows = rows_of(scaling.cost_table("seti", res, 1))
    measured = math.log(slow) / math.log(10)
    assert rows["pack build (common.pack, 1 worker(s))"][2:4] == [f"{slow:.1f}x", f"{measured:.2f}"]
    full = slow * 10 ** exponent
    assert scaling.extrapolate_time([600, 6000], [1.0, slow], 60_000) == pytest.approx(full)
    assert scaling.duration(full) in rows["pack build (common.pack, 1 worker(s))"][4]
    memory = rows_of(scaling.memory_table("seti", res, 1))
    assert memory["pack build (common.pack, 1 worker(s)): peak RSS growth"] == ["6 MiB", "60 MiB", "600 MiB"]
    assert memory["start-up: labels, file paths, folds (read_train): Python memory kept (tracemalloc)"][-1] == "6 MiB"


@pytest.mark.parametrize("argv, message", [
    (["--seti-sizes", "600", "60"], "--seti-sizes 600 60: give two or more increasing sizes"),
    (["--g2net-sizes", "5600"], "--g2net-sizes 5600: give two or more"),
    (["--batches", "0"], "--batches and --eval-batches >= 1"),
    (["--seti-sizes", "20", "40", "--batches", "20"], "--seti-sizes 20: fold 0 trains on 15 samples, fewer than the 672"),
    (["--seti-sizes", "600", "60000000"], "GiB free"),
])
def test_a_bad_option_is_a_one_line_error_before_anything_is_written(tmp_path, capsys, argv, message):
    work = tmp_path / "work"
    with pytest.raises(SystemExit) as stop:
        scaling.main([*argv, "--work", str(work)])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and message in err and err.count("\n") == 1, err
    assert not work.exists()
