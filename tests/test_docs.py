"""README.md and docs/: every --set key, make target, python -m module and script they name exists, and
docs/config.md is what common.config_doc writes."""
import dataclasses
import importlib
import importlib.util
import os
import re

import pytest

from common import config_doc
from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIP_DIRS = {".git", ".venv", "input", "outputs", "__pycache__", ".pytest_cache", "wandb"}
KEY = r"(?<![\w./$-])([a-z][a-z0-9_]*)=(?!=)"  # key=value; upper case is an environment variable, == a pin
MAKE = r"\bmake ([a-z][\w.-]*)"
MODULE = r"python -m ([\w.]*\w)(?![\w.<])"  # python -m common.<competition>.synth is a placeholder
SCRIPT = r"(?<![\w/<>*.-])([\w./-]+\.(?:py|sh))\b"
IMAGE = r"!\[[^]]*\]\(([^)]+)\)"  # ![alt](file), relative to the doc


def commands(path) -> list[str]:
    """The text of path's code: fenced blocks (except Python snippets, whose keyword arguments are not
    config keys) and inline `code` spans."""
    text = path.read_text()
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M)
    code = [body for lang, body in blocks if lang != "python"]
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    prose = re.sub(r"(?<!\n)\n(?!\n)", " ", prose)  # a code span may wrap onto the next line
    return code + re.findall(r"`([^`\n]+)`", prose)


def named(pattern: str) -> dict[str, list[str]]:
    """Every match of pattern (its first group) in the docs' code -> the docs naming it."""
    found = {}
    for path in DOCS:
        for code in commands(path):
            for match in re.findall(pattern, code):
                found.setdefault(match, []).append(path.name)
    return found


def config_keys() -> set[str]:
    """Every settable key of every competition's config."""
    keys = set()
    for name in config_doc.competitions():
        cls = importlib.import_module(f"common.{name}.config").Config
        keys |= {f.name for f in dataclasses.fields(cls)} - set(config_doc.NOT_SETTABLE)
    return keys


def repo_files() -> tuple[set[str], set[str]]:
    """Paths relative to the repository root, and bare file names, of the repository's own files."""
    paths = set()
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        paths |= {os.path.relpath(os.path.join(folder, f), ROOT) for f in files}
    return paths, {os.path.basename(p) for p in paths}


def test_every_set_key_is_a_config_key():
    """key=value in commands and code spans."""
    keys = config_keys()
    unknown = {k: docs for k, docs in named(KEY).items() if k not in keys and k != "key"}  # key=value: the placeholder
    assert not unknown, f"not config keys: {unknown}"


def test_every_make_target_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([\w./-]+):", makefile, flags=re.M))
    missing = {t: docs for t, docs in named(MAKE).items() if t not in targets}
    assert not missing, f"not Makefile targets: {missing}"


def test_every_python_module_exists():
    missing = {m: docs for m, docs in named(MODULE).items() if importlib.util.find_spec(m) is None}
    assert not missing, f"no such module: {missing}"


def test_every_script_exists():
    """Files ending .py or .sh named in the docs' code (placeholders with <...>, NNNN or * aside)."""
    paths, names = repo_files()
    found = named(SCRIPT)
    missing = {f: docs for f, docs in found.items() if not f.startswith(("/", "~"))
               and "NNNN" not in f and f not in paths and ("/" in f or f not in names)}
    assert not missing, f"no such file: {missing}"


def test_every_image_exists():
    missing = [(path.name, image) for path in DOCS for image in re.findall(IMAGE, path.read_text())
               if not (path.parent / image).is_file()]
    assert not missing, f"no such image: {missing}"


def test_the_checks_see_what_the_readme_names():
    """The patterns above find the README's commands (a test that passes on no match would check nothing)."""
    assert "data_dir" in named(KEY) and "torch" not in named(KEY)
    assert {"demo", "test", "install"} <= set(named(MAKE))
    assert "common.seti.synth" in named(MODULE)
    assert {"main.py", "evaluate.py", "blend.py"} <= set(named(SCRIPT))
    assert "sensitivity.png" in re.findall(IMAGE, (ROOT / "docs" / "BENCHMARKS.md").read_text())


def test_config_doc_is_current():
    """docs/config.md is what `python -m common.config_doc` writes from today's config classes."""
    assert config_doc.DOC.read_text() == config_doc.render(), "docs/config.md is stale: python -m common.config_doc"


@pytest.mark.parametrize("name", ["engine", *config_doc.competitions()])
def test_every_key_has_a_meaning(name):
    cls = config_doc.EngineConfig if name == "engine" else importlib.import_module(f"common.{name}.config").Config
    keys = [f.name for f in dataclasses.fields(cls)]
    empty = [row for _, row in config_doc.key_rows(cls, keys) if not row.rsplit(" | ", 1)[-1].strip(" |")]
    assert not empty, f"keys without a comment in their config class: {empty}"
