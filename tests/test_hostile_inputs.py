"""Hostile and careless input to the spec, data files, ``evalkit demo``, ``validate`` and
``reflect``: every case gives exactly the expected exit status and ONE line on stderr (no
traceback), and leaves the project's reports and learning log exactly as they were.

The project is the demo's, with a reflection a user added to its learning log and a report
page, so that a command that deleted or rewrote either would show. Cases run the real
command line, in this process (:func:`evalkit.cli.main`) where that is cheap and in a
subprocess (``python -m evalkit.cli``) where the process itself matters (a closed pipe).
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from _reports import EVALKIT, cli
from evalkit.cli import main

REPO = Path(__file__).resolve().parents[1]
SPEC = "data/raw/demo/family-support.yaml"
PEOPLE = "data/raw/demo/service_users.csv"
LOG = "data/processed/family-support/learning.sqlite"

USER_REFLECTION = """\
programme: family-support
locality: E08000012
period: 2024Q4
learning_cycle: E08000012-cycle-2
author: Jo Bloggs
role: frontline worker
what_we_tried: a user's own reflection, which no command may lose
what_happened: it was kept
what_we_learned: nothing is lost
what_we_will_change: nothing
consent: yes
"""


def _run(argv: list[str], cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> tuple:
    """``evalkit ARGV`` in this process: (exit status, stdout, stderr)."""
    monkeypatch.chdir(cwd)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _log_dump(path: Path) -> str:
    """The learning log's content, table by table (what a lost reflection would change)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return "\n".join(conn.iterdump())


def snapshot(root: Path) -> dict[str, str]:
    """A hash of every file under reports/ and of the learning log's content."""
    hashes = {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "reports").rglob("*"))
        if p.is_file()
    }
    hashes[LOG] = hashlib.sha256(_log_dump(root / LOG).encode()).hexdigest()
    return hashes


