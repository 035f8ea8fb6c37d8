"""The reference store modules work when copied alone into an application.

Each module imports only the standard library and the SDK, so that a user can
copy the single file. These tests copy each file, alone, into pytester's
folder under a new module name, check its imports, and certify the copy with
the kit under ``--store-strict`` in a separate pytest process.
"""

from __future__ import annotations

import ast
import importlib.util
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import List

import pytest

REFERENCE_STORES_DIR = Path(__file__).parent.parent / "reference_stores"

COPIES = [
    pytest.param(
        "sqlite_stores.py",
        "copied_sqlite_stores",
        ["SQLiteFileStore", "SQLiteMemoryStore"],
        id="sqlite_stores",
    ),
    pytest.param("list_store.py", "copied_list_store", ["ListStore"], id="list_store"),
]


def copy_module(source_name: str, directory: Path, module_name: str) -> Path:
    """Copy one reference store module into ``directory`` as ``module_name`` and return the copy."""
    copy = directory / f"{module_name}.py"
    shutil.copyfile(REFERENCE_STORES_DIR / source_name, copy)
    return copy


def imported_top_level_names(path: Path) -> List[str]:
    """Return the top-level package of every import statement in the file at ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import in {path.name}: line {node.lineno}"
            names.append(node.module.split(".")[0])
    return names


def is_standard_library(name: str) -> bool:
    """Return whether ``name`` is a top-level module of the standard library."""
    if name == "__future__":
        return True

    # sys.stdlib_module_names exists from Python 3.10 on.
    known_names = getattr(sys, "stdlib_module_names", None)
    if known_names is not None:
        return name in known_names

    spec = importlib.util.find_spec(name)
    if spec is None:
        return False
    if spec.origin in (None, "built-in", "frozen"):
        return True
    return spec.origin.startswith(sysconfig.get_paths()["stdlib"])


@pytest.mark.parametrize("source_name, module_name, class_names", COPIES)
def test_copy_imports_stdlib_and_sdk(
    pytester: pytest.Pytester, source_name: str, module_name: str, class_names: List[str]
) -> None:
    copy = copy_module(source_name, pytester.path, module_name)

    for name in imported_top_level_names(copy):
        assert name == "zohocrmsdk" or is_standard_library(name), (
            f"{source_name} imports {name!r}, which is neither the SDK nor the standard library"
        )

    # Importing the copy must work while this project's packages cannot be imported.
    script = (
        "import sys\n"
        "sys.modules['reference_stores'] = None\n"
        "sys.modules['conformance'] = None\n"
        f"import {module_name}\n"
        f"print(sorted({module_name}.__all__))\n"
    )
    result = pytester.run(sys.executable, "-c", script)
    assert result.ret == 0, result.stderr.str()
    assert result.outlines == [str(sorted(class_names))]


@pytest.mark.parametrize("source_name, module_name, class_names", COPIES)
def test_copy_passes_strict_suite(
    pytester: pytest.Pytester, source_name: str, module_name: str, class_names: List[str]
) -> None:
    copy_module(source_name, pytester.path, module_name)
    store_options = [f"--store={module_name}:{name}" for name in class_names]

    result = pytester.runpytest_subprocess(
        *store_options, "--store-strict", "-p", "no:cacheprovider"
    )

    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()
    assert outcomes.get("failed", 0) == 0
    assert outcomes.get("errors", 0) == 0
    assert outcomes.get("passed", 0) > 0
