"""docs/config.md, generated: every config key of the engine and of each competition, with its type, default,
allowed values and meaning, read from the config classes' source (a key's trailing `# comment`, or the comment
lines right above it; a comment line after a blank line heads a group of keys).

    python -m common.config_doc            # rewrite docs/config.md
    python -m common.config_doc --out -    # print it instead

tests/test_docs.py fails when docs/config.md differs from what this writes.
"""
import argparse
import ast
import dataclasses
import importlib
import inspect
import io
import sys
import textwrap
import tokenize
from pathlib import Path

from common.config import Config as EngineConfig

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "config.md"
NOT_SETTABLE = ("competition", "exp", "parent")  # fixed by the experiment's class and file, not by --set

# the meaning of keys whose line in the config class has no comment yet; a comment there takes precedence
UNCOMMENTED = {
    "n_folds": "stratified folds the training set is split into (by target, reproducible for `seed`)",
    "seed": "seed of the fold split, the model's initialisation and the augmentations",
    "num_workers": "DataLoader worker processes per training process (0 reads in the training process)",
    "drop_rate": "dropout before the classifier (timm's `drop_rate`)",
    "drop_path_rate": "stochastic depth (timm's `drop_path_rate`)",
    "epochs": "training epochs per fold",
    "lr": "peak learning rate of the cosine schedule",
    "weight_decay": "decoupled weight decay (not on biases, normalisation weights and the loss's parameters)",
    "warmup_epochs": "epochs of linear learning-rate warm-up before the cosine decay",
    "grad_accum": "batches accumulated per optimiser step",
    "ema_decay": "decay of the EMA copy (with `ema`)",
    "swa_lr": "learning rate of the SWA phase (with `swa`)",
    "wandb_project": "the wandb project the runs are logged to",
    "exp": "the experiment's name (its file in exp/)",
    "parent": "the experiment it derives from (`base`: the competition's base config)",
    "shift_scale_rotate": "albumentations affine (shift and scale, no rotation), alike on all six scans",
    "motion_blur": "albumentations motion blur",
    "mixup_alpha": "Beta(alpha, alpha) of the mixup weight",
    "bandpass_high": "Hz; the band-pass's upper edge (see `bandpass_low`)",
}


def competitions() -> list[str]:
    """The competition packages: common/<name>/competition.py."""
    return sorted(p.parent.name for p in (ROOT / "common").glob("*/competition.py"))


def class_source(cls: type) -> tuple[list[str], dict[int, str], list]:
    """cls's source lines, its comments by line number (1-based) and its class body's statements."""
    source = textwrap.dedent(inspect.getsource(cls))
    comments = {tok.start[0]: tok.string.lstrip("#").strip()
                for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.COMMENT}
    return source.splitlines(), comments, ast.parse(source).body[0].body


def comments_above(text: list[str], comments: dict, lineno: int) -> tuple[list[str], bool]:
    """The comment-only lines right above line `lineno`, and whether a blank line (or the class start) precedes
    them: then the first of them heads a group of keys."""
    above, row = [], lineno - 1
    while row >= 1 and text[row - 1].strip().startswith("#"):
        above.insert(0, comments[row])
        row -= 1
    return above, row < 1 or not text[row - 1].strip()


def source_notes(cls: type) -> dict[str, tuple[str, str]]:
    """key -> (group heading, comment) for the keys cls's own class body assigns: a key's trailing comment, or
    the comment lines right above it; a comment block above a key that has its own comment is a note on the keys
    after it with the same prefix (cqt_fmin, cqt_n_bins, ...)."""
    text, comments, body = class_source(cls)
    notes, heading, previous, shared = {}, "", None, ("", "")
    for node in body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            previous = node
            continue
        key = node.target.id
        above, after_blank = comments_above(text, comments, node.lineno)
        if above and (after_blank or not isinstance(previous, ast.AnnAssign)):
            heading, above = above[0], above[1:]
        trailing = comments.get(node.lineno, "") if text[node.lineno - 1].split("#")[0].strip() else ""
        if above and trailing:
            shared = (key, key.split("_")[0] + "_")
            trailing = f"{trailing}; {' '.join(above)}"
        elif not above and not trailing and shared[0] and key.startswith(shared[1]):
            trailing = f"see `{shared[0]}`"
        notes[key] = (heading, trailing or " ".join(above))
        previous = node
    return _join_continued(notes)


def _join_continued(notes: dict) -> dict:
    """A trailing comment whose parenthesis closes on the next key's line continues there: joined into the
    first key's note; the second key points to it."""
    keys = list(notes)
    for first, second in zip(keys, keys[1:]):
        (group, text), (_, more) = notes[first], notes[second]
        if text.count("(") > text.count(")") and more.count(")") > more.count("("):
            notes[first], notes[second] = (group, f"{text} {more}"), (group, f"see `{first}`")
    return notes


def allowed(rule) -> str:
    """A RULES entry as text: choices, or a range (duck-typed: low, high, strict_low, strict_high)."""
    if rule is None:
        return ""
    if isinstance(rule, tuple):
        return " \\| ".join(map(str, rule))
    low, high = f"{number(rule.low)} {'<' if rule.strict_low else '<='} x", ""
    if rule.high != float("inf"):
        high = f" {'<' if rule.strict_high else '<='} {number(rule.high)}"
    return low + high


def number(x) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def default_text(value) -> str:
    return f"`{value!r}`" if isinstance(value, str) else f"`{value}`"


def key_rows(cls: type, keys: list[str], group: str = "") -> list[tuple[str, str]]:
    """(group heading, table row) for each of keys, as cls resolves them; `group` replaces the source's
    headings."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints, notes = {}, {}
    for klass in reversed(cls.__mro__[:-1]):  # a more derived class's annotation and comment win
        for node in class_source(klass)[2]:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                hints[node.target.id] = ast.unparse(node.annotation)
        for key, (heading, text) in source_notes(klass).items():  # the heading of the class that adds the key
            first_heading, base_text = notes.get(key, (heading, ""))
            notes[key] = (first_heading, text or base_text)
    rules = getattr(cls, "RULES", {})
    rows = []
    for key in keys:
        heading, text = notes[key]
        text = text or UNCOMMENTED.get(key, "")
        if key in NOT_SETTABLE:
            text += " (not settable with --set)"
        cells = [f"`{key}`", f"`{hints[key]}`", default_text(fields[key].default), allowed(rules.get(key)),
                 text.replace("|", "\\|")]
        rows.append((group or heading or "general", "| " + " | ".join(cells) + " |"))
    return rows


def table(rows: list[tuple[str, str]]) -> list[str]:
    """Markdown tables, one per group heading, in the order the keys come."""
    out, group = [], None
    for heading, row in rows:
        if heading != group:
            group = heading
            out += ["", f"### {heading}", "", "| key | type | default | allowed | meaning |",
                    "|---|---|---|---|---|"]
        out.append(row)
    return out


def render() -> str:
    """The whole of docs/config.md."""
    engine = [f.name for f in dataclasses.fields(EngineConfig)]
    out = ["# Config keys", "",
           "Generated by `python -m common.config_doc` from the config classes and their comments "
           "(`common/config.py`, `common/<competition>/config.py`); edit those, not this file. "
           "`tests/test_docs.py` fails when it is stale.", "",
           "Every key is set in an experiment file (`exp/expNNNN.py`) or on the command line: "
           "`python main.py --exp EXP --set key=value ...` (the same `--set` for `evaluate.py`, `blend.py`, "
           "`python -m common.baseline` and the benchmarks). `python main.py --exp EXP --print-config` prints "
           "an experiment's resolved values. Tuples take comma-separated ints (`folds=0,2`), booleans "
           "true/false. A key of another competition is an unknown key.", "",
           "## The engine (`common/config.py`): every experiment", ""]
    out += table(key_rows(EngineConfig, engine))[1:]
    for name in competitions():
        cls = importlib.import_module(f"common.{name}.config").Config
        own = inspect.get_annotations(cls)
        changed = [k for k in engine if k in own]
        added = [f.name for f in dataclasses.fields(cls) if f.name in own and f.name not in engine]
        title = (sys.modules[cls.__module__].__doc__ or name).strip().split("'s base config")[0]
        out += ["", f"## {title} (`common/{name}/config.py`)"]
        out += table(key_rows(cls, changed, "the engine's keys with this competition's defaults") +
                     key_rows(cls, added))
    return "\n".join(out) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m common.config_doc", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(DOC), help=f"where to write (default {DOC.relative_to(ROOT)}; - prints)")
    args = p.parse_args(argv)
    text = render()
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