def one_line(code: int, err: str, expected: str, status: int = 2) -> None:
    """Exit ``status``, exactly one non-empty line on stderr, naming ``expected``; no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == status, err
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert expected in lines[0], lines[0]
    assert len(lines[0]) < 1000, len(lines[0])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project, a user's reflection in its learning log and a report page."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    done = cli(["demo"], cwd=root)
    assert done.returncode == 0, done.stderr
    (root / "mine.yaml").write_text(USER_REFLECTION, encoding="utf-8")
    done = cli(["reflect", "add", "--programme", "family-support", "--file", "mine.yaml"], root)
    assert done.returncode == 0, done.stderr
    page = root / "reports" / "family-support" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html>a report a user relies on</html>", encoding="utf-8")
    return root


@pytest.fixture
def unchanged(project: Path):
    """Fails the test if anything under reports/ or in the learning log changed."""
    before = snapshot(project)
    yield project
    assert snapshot(project) == before


# -- the spec ----------------------------------------------------------------------------------
def _bomb(text: str) -> str:
    lines = ["  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return text.replace("cost_benefit:\n", "cost_benefit:\n" + "\n".join(lines) + "\n", 1)


def _sub(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return change


def _append(extra: str) -> Callable[[str], str]:
    return lambda text: text + extra


SPEC_CASES: dict[str, tuple[Callable[[str], str], str]] = {
    "alias bomb in cost_benefit": (_bomb, "once its aliases"),
    "recursive alias": (_append("loop: &loop [1, *loop]\n"), "recursive alias"),
    "nested 5000 deep": (_append("deep: " + "[" * 5000 + "]" * 5000 + "\n"), "nest"),
    "a key given twice": (_append("programme: another-programme\n"), "given twice"),
    "horizon of 100 million years": (
        _sub("horizon_years: 10", "horizon_years: 100000000"),
        "horizon_years",
    ),
    "an infinite cost": (_sub("amount: 250000", "amount: .inf"), "finite"),
    "a cost of 1e300 pounds": (_sub("amount: 250000", "amount: 1.0e+300"), "amount"),
    "a cohort of 1e15 people": (_sub("size: 200", "size: 1.0e+15"), "size"),
    "a negative seed": (_sub("seed: 1\n", "seed: -1\n"), "sensitivity.seed"),
    "an infinite sensitivity range": (
        _sub("engagement_rate: [0.6, 0.9]", "engagement_rate: [0.6, .inf]"),
        "sensitivity.ranges",
    ),
    "ten draws": (_sub("draws: 5000", "draws: 10"), "draws"),
    "a timeout of 30 years": (_append("timeout_seconds: 1000000000\n"), "timeout_seconds"),
    "a title of 300 characters": (_sub("title: Family Support", "title: " + "T" * 300), "title"),
    "a locality code of 5000 characters": (
        _sub("localities: [", "localities: [" + "Z" * 5000 + ", "),
        "localities",
    ),
    "a data file outside the project": (
        _sub("file: data/raw/demo/service_users.csv", "file: /etc/passwd.csv"),
        "outside the project",
    ),
    "reflections from /etc/passwd": (
        _sub("reflections: data/raw/demo/reflections.csv", "reflections: /etc/passwd"),
        "outside the project",
    ),
    "an eligible file in another folder": (
        _sub(
            "  source: comparison_group\n",
            "  source: file\n  file: ../../../../etc/passwd\n",
        ),
        "outside the project",
    ),
    "reports written to another folder": (_append("output_dir: ../elsewhere\n"), "output_dir"),
    "a notebook outside the project": (
        _sub("notebook: notebooks/programme_report.ipynb", "notebook: /tmp/evil.ipynb"),
        "reports[0].notebook",
    ),
    "an identifier pattern that is not a regex": (
        _append("identifier_patterns: ['(']\n"),
        "not a regular expression",
    ),
    "an identifier pattern matching everything": (
        _append("identifier_patterns: ['.*']\n"),
        "match empty text",
    ),
    "a NUL byte": (_append("description: \x00\n"), "not valid YAML"),
    "a NUL byte in the root": (_append('root: "a\\0b"\n'), "field 'root'"),
    "a NUL byte in a path": (_append('output_dir: "\\0"\n'), "output_dir: '\\x00' is not a path"),
    "a list at the top": (lambda text: "- " + text.replace("\n", "\n  "), "mapping of fields"),
    "an empty spec": (lambda text: "", "mapping of fields"),
}


@pytest.mark.parametrize("case", SPEC_CASES, ids=list(SPEC_CASES))
def test_a_hostile_spec_gives_one_line(case: str, unchanged: Path, capsys, monkeypatch) -> None:
    change, expected = SPEC_CASES[case]
    text = (unchanged / SPEC).read_text(encoding="utf-8")
    hostile = unchanged / "data" / "raw" / "demo" / "hostile.yaml"
    hostile.write_text(change(text), encoding="utf-8")
    code, _, err = _run(["validate", str(hostile)], unchanged, capsys, monkeypatch)
    one_line(code, err, expected)
    assert "root:" not in err  # no content of /etc/passwd


def test_a_50_mb_spec_is_refused_by_its_size(unchanged: Path, capsys, monkeypatch) -> None:
    big = unchanged / "big.yaml"
    big.write_text("title: " + "x" * 50_000_000 + "\n", encoding="utf-8")
    code, _, err = _run(["validate", str(big)], unchanged, capsys, monkeypatch)
    one_line(code, err, "too large")
    big.unlink()


def test_a_spec_that_is_not_text(unchanged: Path, capsys, monkeypatch) -> None:
    binary = unchanged / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x01" * 100)
    code, _, err = _run(["validate", str(binary)], unchanged, capsys, monkeypatch)
    one_line(code, err, "not UTF-8")


def test_allow_outside_lets_a_spec_read_outside_on_purpose(unchanged: Path, capsys, monkeypatch):
    text = (unchanged / SPEC).read_text(encoding="utf-8")
    spec = unchanged / "data" / "raw" / "demo" / "outside.yaml"
    spec.write_text(text + "output_dir: ../elsewhere\nallow_outside: true\n", encoding="utf-8")
    code, out, err = _run(["validate", str(spec), "--spec-only"], unchanged, capsys, monkeypatch)
    assert code == 0 and "programme spec OK" in out, err


# -- data files --------------------------------------------------------------------------------
def _people_with(project: Path, cells: dict[int, str], column: str) -> Path:
    """A copy of the people file with ``cells`` (data row number -> text) in ``column``."""
    lines = (project / PEOPLE).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    at = header.index(column)
    for row, text in cells.items():
        fields = lines[row].split(",")
        fields[at] = text
        lines[row] = ",".join(fields)
    path = project / "data" / "raw" / "demo" / "people-hostile.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


DATA_CASES = {
    "a decimal in a count column": ({2: "1.5"}, "row 3, column 'social_care_referrals_after'"),
    "inf in a count column": ({2: "inf"}, "value 'inf' is not valid"),
    "-inf in a count column": ({2: "-inf"}, "value '-inf' is not valid"),
    "nan in a count column": ({2: "nan"}, "value 'nan' is not valid"),
    "1e30 in a count column": ({2: "1e30"}, "value '1e30' is not valid"),
    "a 25-digit count": ({2: "9" * 25}, "is not valid"),
    "every bad row counted": (
        {2: "1.5", 5: "inf", 9: "x", 12: "-1", 20: "2.5"},
        "(5 problems in 1 column(s) in all; also row 6",
    ),
}


@pytest.mark.parametrize("case", DATA_CASES, ids=list(DATA_CASES))
def test_bad_values_in_a_data_file_give_one_line(case, unchanged, capsys, monkeypatch) -> None:
    cells, expected = DATA_CASES[case]
    path = _people_with(unchanged, cells, "social_care_referrals_after")
    argv = ["validate", str(path), "--spec", SPEC, "--source", "service_users"]
    code, _, err = _run(argv, unchanged, capsys, monkeypatch)
    one_line(code, err, expected)


def test_problems_in_several_columns_are_all_counted(unchanged, capsys, monkeypatch) -> None:
    path = _people_with(unchanged, {2: "1.5"}, "social_care_referrals_after")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace("2022-", "2O22-", 1)  # a letter O in a date
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = ["validate", str(path), "--spec", SPEC, "--source", "service_users"]
    code, _, err = _run(argv, unchanged, capsys, monkeypatch)
    one_line(code, err, "2 problems in 2 column(s) in all")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\xff" * 1000, "people-hostile.csv"),
        (("x" * 10_000 + ",y\n1,2\n").encode(), "..."),
    ],
    ids=["an empty file", "a binary file", "a 10,000-character header"],
)
def test_a_broken_data_file_gives_one_line(content, expected, unchanged, capsys, monkeypatch):
    path = unchanged / "data" / "raw" / "demo" / "people-hostile.csv"
    path.write_bytes(content)
    argv = ["validate", str(path), "--spec", SPEC, "--source", "service_users"]
    code, _, err = _run(argv, unchanged, capsys, monkeypatch)
    one_line(code, err, expected)


def test_a_system_file_as_data_never_shows_its_content(unchanged, capsys, monkeypatch) -> None:
    argv = ["validate", "/etc/passwd", "--spec", SPEC, "--source", "service_users"]
    code, _, err = _run(argv, unchanged, capsys, monkeypatch)
    one_line(code, err, "/etc/passwd")
    assert "root:" not in err


# -- evalkit demo ------------------------------------------------------------------------------
def test_demo_never_replaces_a_learning_log_a_user_wrote_to(unchanged, capsys, monkeypatch):
    for extra in ([], ["--force"]):
        argv = ["demo", "--dir", "data/raw/x", *extra]
        code, _, err = _run(argv, unchanged, capsys, monkeypatch)
        one_line(code, err, "learning.sqlite: this learning log holds 1 change(s) not made")
    assert not (unchanged / "data" / "raw" / "x").exists()  # checked before anything is written


def test_demo_never_overwrites_a_file_it_did_not_write(tmp_path, capsys, monkeypatch) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "service_users.csv").write_text("a user's own file\n", encoding="utf-8")
    code, _, err = _run(["demo", "--dir", "x"], tmp_path, capsys, monkeypatch)
    one_line(code, err, "service_users.csv: already exists and was not written by")
    assert (folder / "service_users.csv").read_text(encoding="utf-8") == "a user's own file\n"
    assert [p.name for p in folder.iterdir()] == ["service_users.csv"]
    assert not (tmp_path / "data").exists()


def test_demo_rewrites_its_own_files_but_not_one_a_user_changed(tmp_path, capsys, monkeypatch):
    code, _, err = _run(["demo", "--dir", "x"], tmp_path, capsys, monkeypatch)
    assert code == 0, err
    code, _, err = _run(["demo", "--dir", "x", "--seed", "7"], tmp_path, capsys, monkeypatch)
    assert code == 0, err  # its own files, unchanged since: rewritten
    with (tmp_path / "x" / "costs.csv").open("a", encoding="utf-8") as fh:
        fh.write("E08000012,2024/25,my own line,1.0,2024\n")
    code, _, err = _run(["demo", "--dir", "x"], tmp_path, capsys, monkeypatch)
    one_line(code, err, "costs.csv: already exists and was not written by")
    code, _, err = _run(["demo", "--dir", "x", "--force"], tmp_path, capsys, monkeypatch)
    assert code == 0, err
    assert "my own line" not in (tmp_path / "x" / "costs.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["demo", "--seed", "-1"], "--seed"),
        (["demo", "--extra-localities", "-5"], "--extra-localities"),
        (["demo", "--dir", "mine.yaml"], "mine.yaml: not a folder"),
    ],
    ids=["a negative seed", "negative extra localities", "a file as the folder"],
)
def test_demo_bad_options_give_one_line(argv, expected, tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "mine.yaml").write_text("mine\n", encoding="utf-8")
    code, _, err = _run(argv, tmp_path, capsys, monkeypatch)
    one_line(code, err, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.yaml"]


# -- evalkit reflect ---------------------------------------------------------------------------
STORE = ["--programme", "family-support"]
BIG = "99999999999999999999999"
REFLECT_CASES = {
    "import with a bogus encoding": (
        ["reflect", "import", "data/raw/demo/reflections.csv", "--encoding", "bogus", *STORE],
        "encoding 'bogus'",
    ),
    "import an empty CSV": (["reflect", "import", "empty.csv", *STORE], "empty"),
    "import a missing names file": (
        ["reflect", "import", "data/raw/demo/reflections.csv", "--names-file", "no.txt", *STORE],
        "no.txt",
    ),
    "review a huge id": (["reflect", "review", BIG, *STORE], "is not in the store"),
    "accept a review of a huge id": (
        ["reflect", "review", BIG, "--accept", "--by", "Jo", *STORE],
        "is not in the store",
    ),
    "erase a huge id": (
        ["reflect", "erase", BIG, "--by", "dpo", "--reason", "request", *STORE],
        "is not in the store",
    ),
    "code a huge id": (["reflect", "code", BIG, "trust", "--by", "Jo", *STORE], "not in"),
    "status of a huge id": (
        ["reflect", "status", BIG, "withdrawn", "--by", "Jo", *STORE],
        "is not in the store",
    ),
    "follow up a huge action id": (
        ["reflect", "follow-up", BIG, "--status", "done", "--by", "Jo", *STORE],
        "is not in the store",
    ),
    "export to a folder": (
        ["reflect", "export", "--format", "csv", "--output", "data", *STORE],
        "is a folder",
    ),
    "export a project to a folder": (
        ["reflect", "export", "--format", "qdpx", "--output", "reports", *STORE],
        "is a folder",
    ),
    "a store that is not a learning log": (
        ["reflect", "list", "--store", "mine.yaml"],
        "cannot be opened",
    ),
    "a store that is a folder": (["reflect", "list", "--store", "data"], "is a folder"),
    "an id pattern that is not a regex": (
        ["reflect", "list", "--id-pattern", "(", *STORE],
        "not a regular expression",
    ),
}


@pytest.mark.parametrize("case", REFLECT_CASES, ids=list(REFLECT_CASES))
def test_a_hostile_reflect_command_gives_one_line(case, unchanged, capsys, monkeypatch) -> None:
    argv, expected = REFLECT_CASES[case]
    (unchanged / "empty.csv").write_bytes(b"")
    code, _, err = _run(argv, unchanged, capsys, monkeypatch)
    one_line(code, err, expected)


def test_a_closed_pipe_ends_quietly(unchanged: Path) -> None:
    for argv in (["reflect", "templates"], ["reflect", "list", "--text", *STORE]):
        proc = subprocess.Popen(
            [*EVALKIT, *argv],
            cwd=unchanged,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # as `| head -1` does
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0, err
        assert err == "", err


def test_exports_neutralise_formulas_and_strip_controls_and_case_numbers(
    tmp_path, capsys, monkeypatch
):
    """Text a spreadsheet would run, NUL and bidi controls and a case number never leave."""
    hostile = (
        "programme: family-support\nlocality: E08000012\nperiod: 2024Q3\nauthor: Jo Bloggs\n"
        "role: frontline worker\nconsent: yes\n"
        'what_we_tried: "=HYPERLINK(\\"http://evil.example\\") for FS000123"\n'
        'what_happened: "+1 and a\\0NUL and \\u202Eevil\\u2066 text"\n'
        'what_we_learned: "@SUM(A1)"\n'
        'what_we_will_change: "-2 \\tand a tab"\n'
    )
    (tmp_path / "r.yaml").write_text(hostile, encoding="utf-8")
    store = ["--store", "log.sqlite"]
    argv = ["reflect", "add", "--file", "r.yaml", *store, "--id-pattern", r"FS\d{6}"]
    code, _, err = _run(argv, tmp_path, capsys, monkeypatch)
    assert code == 0, err
    argv = ["reflect", "review", "1", "--accept", "--by", "Jo", "--shareable", *store]
    assert _run(argv, tmp_path, capsys, monkeypatch)[0] == 0
    argv = ["reflect", "export", "--format", "csv", "--output", "out.csv", *store]
    assert _run(argv, tmp_path, capsys, monkeypatch)[0] == 0
    exported = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in exported and "'+1" in exported and "'@SUM" in exported
    assert "'-2" in exported
    assert "FS000123" not in exported and "[ID]" in exported
    for bad in ("\x00", "\u202e", "\u2066"):
        assert bad not in exported
    argv = ["reflect", "export", "--format", "qdpx", "--output", "out.qdpx", *store]
    assert _run(argv, tmp_path, capsys, monkeypatch)[0] == 0
    import zipfile

    with zipfile.ZipFile(tmp_path / "out.qdpx") as archive:
        text = "".join(archive.read(n).decode() for n in archive.namelist())
    assert "\u202e" not in text and "\x00" not in text and "FS000123" not in text


def test_the_demo_log_redacts_the_programmes_case_numbers(project: Path) -> None:
    """The demo learns the shape of its identifiers (FS000123) from the people file."""
    from evalkit.config import load_spec
    from evalkit.intake.mapping import identifier_patterns
    from evalkit.learning.redaction import redact

    patterns = identifier_patterns(load_spec(project / SPEC))
    text, log = redact("family FAM000042 (case FS000123) moved; 250000 pounds", (), patterns)
    assert text == "family [ID] (case [ID]) moved; 250000 pounds"
    assert [e.kind for e in log] == ["identifier", "identifier"]


def test_the_capture_page_redacts_the_programmes_case_numbers(tmp_path: Path) -> None:
    """The browser capture form (evalkit reflect serve) saves through a store that knows the
    programme's case-number shapes, as the command line does."""
    from conftest import make_project
    from evalkit.reports.capture import capture_form

    spec_path = make_project(tmp_path)
    form = capture_form("hls", str(spec_path), str(tmp_path / "learning.sqlite"))
    rid = form.store.add(
        {
            "programme": "family-support",
            "author": "A Worker",
            "role": "key worker",
            "locality": "E08000012",
            "period": "2024Q4",
            "what_we_tried": "We called the family on case FS000123 twice a week.",
            "what_happened": "They came to every session.",
            "what_we_learned": "Regular calls help.",
            "what_we_will_change": "Keep calling.",
            "consent": True,
        }
    )
    text = form.store.get(rid)["redacted_what_we_tried"]
    assert "FS000123" not in text and "[ID]" in text
