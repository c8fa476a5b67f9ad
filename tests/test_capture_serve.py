"""``evalkit reflect serve``: the capture form as a web page (Voila), filled in on a phone.

The browser test starts the real command on a free port of 127.0.0.1 for a demo project made in
the test's folder (its pseudonymisation key in the project's key file, not the environment, as a
user's would be), opens the page in headless Chromium at a phone's size (390 x 844), fills in the
form - hostile markup, a phone number, an email address and a name among the answers - gives
consent and a sharing scope, saves, and finds the reflection in the programme's learning log:
redacted, pseudonymised and waiting for review. The markup is shown back only as text and never
runs; the page never scrolls sideways. Ctrl-C then stops the server cleanly.

The other tests check, without a browser, that each thing the page needs and lacks is one line
at the command line and exit status 2.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from _needs import need, need_import
from _reports import EVALKIT, NO_BROWSER, chromium_found

PHONE = {"width": 390, "height": 844}
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
TRIED = f"Sam Reid and I moved the sessions to the school gate. {HOSTILE}"
HAPPENED = "Parents rang 07700 900123 or wrote to jo.bloggs@example.org to book."
KEY = "capture-test-key-from-the-project-0001"
VOILA = "the capture page needs Voila: pip install 'voila>=0.5'"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env() -> dict[str, str]:
    """The environment of a user's shell: no key in it (the project's key file holds it)."""
    env = {k: v for k, v in os.environ.items() if k not in {"EVALKIT_PSEUDONYM_KEY"}}
    env.pop("EVALKIT_KEY_FILE", None)
    return env


def _project(root: Path) -> Path:
    """A demo project with its key in the project's key file; returns the spec path."""
    from conftest import make_project

    spec_path = make_project(root)
    key_file = root / ".secrets" / "pseudonym.key"
    key_file.parent.mkdir()
    key_file.write_text(KEY + "\n", encoding="utf-8")
    return spec_path


def _serve(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EVALKIT, "reflect", "serve", "--no-browser", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(),
        timeout=timeout,
    )


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evalkit: error: "), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    return lines[0]


# --- the page in a browser -------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    """``evalkit reflect serve SPEC`` running for a fresh project; yields its URL, the project
    and the process. Stopped at teardown (SIGTERM to its process group, then SIGKILL)."""
    need(chromium_found(), f"{NO_BROWSER}: no browser to test with")
    need_import("voila", VOILA)
    root = tmp_path / "project"
    spec_path = _project(root)
    port, spec = _free_port(), str(spec_path.relative_to(root))
    server = subprocess.Popen(
        [*EVALKIT, "reflect", "serve", "--no-browser", "--port", str(port), spec],
        cwd=root,
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = server.stdout.readline()  # the one line, once the page can be opened
        assert line.startswith("capture form for family-support at "), (
            line + server.stderr.read() if server.poll() is not None else line
        )
        url = f"http://127.0.0.1:{port}/"
        assert url in line and "learning.sqlite" in line
        yield url, root, server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


_OVERFLOW = """() => {
  const width = window.innerWidth;
  const sideways = Array.from(document.querySelectorAll('*')).filter(e =>
    e.scrollWidth > e.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX));
  const outside = Array.from(document.querySelectorAll('.evalkit-capture *')).filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.left < 0 || r.right > width + 0.5);
  });
  return {scrollWidth: document.documentElement.scrollWidth, width,
          sideways: sideways.map(e => e.className.toString()),
          outside: outside.map(e => e.tagName + '.' + e.className.toString())};
}"""


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_the_capture_page_saves_a_redacted_reflection_from_a_phone(served, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from evalkit.intake.pseudonymise import pseudonym
    from evalkit.learning.store import ReflectionStore
    from evalkit.reports.pdf import CHROMIUM_ARGS, chromium_path

    url, root, server = served
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        try:
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            elsewhere: list[str] = []  # a council's network may block, and should not see, them
            page.on(
                "request",
                lambda r: (
                    None if r.url.startswith((url, "data:", "blob:")) else elsewhere.append(r.url)
                ),
            )
            response = page.goto(url, wait_until="load", timeout=120_000)
            assert response is not None and response.ok
            page.wait_for_selector(".evalkit-capture button", timeout=120_000)
            assert page.title() == "Capture a reflection"
            assert "check_parameters" not in page.content()  # no code on the page
            assert page.get_by_label("Programme", exact=True).input_value() == "family-support"

            page.get_by_label("Learning cycle").fill("E08000012-cycle-3")
            page.get_by_label("Locality (ONS code)").fill("E08000012")
            page.get_by_label("Period (e.g. 2024Q3)").fill("2024Q3")
            page.get_by_label("Your name (stored only as a pseudonym)").fill("Grace Okafor")
            page.get_by_label("Names to remove from the text").fill("Sam Reid")
            page.get_by_label("Your role").fill("frontline worker")
            page.get_by_label("Once reviewed, who may see it?").select_option(
                label="anyone: it may be published"
            )
            page.get_by_label("I agree that, once reviewed and redacted").check()
            page.get_by_label("What did we try?").fill(TRIED)
            page.get_by_label("What happened?").fill(HAPPENED)
            page.get_by_label("What did we learn?").fill("Place matters more than timing.")
            page.get_by_label("What will we change?").fill("Keep the school-gate sessions.")
            assert page.evaluate("typeof window.__pwned") == "undefined"

            page.get_by_role("button", name="Save reflection").click()
            saved = page.locator(".evalkit-saved")
            saved.wait_for(timeout=60_000)
            page.wait_for_timeout(500)  # time for any injected handler to fire
            shown = saved.inner_text()
            assert "Saved as reflection 1, waiting for review" in shown
            assert HOSTILE in shown  # shown as text...
            assert page.evaluate("typeof window.__pwned") == "undefined"  # ...never run
            assert page.locator(".evalkit-capture img, .evalkit-capture script").count() == 0
            assert "[PHONE]" in shown and "[EMAIL]" in shown and "07700" not in shown
            assert page.get_by_label("What did we try?").input_value() == ""  # ready for more

            layout = page.evaluate(_OVERFLOW)
            assert layout["scrollWidth"] <= PHONE["width"], layout
            assert layout["sideways"] == [] and layout["outside"] == [], layout
            page.set_viewport_size({"width": PHONE["width"], "height": 2200})  # the whole form
            page.screenshot(path=str(tmp_path / "capture_phone.png"))
            assert errors == []
            assert elsewhere == [], "the page loads nothing from outside this machine"
        finally:
            browser.close()

    store_path = root / "data" / "processed" / "family-support" / "learning.sqlite"
    with ReflectionStore(store_path) as store:
        (rid,) = store.all()["id"].tolist()
        record = store.get(int(rid))
    assert record["status"] == "redaction_pending"  # waits for a person's review
    assert record["consent"] is True and record["sharing_scope"] == "public"
    assert record["programme"] == "family-support" and record["locality"] == "E08000012"
    assert record["template"] == "hls" and record["role"] == "frontline worker"
    # Pseudonymised with the project's own key, found by the page's kernel with no set-up.
    assert record["author"] == pseudonym("Grace Okafor", KEY.encode(), prefix="a-")
    assert record["redacted_what_we_tried"] == (
        f"[NAME] and I moved the sessions to the school gate. {HOSTILE}"
    )
    assert record["redacted_what_happened"] == "Parents rang [PHONE] or wrote to [EMAIL] to book."
    assert {e["kind"] for e in record["redaction_log"]} == {"name", "phone", "email"}

    # Ctrl-C: the server stops cleanly, without a traceback, and frees its port.
    server.send_signal(signal.SIGINT)
    out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert "capture page stopped" in out and "Traceback" not in out + err
    port = int(url.rsplit(":", 1)[1].strip("/"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


# --- one line at the command line ------------------------------------------------------------


def test_serve_without_a_spec_says_so_in_one_line(tmp_path: Path) -> None:
    need_import("voila", VOILA)
    line = _one_line_error(_serve([], tmp_path))
    assert "no programme spec at data/raw/demo/family-support.yaml" in line
    line = _one_line_error(_serve(["nowhere.yaml"], tmp_path))
    assert line == "evalkit: error: no programme spec at nowhere.yaml"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo project for the checks that only read it; returns the spec path."""
    return _project(tmp_path_factory.mktemp("serve") / "project")


