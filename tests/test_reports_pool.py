"""Default mode: a kernel process of its own per report, forked from the worker's pre-imported
zygote (:mod:`evalkit.reports.zygote`).

Reports are identical to those of kernels started the ordinary way (``EVALKIT_FORK=0``); a report
that crashes its kernel (``os._exit``, a segmentation fault) fails alone and the next report on
that worker succeeds; nothing one report sets (a variable, a module attribute, a matplotlib
setting) reaches the next.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from _reports import TWO, demo_run, notebook, reports_of, set_reports
from evalkit.reports import run
from evalkit.reports.zygote import FORK_ENV

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernels")]

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?( UTC|\+00:00)?")


def _content(html: str) -> str:
    return _TIMESTAMP.sub("<time>", html)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return demo_run(tmp_path_factory)


def test_reports_from_forked_kernels_match_kernels_started_the_ordinary_way(
    demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, pages = demo  # the default mode: kernels forked from a pre-imported zygote
    monkeypatch.setenv(FORK_ENV, "0")
    result = run(spec, workers=2, localities=TWO, force=True, progress=False)
    assert {o.status for o in result.outcomes} == {"ok"}
    cold = reports_of(spec.output_folder)
    for name, page in pages.items():
        assert _content(cold[name]) == _content(page), name


# What the kernel shows before the notebook imports anything, then state it leaves behind.
LOOK = """\
import json, os, sys
import matplotlib as mpl
import evalkit
from IPython.display import HTML, display
with open(f"/proc/{os.getppid()}/cmdline", "rb") as _fh:
    _parent = _fh.read().replace(b"\\0", b" ").decode()
seen = {
    "preimported": "evalkit.reports.sections" in _sys_modules_at_start,
    "forked": "evalkit.reports.zygote" in _parent,
    "module_attribute": getattr(evalkit, "_left_by_a_report", None),
    "rc_linewidth": mpl.rcParams["lines.linewidth"],
    "variable": globals().get("left_behind"),
}
display(HTML(f"<pre id='seen'>{json.dumps(seen)}</pre>"))
"""
FIRST = "import sys as _s\n_sys_modules_at_start = set(_s.modules)\ndel _s\n"
LEAVE = """\
evalkit._left_by_a_report = locality
mpl.rcParams["lines.linewidth"] = 7.5
left_behind = locality
if locality == "E08000012":
    os._exit(1)  # this report ends its kernel
if locality == "E08000013":
    import signal
    os.kill(os.getpid(), signal.SIGSEGV)  # this one dies as a crashed C extension would
"""
FOUR = ["E08000012", "E08000013", "E08000011", "E08000014"]


def _seen(html: str) -> dict:
    found = re.search(r"<pre id=.seen.>(.*?)</pre>", html, flags=re.S)
    assert found, html[:500]
    return json.loads(found.group(1).replace("&quot;", '"'))


def test_one_worker_a_crash_fails_alone_and_no_state_reaches_the_next_report(
    tmp_path: Path,
) -> None:
    from conftest import make_project
    from evalkit.config import load_spec

    spec_path = make_project(tmp_path)
    nbformat.write(notebook([FIRST, LOOK, LEAVE]), tmp_path / "notebooks" / "look.ipynb")
    set_reports(spec_path, "notebooks/look.ipynb", FOUR)  # the crashing localities run first
    spec = load_spec(spec_path)
    result = run(spec, workers=1, progress=False)
    by_code = {o.locality: o for o in result.outcomes}
    for code in ("E08000012", "E08000013"):
        crashed = by_code.pop(code)
        assert crashed.status == "failed" and "kernel died" in (crashed.error or ""), crashed
    assert {o.status for o in by_code.values()} == {"ok"}, list(by_code.values())
    assert len({o.worker_pid for o in result.outcomes}) == 1  # one worker ran all four
    for code, outcome in by_code.items():
        seen = _seen(Path(outcome.html_path).read_text())
        assert seen["module_attribute"] is None, (code, seen)
        assert seen["variable"] is None, (code, seen)
        assert seen["rc_linewidth"] != 7.5, (code, seen)
        assert seen["preimported"], (code, seen)  # imports done before the report started
        assert seen["forked"], (code, seen)  # a child of the worker's zygote
