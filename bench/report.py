"""What the benchmarks share: the machine's name, Markdown tables and edits to docs/BENCHMARKS.md.

The doc holds generated text between HTML comment markers: `<!-- KEY rows -->` ends a table that
grows by one row per run, `<!-- KEY start -->` ... `<!-- KEY end -->` a block that each run replaces.
"""
import datetime
import os
import platform
import shlex
from pathlib import Path

import torch

DOC = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"


def machine() -> str:
    """GPU name on a GPU machine, else the CPU model, with the CPU cores and the load average when called
    (other processes on the machine slow every figure down)."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines() if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    cores = f"{len(os.sched_getaffinity(0))} cores, load {os.getloadavg()[0]:.1f}"
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()} ({cores} of {cpu})"
    return f"{cpu} ({cores})"


def command(module: str, argv: list[str]) -> str:
    """The command line of benchmark `module` (bench.NAME) run with arguments argv."""
    return shlex.join(["python", "-m", module, *argv])


def today() -> str:
    return datetime.date.today().isoformat()


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(str(c) for c in line) + " |" for line in lines)


def _read(doc: Path) -> str:
    return doc.read_text() if doc.is_file() else "# Benchmarks\n"


def append_row(doc, key: str, header: list[str], row: list) -> None:
    """Add `row` at the end of table `key` in `doc`; a doc without that table gets it as a new section."""
    doc = Path(doc)
    text, marker = _read(doc), f"<!-- {key} rows -->"
    line = markdown_table(header, [row]).splitlines()[-1]
    if marker in text:
        text = text.replace(marker, f"{line}\n{marker}", 1)
    else:
        text = text.rstrip("\n") + f"\n\n{markdown_table(header, [row])}\n{marker}\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def replace_block(doc, key: str, body: str) -> None:
    """Put `body` between the `key` start and end markers of `doc` (appended when they are missing)."""
    doc = Path(doc)
    text = _read(doc)
    start, end = f"<!-- {key} start -->", f"<!-- {key} end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def replace_figure_block(doc, key: str, module: str, argv: list[str], body: str, png: Path, alt: str,
                         heading: str = "") -> None:
    """replace_block with a bench's measurement: date, machine and torch, its command, `body`, then the figure
    at `png` linked relative to `doc` (after `heading`, when given)."""
    image = os.path.relpath(Path(png).resolve(), Path(doc).resolve().parent)
    block = (f"{heading}{today()}, {machine()}, torch {torch.__version__}:\n\n`{command(module, argv)}`\n\n"
             f"{body}\n\n![{alt}]({image})")
    replace_block(doc, key, block)