def test_serve_with_a_broken_spec_or_template_says_so_in_one_line(project: Path) -> None:
    need_import("voila", VOILA)
    root = project.parents[3]
    broken = root / "broken.yaml"
    broken.write_text("programme: [unclosed\n", encoding="utf-8")
    assert "not valid YAML" in _one_line_error(_serve([str(broken)], root))
    line = _one_line_error(_serve([str(project), "--template", "no_such_template"], root))
    assert "no_such_template" in line


def test_serve_on_a_port_in_use_says_so_in_one_line(project: Path) -> None:
    need_import("voila", VOILA)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_line_error(_serve([str(project), "--port", str(port)], project.parents[3]))
    assert f"port {port} on 127.0.0.1 is in use" in line


def test_serve_without_the_capture_notebook_or_a_key_says_so_in_one_line(tmp_path: Path) -> None:
    need_import("voila", VOILA)
    root = tmp_path / "project"
    spec_path = _project(root)
    (root / ".secrets" / "pseudonym.key").unlink()
    assert "no pseudonymisation key" in _one_line_error(_serve([str(spec_path)], root))
    (root / ".secrets" / "pseudonym.key").write_text(KEY, encoding="utf-8")
    (root / "notebooks" / "capture_reflection.ipynb").unlink()
    line = _one_line_error(_serve([str(spec_path)], root))
    assert "no capture notebook at " in line and "capture_reflection.ipynb" in line


def test_serve_without_voila_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from evalkit.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "voila" else real(name, *a)
    )
    assert main(["reflect", "serve", str(tmp_path / "spec.yaml"), "--no-browser"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install 'evalkit[capture]'" in err


def test_only_loopback_addresses_count_as_this_machine() -> None:
    from evalkit.learning.cli import is_loopback

    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "127.0.0.2", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.20", "::", "example.org"))


def test_serve_is_listed_in_the_reflect_help() -> None:
    done = subprocess.run(
        [*EVALKIT, "reflect", "serve", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    for words in ("--host", "--port", "--no-browser", "127.0.0.1", "personal data", "[capture]"):
        assert words in done.stdout
