"""Helpers for the report-pipeline tests: a probe notebook, a small project, HTML text, CLI runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

EVALKIT = [sys.executable, "-m", "evalkit.cli"]

#: Three localities: Liverpool, Knowsley, Sefton.
THREE = ["E08000012", "E08000011", "E08000014"]

PARAMETERS = (
    'spec_path: str = "spec.yaml"\nlocality: str = "E08000012"\nperiod: str = ""'  # papermill's
)

# The probe's behaviour per locality comes from behaviour.json in the project folder, so a test
# can make one locality fail, hang, die or kill its worker without changing the notebook's source.
BEHAVIOUR = """\
import json, os, pathlib, time
_file = pathlib.Path("behaviour.json")
action = json.loads(_file.read_text()).get(locality, "") if _file.exists() else ""
if action == "raise":
    raise ValueError(f"planted failure for {locality}")
if action == "hang":
    time.sleep(600)
if action == "die":
    os.kill(os.getpid(), 9)
if action == "kill-worker":
    # The worker started this kernel, or its zygote that forked it (the zygote's parent).
    worker = os.getppid()
    with open(f"/proc/{worker}/cmdline", "rb") as fh:
        if b"evalkit.reports.zygote" in fh.read():
            with open(f"/proc/{worker}/stat") as stat:
                worker = int(stat.read().rsplit(")", 1)[1].split()[1])
    os.kill(worker, 9)
"""

SHOW = """\
from IPython.display import HTML, display
display(HTML(f"<h1>Probe report for {locality}</h1><p>Period {period}.</p>"))
"""


def notebook(cells: list[str], *, parameters: str | None = PARAMETERS) -> nbformat.NotebookNode:
    """A notebook whose first code cell (tagged ``parameters``) is ``parameters``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "evalkit", "display_name": "evalkit", "language": "python"}
    if parameters is not None:
        nb.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    return nb


def set_reports(spec_path: Path, notebook_path: str, localities: list[str]) -> None:
    """Point the spec's one report at ``notebook_path`` (relative to the project) for ``localities``."""
    raw = yaml.safe_load(spec_path.read_text())
    raw["localities"] = localities
    raw["reports"] = [{"name": "programme_report", "title": "Probe", "notebook": notebook_path}]
    spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))


def probe_project(root: Path, localities: list[str] = THREE) -> Path:
    """A demo project whose report is the probe notebook; returns the spec path."""
    from conftest import make_project

    spec_path = make_project(root)
    nbformat.write(notebook([BEHAVIOUR, SHOW]), root / "notebooks" / "probe.ipynb")
    set_reports(spec_path, "notebooks/probe.ipynb", localities)
    return spec_path


def project_root(spec_path: Path) -> Path:
    """The project folder of a spec made by ``make_project``."""
    return spec_path.parents[3]


def behave(spec_path: Path, actions: dict[str, str]) -> None:
    """Set what the probe does for each locality (``raise``, ``hang``, ``die``, ``kill-worker``)."""
    (project_root(spec_path) / "behaviour.json").write_text(json.dumps(actions))


def cli(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``evalkit ARGS`` in a subprocess."""
    return subprocess.run(
        [*EVALKIT, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=os.environ.copy(),
        timeout=timeout,
    )


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?( UTC|\+00:00)?")


def page_text(html: str) -> str:
    """The content of a report page: tags, styles, scripts and timestamps removed."""
    html = re.sub(r"<style>.*?</style>|<script>.*?</script>", " ", html, flags=re.S)
    html = _TIMESTAMP.sub("<time>", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def reports_of(folder: Path) -> dict[str, str]:
    """The HTML of every report in a programme's report folder, by path relative to it."""
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*.html"))
        if p.name != "index.html" and not p.name.startswith(".")
    }


#: Liverpool, and tiny Rutland where most figures are suppressed.
TWO = ["E08000012", "E06000017"]

_DEMO_RUN: dict[str, object] = {}


#: Why a browser or PDF test cannot run (with :func:`chromium_found`).
NO_BROWSER = (
    "Chromium or Playwright is not installed (apt-get install chromium; pip install playwright)"
)


def chromium_found() -> bool:
    """Whether headless Chromium and Playwright are installed (the PDF and browser tests need both).

    The tests that need them call ``need(chromium_found(), ...)`` (tests/_needs.py): a skip
    locally, a failure in CI.
    """
    from evalkit.exceptions import PipelineError
    from evalkit.reports.pdf import check_pdf_support

    try:
        check_pdf_support()
    except PipelineError:
        return False
    return True


def demo_run(tmp_path_factory) -> tuple[object, dict[str, str]]:
    """The demo's real report notebooks run once (process pool, HTML and PDF) for :data:`TWO`.

    Shared by the test modules of the ``kernels`` group (they run in one process): returns the
    spec and the HTML of each report as first produced. Later tests may rerun the same project
    (same reports); compare against the returned HTML, not the files.
    """
    if not _DEMO_RUN:
        from conftest import make_project
        from evalkit.config import load_spec
        from evalkit.reports import run

        spec = load_spec(make_project(tmp_path_factory.mktemp("demo-reports")))
        formats = ("html", "pdf") if chromium_found() else ("html",)
        result = run(spec, localities=TWO, workers=2, progress=False, formats=formats)
        assert result.exit_code == 0, result.failures
        _DEMO_RUN.update(spec=spec, html=reports_of(spec.output_folder))
    return _DEMO_RUN["spec"], _DEMO_RUN["html"]


def watched_page(browser) -> tuple[object, list[str]]:
    """A new page of a Playwright ``browser`` and the list its console errors and uncaught page
    errors are collected in (the browser tests assert it stays empty)."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors
