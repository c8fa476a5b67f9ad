"""``evalkit reflect``: driven through the real command line, in process and as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from _learning import KEY, reflection
from evalkit.cli import main
from evalkit.learning.store import ReflectionStore

# The console script installed beside the running interpreter (a venv or a conda environment).
EVALKIT = Path(sys.executable).parent / "evalkit"
SUBCOMMANDS = (
    "add",
    "import",
    "list",
    "review",
    "status",
    "erase",
    "codebook",
    "code",
    "suggest",
    "search",
    "export",
    "action",
    "follow-up",
    "actions",
    "templates",
)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KEY)


@pytest.fixture
def csv_file(tmp_path) -> Path:
    path = tmp_path / "reflections.csv"
    frame = pd.DataFrame(
        [
            reflection(),
            reflection(what_happened="Sam rang 07700 900123", author="Sam Reid"),
            reflection(period="2024Q5"),
        ]
    )
    frame.rename(columns={"locality": "locality_code"}).to_csv(path, index=False)
    return path


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "EVALKIT_PSEUDONYM_KEY": KEY}
    return subprocess.run(
        [str(EVALKIT), *args], capture_output=True, text=True, input=stdin, env=env, timeout=120
    )


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help_with_examples(name, capsys):
    with pytest.raises(SystemExit) as done:
        main(["reflect", name, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "evalkit reflect" in text


def test_import_review_share_search_export_withdraw(csv_file, tmp_path, capsys):
    store = str(tmp_path / "learning.sqlite")
    assert main(["reflect", "import", str(csv_file), "--store", store]) == 1
    out = capsys.readouterr().out
    assert "3 rows read, 2 imported, 1 rejected" in out
    assert "rejected row 4, column 'period': value '2024Q5'" in out

    assert main(["reflect", "list", "--store", store, "--status", "redaction_pending"]) == 0
    listing = capsys.readouterr().out
    assert "redaction_pending" in listing and "07700" not in listing

    assert main(["reflect", "review", "2", "--store", store]) == 0
    shown = capsys.readouterr().out
    assert "[NAME] rang [PHONE]" in shown and "1 name, 1 phone" in shown
    for rid in ("1", "2"):
        args = ["reflect", "review", rid, "--store", store, "--accept", "--by", "Jo", "--shareable"]
        assert main(args) == 0
    assert "now shareable" in capsys.readouterr().out

    assert main(["reflect", "search", "school", "gate", "--store", store]) == 0
    assert "E08000012 2024Q3" in capsys.readouterr().out

    codes = tmp_path / "codes.yaml"
    codes.write_text("- name: venues\n  definition: where we meet, school gate\n", encoding="utf-8")
    assert main(["reflect", "codebook", str(codes), "--store", store, "--by", "Jo"]) == 0
    assert main(["reflect", "suggest", "--store", store]) == 0
    assert "suggestions only" in capsys.readouterr().out
    assert main(["reflect", "code", "1", "venues", "--store", store, "--by", "Jo"]) == 0

    for fmt in ("csv", "qdc", "qdpx"):
        output = tmp_path / f"out.{fmt}"
        assert (
            main(["reflect", "export", "--format", fmt, "--output", str(output), "--store", store])
            == 0
        )
        assert output.stat().st_size > 0
    ET.parse(tmp_path / "out.qdc")
    assert len(pd.read_csv(tmp_path / "out.csv")) == 2

    assert main(["reflect", "status", "2", "withdrawn", "--by", "Sam Reid", "--store", store]) == 0
    main(
        [
            "reflect",
            "export",
            "--format",
            "csv",
            "--output",
            str(tmp_path / "after.csv"),
            "--store",
            store,
        ]
    )
    assert pd.read_csv(tmp_path / "after.csv")["id"].tolist() == [1]


def test_import_takes_the_programme_from_the_option(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "form.csv"
    pd.DataFrame([reflection()]).drop(columns="programme").to_csv(path, index=False)
    assert main(["reflect", "import", str(path), "--programme", "family-support"]) == 0
    store = tmp_path / "data" / "processed" / "family-support" / "learning.sqlite"
    with ReflectionStore(store) as s:
        assert s.all()["programme"].tolist() == ["family-support"]


def test_actions_follow_up_and_continuity(tmp_path, capsys):
    store = str(tmp_path / "learning.sqlite")
    with ReflectionStore(store) as s:
        rid = s.add(reflection(reflected_on="2024-06-01"))
    common = ["--store", store, "--programme", "family-support", "--locality", "E08000012"]
    for description, due in (
        ("Book venues", "2024-10-31"),
        ("Call Ana on 07700 900123", "2025-01-31"),
    ):
        args = ["reflect", "action", *common, "--description", description]
        args += ["--owner-role", "provider", "--due", due, "--from-reflection", str(rid)]
        assert main([*args, "--by", "Jo"]) == 0
    capsys.readouterr()
    assert main(["reflect", "actions", "--store", store, "--today", "2024-11-15"]) == 0
    out = capsys.readouterr().out
    assert "Book venues" in out and "Call Ana on [PHONE]" in out and "07700" not in out
    assert "1 learning cycle had no reflection in the last 8 weeks" in out
    assert "1 action past its due date had no follow-up reflection" in out
    assert main(["reflect", "actions", "--store", store, "--today", "2024-11-15", "--overdue"]) == 0
    assert "Call Ana" not in capsys.readouterr().out
    assert (
        main(
            ["reflect", "follow-up", "1", "--reflection", str(rid), "--by", "Jo", "--store", store]
        )
        == 0
    )
    main(["reflect", "actions", "--store", store, "--today", "2024-11-15", "--overdue"])
    assert "no open actions" in capsys.readouterr().out


def test_review_hints_at_names_the_automatic_pass_kept(tmp_path, capsys):
    store = str(tmp_path / "learning.sqlite")
    with ReflectionStore(store) as s:
        s.add(reflection(what_happened="Priya Shah from the Family Hub rang."))
    assert main(["reflect", "review", "1", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "check whether these are people's names: Family Hub, Priya Shah" in out


def test_add_from_yaml_and_markdown(tmp_path, capsys):
    store = str(tmp_path / "learning.sqlite")
    yaml_file = tmp_path / "r.yaml"
    yaml_file.write_text(
        "programme: family-support\nlocality: E08000012\nperiod: 2024Q3\nauthor: Tim Lee\n"
        "role: provider\nconsent: 'yes'\ntemplate: after_action_review\nanswers:\n"
        "  intended: A drop-in\n  actual: Nobody came\n  why: Wrong time\n"
        "  next_time: Move it to school pick-up\n",
        encoding="utf-8",
    )
    assert main(["reflect", "add", "--store", store, "--file", str(yaml_file)]) == 0
    md_file = tmp_path / "r.md"
    md_file.write_text(
        "---\nprogramme: family-support\nlocality: E08000012\nperiod: 2024Q3\n"
        "author: Tim Lee\nrole: provider\n---\n## What did we try?\nTim Lee tried calls\n"
        "## What happened?\nSome answered\n## What did we learn?\nEvenings work\n"
        "## What will we change?\nCall after six\n",
        encoding="utf-8",
    )
    assert main(["reflect", "add", "--store", store, "--file", str(md_file), "--draft"]) == 0
    assert "saved (draft)" in capsys.readouterr().out
    with ReflectionStore(store) as s:
        frame = s.all()
    assert frame["what_happened"].tolist() == ["Nobody came", "Some answered"]
    assert frame["template"].tolist() == ["after_action_review", "hls"]
    assert frame["redacted_what_we_tried"].iloc[1] == "[NAME] tried calls"


def test_interactive_add_through_the_installed_command(tmp_path):
    store = str(tmp_path / "learning.sqlite")
    answers = "family-support\nE08000012\n2024Q3\ncycle-1\nAna Diaz\nprovider\n\nyes\na\nb\nc\nd\n"
    done = _run("reflect", "add", "--store", store, stdin=answers)
    assert done.returncode == 0, done.stderr
    assert "What did we try?" in done.stdout and "saved (redaction pending)" in done.stdout
    with ReflectionStore(store) as s:
        rec = s.get(1)
    assert (rec["confidence"], rec["consent"], rec["what_we_will_change"]) == (
        "emerging",
        True,
        "d",
    )


def test_errors_exit_2_with_one_line_and_no_traceback(tmp_path, csv_file):
    store = str(tmp_path / "learning.sqlite")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(csv_file.read_bytes().replace(b"gate", b"caf\xe9"))
    cases = [
        ("reflect", "import", str(latin), "--store", store),
        ("reflect", "import", str(csv_file)),
        ("reflect", "status", "1", "shareable", "--by", "Jo", "--store", store),
        ("reflect", "add", "--store", store, "--file", str(tmp_path / "missing.yaml")),
    ]
    messages = ["0xe9", "--store PATH", "reflection id 1", "does not exist"]
    for args, message in zip(cases, messages, strict=True):
        done = _run(*args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith("evalkit: error:") and message in done.stderr


def test_import_exit_status_from_the_installed_command(tmp_path, csv_file):
    done = _run("reflect", "import", str(csv_file), "--store", str(tmp_path / "l.sqlite"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "rejected row 4" in done.stdout


def test_list_shows_redacted_text_only_and_never_reads_the_original(tmp_path, capsys, monkeypatch):
    store = str(tmp_path / "learning.sqlite")
    with ReflectionStore(store) as s:
        s.add(reflection(what_we_tried="Sam Reid rang 07700 900123.", author="Sam Reid"))
        s.add(reflection(locality="E08000013", what_we_tried="Evening calls."))

    def no_original_text(self):
        raise AssertionError("reflect list read the original text")

    monkeypatch.setattr(ReflectionStore, "all", no_original_text)
    assert main(["reflect", "list", "--store", store, "--text"]) == 0
    out = capsys.readouterr().out
    assert "[NAME] rang [PHONE]" in out and "redacted text" in out
    assert "Sam" not in out and "07700" not in out
    assert main(["reflect", "list", "--store", store, "--locality", "E08000013"]) == 0
    out = capsys.readouterr().out
    assert "E08000013 2024Q3" in out and "E08000012 2024Q3" not in out and "Evening" not in out
    assert main(["reflect", "list", "--store", store, "--status", "shareable"]) == 0
    assert capsys.readouterr().out.strip() == "no reflections match"
    assert main(["reflect", "actions", "--store", store, "--today", "2024-11-15"]) == 0


def test_add_from_a_file_that_is_not_yaml_is_one_line(tmp_path):
    bad = tmp_path / "r.yaml"
    bad.write_text("programme: [unclosed\n", encoding="utf-8")
    done = _run("reflect", "add", "--store", str(tmp_path / "l.sqlite"), "--file", str(bad))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("evalkit: error:") and "not valid YAML" in done.stderr
    assert done.stderr.count("\n") == 1
