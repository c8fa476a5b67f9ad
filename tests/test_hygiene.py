"""Clean commits: notebooks are staged without outputs, and the pre-commit checks are set up.

The git tests work in a throwaway clone of this repository in ``tmp_path``, never in the
repository itself. The clone holds the committed files; the files under test (the Makefile and
.gitattributes) are copied over it from the working tree, so that what is about to be committed
is what is tested.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # this environment: nbstripout and pre-commit are here
STAMP = ".venv/.evalkit-installed"  # the Makefile's "environment is installed" marker
FILES_UNDER_TEST = ("Makefile", ".gitattributes")
HOOKS = {"ruff", "ruff-format", "nbstripout", "detect-secrets"}


def _env() -> dict[str, str]:
    """The environment without git's own variables (set when tests run inside a git hook)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(*args: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{args} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A throwaway clone of the repository, with the working tree's files under test."""
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("git and make are needed")
    if _run("git", "rev-parse", "--is-inside-work-tree", cwd=REPO, check=False).returncode:
        pytest.skip("the repository is not a git clone")
    target = tmp_path / "clone"
    _run("git", "clone", "--quiet", REPO, target, cwd=tmp_path)
    for name in FILES_UNDER_TEST:
        shutil.copy2(REPO / name, target / name)
    _run("git", "add", *FILES_UNDER_TEST, cwd=target)
    # Files written in the same instant as the index are "racily clean": git would re-read them
    # all through the filter at the next index write. A moment later, a refresh settles them.
    time.sleep(1.1)
    _run("git", "update-index", "--really-refresh", cwd=target)
    return target


def _make(clone: Path, target: str) -> subprocess.CompletedProcess[str]:
    """``make TARGET`` in the clone, with this environment standing in for its .venv (``-o``:
    the environment counts as installed, so nothing is downloaded)."""
    return _run("make", "--no-print-directory", "-o", STAMP, target, f"BIN={BIN}", cwd=clone)


def _with_outputs(path: Path) -> nbformat.NotebookNode:
    """Give the notebook's code cells outputs and execution counts, as running it would."""
    nb = nbformat.read(path, as_version=4)
    for count, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1):
        cell.execution_count = count
        cell.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text="Jane Example, 12 High St\n"),
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": "42"}, execution_count=count
            ),
        ]
    nbformat.write(nb, path)
    return nb


def _no_outputs(nb: nbformat.NotebookNode) -> bool:
    code = [c for c in nb.cells if c.cell_type == "code"]
    return bool(code) and all(c.outputs == [] and c.execution_count is None for c in code)


def test_make_setup_installs_the_notebook_filter_and_staged_notebooks_have_no_outputs(
    clone: Path,
) -> None:
    setup = _make(clone, "setup")
    assert "notebook filter installed" in setup.stdout
    _make(clone, "setup")  # idempotent: a second run changes nothing
    clean = _run("git", "config", "--get-all", "filter.nbstripout.clean", cwd=clone)
    assert clean.stdout.count("\n") == 1 and "nbstripout --keep-id" in clean.stdout
    assert _run("git", "config", "filter.nbstripout.required", cwd=clone).stdout.strip() == "true"
    attr = _run("git", "check-attr", "filter", "notebooks/getting_started.ipynb", cwd=clone)
    assert attr.stdout.strip().endswith("filter: nbstripout")

    # The committed notebooks pass through the filter's command unchanged, so installing it
    # makes no spurious changes (one nbstripout run for all: each start takes seconds).
    notebooks = sorted(str(p.relative_to(clone)) for p in (clone / "notebooks").glob("*.ipynb"))
    _run(sys.executable, "-m", "nbstripout", "--keep-id", "--verify", *notebooks, cwd=clone)

    # A notebook that has been run: the staged blob has no outputs, the copy on disk keeps them.
    path = clone / "notebooks" / "getting_started.ipynb"
    committed = _run("git", "show", "HEAD:notebooks/getting_started.ipynb", cwd=clone).stdout
    ran = _with_outputs(path)
    assert not _no_outputs(ran)
    _run("git", "add", "notebooks/getting_started.ipynb", cwd=clone)
    staged = _run("git", "show", ":notebooks/getting_started.ipynb", cwd=clone).stdout
    assert _no_outputs(nbformat.reads(staged, as_version=4))
    assert staged == committed  # only outputs and counts were added, so nothing is staged
    assert not _no_outputs(nbformat.read(path, as_version=4))

    # A new notebook, written by Jupyter with outputs, is staged without them too.
    new = clone / "notebooks" / "scratch.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('hello')")])
    nbformat.write(nb, new)
    _with_outputs(new)
    _run("git", "add", "notebooks/scratch.ipynb", cwd=clone)
    staged = nbformat.reads(_run("git", "show", ":notebooks/scratch.ipynb", cwd=clone).stdout, 4)
    assert _no_outputs(staged)
    assert staged.cells[0].id == nb.cells[0].id  # cell ids are kept (--keep-id)


def test_make_hooks_installs_the_pre_commit_hook(clone: Path) -> None:
    _make(clone, "hooks")
    hook = clone / ".git" / "hooks" / "pre-commit"
    assert hook.is_file() and "pre-commit" in hook.read_text()
    assert _run("git", "config", "filter.nbstripout.smudge", cwd=clone).stdout.strip() == "cat"


def _config() -> dict:
    return yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())


def _hooks() -> dict[str, dict]:
    return {h["id"]: h for repo in _config()["repos"] for h in repo["hooks"]}


def test_pre_commit_config_parses_and_names_the_hooks() -> None:
    import pre_commit  # noqa: F401 - a development dependency: missing is a failure, not a skip

    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = _hooks()
    assert set(hooks) == HOOKS
    assert "ruff check" in hooks["ruff"]["entry"] and "ruff format" in hooks["ruff-format"]["entry"]
    assert "--keep-id" in hooks["nbstripout"]["entry"]  # as the Makefile's filter
    assert "--baseline .secrets.baseline" in hooks["detect-secrets"]["entry"]
    for name in ("ruff", "ruff-format"):  # the folders `make lint` checks
        assert all(
            re.search(hooks[name]["files"], f"{d}/x.py") for d in ("src", "tests", "benchmarks")
        )


def test_hook_versions_meet_the_dev_extra_and_the_baseline() -> None:
    dev = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    bounds = {(r := Requirement(s)).name: r.specifier for s in dev["dev"]}
    pins = {}
    for hook in _hooks().values():
        assert hook["language"] == "python", hook["id"]  # built from PyPI: no hook repository
        for dep in hook["additional_dependencies"]:
            name, version = dep.split("==")
            pins[name] = Version(version)
    assert set(pins) == {"ruff", "nbstripout", "detect-secrets"}
    for name, version in pins.items():
        assert bounds[name].contains(version), f"{name}=={version} is below {bounds[name]}"
    baseline = json.loads((REPO / ".secrets.baseline").read_text())
    assert Version(baseline["version"]) == pins["detect-secrets"]
    assert baseline["results"] == {} or all(
        not Path(path).is_absolute() for path in baseline["results"]
    )


def test_secrets_check_stops_a_key_and_passes_clean_text(tmp_path: Path) -> None:
    import detect_secrets  # noqa: F401 - a development dependency: missing is a failure

    baseline = tmp_path / "baseline.json"  # the hook may rewrite its baseline: use a copy
    shutil.copy(REPO / ".secrets.baseline", baseline)
    leaky = tmp_path / "settings.py"
    # Written in pieces, so that this file holds no key for the check to find.
    leaky.write_text('aws_access_key_id = "' + "AKIA" + "ZQ3RT7UVW2XY4ABC" + '"\n')
    clean = tmp_path / "notes.py"
    clean.write_text('locality = "E07000041"\n')
    hook = [sys.executable, "-m", "detect_secrets.pre_commit_hook", "--baseline", str(baseline)]
    caught = subprocess.run([*hook, str(leaky)], capture_output=True, text=True, cwd=tmp_path)
    assert caught.returncode == 1 and "AWS Access Key" in caught.stdout
    passed = subprocess.run([*hook, str(clean)], capture_output=True, text=True, cwd=tmp_path)
    assert passed.returncode == 0, passed.stdout


def test_notebook_hook_checks_the_staged_blob(clone: Path) -> None:
    """The nbstripout hook's own script, run as pre-commit runs it (offline, with this
    environment's nbstripout): it fails a staged notebook with outputs, whatever is on disk."""
    entry = shlex.split(_hooks()["nbstripout"]["entry"])
    path = "notebooks/social_value.ipynb"
    _with_outputs(clone / path)
    _run("git", "add", path, cwd=clone)  # no filter in this clone: the outputs are staged
    staged_outputs = _run(*entry, path, cwd=clone, check=False)
    assert staged_outputs.returncode == 1
    assert f"{path}: the staged notebook has outputs" in staged_outputs.stdout
    _make(clone, "notebook-filter")
    _run("git", "add", path, cwd=clone)  # now staged without them; the copy on disk keeps them
    assert not _no_outputs(nbformat.read(clone / path, as_version=4))
    assert _run(*entry, path, cwd=clone, check=False).returncode == 0
