"""A real JupyterLab runs the report notebook in a real browser, on the project's kernel.

The test starts ``jupyter lab`` (no browser, a random token, a free port on 127.0.0.1) on a demo
project of its own, opens ``notebooks/programme_report.ipynb`` in headless Chromium (driven by
Playwright), checks that the notebook's kernel is the project's (its display name in the toolbar),
runs every cell from the Run menu, waits until every code cell has run and the kernel is idle,
and checks that no output is an error and that the report appeared. The notebook is a copy in the
test's own project with autosave off, and is closed without saving: it is unchanged on disk.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from _needs import need
from _reports import NO_BROWSER, chromium_found

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernels")]

NOTEBOOK = "notebooks/programme_report.ipynb"
#: Seconds for the server to answer, and for the whole notebook to run in the browser.
START_TIMEOUT = 90
RUN_TIMEOUT = 420

#: User settings for the test's JupyterLab: no autosave (the notebook is never saved), every cell
#: in the page (no windowing, so each cell's prompt and outputs can be read), no news to fetch.
SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kernel_display_name(project: Path) -> str:
    """The display name of the kernel the notebook declares, as Jupyter has it installed."""
    name = json.loads((project / NOTEBOOK).read_text())["metadata"]["kernelspec"]["name"]
    jupyter = Path(sys.executable).with_name("jupyter")
    listed = subprocess.run(
        [str(jupyter), "kernelspec", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(listed.stdout)["kernelspecs"][name]["spec"]["display_name"]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo project of the module's own: data prepared and the learning log loaded."""
    from conftest import make_project
    from evalkit.config import load_spec
    from evalkit.demo import load_demo_reflections
    from evalkit.intake import prepare

    spec_path = make_project(tmp_path_factory.mktemp("jupyterlab"))
    prepare(load_spec(spec_path))
    load_demo_reflections(spec_path)
    return spec_path.parents[3]


@pytest.fixture(scope="module")
def lab(project: Path, tmp_path_factory: pytest.TempPathFactory):
    """A JupyterLab server on the project; yields its base URL and token, stopped afterwards."""
    need(chromium_found(), f"{NO_BROWSER}: no browser to test with")
    home = tmp_path_factory.mktemp("jupyter-home")
    settings = home / "settings"
    for relative, values in SETTINGS.items():
        path = settings / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    token, port = secrets.token_hex(24), _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),  # none of the user's configuration
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    jupyter = Path(sys.executable).with_name("jupyter")
    log = open(home / "server.log", "w")  # noqa: SIM115 - closed at teardown
    server = subprocess.Popen(
        [
            str(jupyter),
            "lab",
            "--no-browser",
            f"--IdentityProvider.token={token}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={project}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited: {(home / 'server.log').read_text()[-3000:]}")
            if _answers(f"{base}/api/status?token={token}"):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer within {START_TIMEOUT} s")
            time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()  # the server shuts its kernels down
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


_PROMPTS = """() => Array.from(document.querySelectorAll(
    '.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')).map(e => e.textContent.trim())"""
_STDERR = """() => Array.from(document.querySelectorAll(
    '.jp-Notebook .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
)).map(e => e.textContent)"""
_ERROR = re.compile(r"Traceback|\b\w*(Error|Exception)\b")


def test_report_notebook_runs_in_jupyterlab_on_the_projects_kernel_without_errors(
    lab: tuple[str, str], project: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from evalkit.reports.pdf import CHROMIUM_ARGS, chromium_path

    base, token = lab
    display_name = _kernel_display_name(project)
    assert display_name == "Python (evalkit)"
    before = (project / NOTEBOOK).read_bytes()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", wait_until="load")
            notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
            # The project's kernel, started and idle
            expect(notebook.locator(".jp-KernelName")).to_have_text(display_name, timeout=120_000)
            idle = notebook.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
            expect(idle).to_have_count(1, timeout=120_000)
            prompts = page.evaluate(_PROMPTS)
            assert prompts and not any(re.search(r"\d", p) for p in prompts)  # nothing run yet
            # Run -> Run All Cells
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-item:not(.lm-mod-hidden)").filter(
                has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
            ).click()
            # Run All has finished: a cell has run, none waits as [*], the kernel is idle (the
            # cells after an error would never run: the errors are checked before the count)
            page.wait_for_function(
                f"""() => {{
                    const prompts = ({_PROMPTS})();
                    const idle = document.querySelector(
                        '.jp-NotebookPanel:not(.lm-mod-hidden) '
                        + '.jp-Notebook-ExecutionIndicator[data-status="idle"]');
                    return idle !== null && prompts.some(p => /\\d/.test(p))
                        && !prompts.some(p => p.includes('*'));
                }}""",
                timeout=RUN_TIMEOUT * 1000,
                polling=1000,
            )
            page.screenshot(path=str(tmp_path / "jupyterlab.png"), full_page=True)
            errors = [t for t in page.evaluate(_STDERR) if _ERROR.search(t)]
            assert errors == [], errors[0][-3000:] if errors else ""
            prompts = page.evaluate(_PROMPTS)
            assert all(re.match(r"\[\d+\]", p) for p in prompts), prompts  # every cell ran
            assert len(prompts) == sum(
                c["cell_type"] == "code" for c in json.loads(before)["cells"]
            )
            numbers = [int(re.search(r"\d+", p).group()) for p in prompts]  # type: ignore[union-attr]
            assert numbers == sorted(numbers)  # top to bottom, each once
            # The report: its header and sections, and the note about its downloads
            output = notebook.locator(".jp-OutputArea-output")
            expect(output.filter(has_text="Family Support: Liverpool").first).to_be_visible()
            for heading in ("Who the service reached", "Impact: what the service caused"):
                expect(notebook.locator("h2", has_text=heading).first).to_be_attached()
            assert notebook.locator(".jp-OutputArea-output h2").count() >= 6  # every section
            assert notebook.locator(".jp-OutputArea-output table.evalkit-protected").count() >= 3
            expect(
                output.filter(has_text="when it is produced by evalkit run").first
            ).to_be_attached()
            expect(notebook.locator(".jp-KernelName")).to_have_text(display_name)
        finally:
            browser.close()
    assert (project / NOTEBOOK).read_bytes() == before  # never saved: no outputs on disk
    assert not list((project / "notebooks").glob("*.ipynb.bak"))
