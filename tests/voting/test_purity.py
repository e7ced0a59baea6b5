"""The purity rule of ``voting/``: standard library and numpy only; no clock, no global random.

``voting`` takes data and returns results, so anyone can re-run a count and get the same
answer.  This test parses every ``voting/*.py`` and fails on:

* an import of anything but the standard library, numpy and ``voting`` itself;
* an import of a clock or hidden-randomness module (``time``, ``datetime``, ``random``,
  ``secrets``) or of network/process/database modules;
* any use of ``numpy.random`` other than the explicit-seed constructors (``Generator``,
  ``PCG64``, ``default_rng``, ``SeedSequence``), and any call of those without an argument
  (which would seed from the operating system).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import voting

PACKAGE = Path(voting.__file__).resolve().parent
SOURCES = sorted(PACKAGE.glob("*.py"))
ALLOWED_THIRD_PARTY = {"numpy", "voting"}
FORBIDDEN = {"time", "datetime", "random", "secrets", "socket", "subprocess", "urllib", "http",
             "sqlite3", "threading", "multiprocessing", "asyncio"}
SEEDED_CONSTRUCTORS = {"Generator", "PCG64", "default_rng", "SeedSequence", "BitGenerator"}


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: inside voting
                continue
            base = node.module or ""
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _numpy_aliases(tree: ast.AST) -> dict[str, str]:
    """Local names bound to numpy or numpy.random: {"np": "numpy", ...}."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "numpy":
                    aliases[alias.asname or alias.name.split(".")[0]] = \
                        alias.name if alias.asname else "numpy"
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level \
                and node.module.split(".")[0] == "numpy":
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for line, name in _imports(tree):
        top = name.split(".")[0]
        if top in FORBIDDEN:
            problems.append(f"{path.name}:{line} imports {name} (clock, randomness or I/O)")
        elif top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY:
            problems.append(f"{path.name}:{line} imports {name} (not stdlib, numpy or voting)")
        elif name.startswith("numpy.random.") \
                and name.split(".")[2] not in SEEDED_CONSTRUCTORS:
            problems.append(f"{path.name}:{line} imports {name} "
                            "(global random state; pass a seeded Generator instead)")
    aliases = _numpy_aliases(tree)
    calls = {id(n.func): n for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Attribute, ast.Name)):
            continue
        name = _dotted(node, aliases)
        if name is None or not name.startswith("numpy.random"):
            continue
        rest = name.removeprefix("numpy.random").lstrip(".")
        if not rest:
            continue  # the module itself, as in np.random.Generator: checked at the attribute
        fn = rest.split(".")[0]
        if fn not in SEEDED_CONSTRUCTORS:
            problems.append(f"{path.name}:{node.lineno} uses numpy.random.{fn} "
                            "(global random state; pass a seeded Generator instead)")
            continue
        call = calls.get(id(node))
        if call is not None and not call.args and not call.keywords:
            problems.append(f"{path.name}:{node.lineno} calls numpy.random.{fn}() without a "
                            "seed (it would seed from the operating system)")
        if call is not None and any(isinstance(a, ast.Constant) and a.value is None
                                    for a in call.args):
            problems.append(f"{path.name}:{node.lineno} seeds numpy.random.{fn} with None")
    return problems


def test_there_is_voting_source_to_check() -> None:
    assert PACKAGE / "panel.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_voting_module_imports_only_stdlib_and_numpy_and_uses_no_clock_or_global_random(
        path: Path) -> None:
    assert _problems(path) == []


@pytest.mark.parametrize(("source", "complaint"), [
    ("import flask", "not stdlib"),
    ("from sqlalchemy import select", "not stdlib"),
    ("import time", "clock"),
    ("from datetime import datetime", "clock"),
    ("import random", "randomness"),
    ("import numpy as np\nnp.random.seed(1)", "global random state"),
    ("import numpy as np\nx = np.random.rand(3)", "global random state"),
    ("from numpy.random import shuffle", "global random state"),
    ("import numpy as np\ng = np.random.default_rng()", "without a seed"),
    ("import numpy\ng = numpy.random.Generator(numpy.random.PCG64())", "without a seed"),
])
def test_the_purity_check_catches_what_it_forbids(tmp_path: Path, source: str,
                                                  complaint: str) -> None:
    path = tmp_path / "sample.py"
    path.write_text(source + "\n", encoding="utf-8")
    problems = _problems(path)
    assert any(complaint in p for p in problems), problems


def test_the_purity_check_allows_a_seeded_generator(tmp_path: Path) -> None:
    path = tmp_path / "sample.py"
    path.write_text("import numpy as np\n"
                    "def g(n: int) -> np.random.Generator:\n"
                    "    return np.random.Generator(np.random.PCG64(n))\n", encoding="utf-8")
    assert _problems(path) == []
