"""Sources read from a database: the same records from a CSV, from SQLite and from PostgreSQL give
identical processed partitions; the URL stays in the environment and out of every message.

The records are the provider export of ``test_intake_mapping`` (our own small programme, not the
demo). In SQLite they are stored as the CSV holds them (dates as dd/mm/yyyy text); in PostgreSQL
as a warehouse holds them: real ``date`` and ``timestamp`` columns, integers, ``numeric`` money,
NULL for an empty cell. The PostgreSQL server is started by the fixture below in a temporary
folder (on a free port of 127.0.0.1, as an unprivileged user when the tests run as root) and
stopped afterwards; the tests that need it are skipped, saying why, when it cannot be started
(a failure instead under ``CI=true``: tests/_needs.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from _needs import need
from evalkit.cli import main
from evalkit.config import load_spec
from evalkit.exceptions import ConfigError, DataError
from evalkit.intake import load_partition, partition_path, prepare, validate_inputs
from evalkit.intake.database import _short, read_query
from test_intake_mapping import HEADER, _project, _rows, _spec

URL_ENV = "EVALKIT_TEST_WAREHOUSE_URL"
PASSWORD = "s3cret-Pw_4evalkit"  # a test-only password, never a real secret
QUERY = 'SELECT * FROM clients ORDER BY "Client Ref"'


def _query_project(tmp_path: Path, query: str = QUERY, **source: object) -> Path:
    """The housing-advice project with its clients source read by ``query``."""
    (tmp_path / "notebooks").mkdir(parents=True, exist_ok=True)
    raw = _spec("unused.csv", query=query, url_env=URL_ENV, **source)
    del raw["sources"]["clients"]["file"]
    spec_path = tmp_path / "data" / "raw" / "housing-advice.yaml"
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return spec_path


def _partitions(spec_path: Path) -> dict[str, tuple[pd.DataFrame, pa.Table]]:
    """Intake's partitions of the clients source by locality: as loaded, and the parquet table
    (without its metadata, which records where the rows were read from)."""
    spec = load_spec(spec_path)
    prepare(spec)
    return {
        code: (
            load_partition(spec, "clients", code),
            pq.read_table(
                partition_path(spec.processed_folder, "clients", code)
            ).replace_schema_metadata(),
        )
        for code in spec.localities
    }


def _sqlite(path: Path) -> str:
    """The records in an SQLite database, as the CSV holds them (Age as an integer)."""
    frame = pd.DataFrame(_rows(), columns=HEADER)
    frame["Age"] = frame["Age"].astype(int)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        frame.to_sql("clients", connection, index=False)
        connection.commit()
    return f"sqlite:///{path}"


# -- a PostgreSQL server of the test session's own ---------------------------------------------


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    return str(candidates[0]) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _warehouse_rows() -> list[tuple[object, ...]]:
    """The records typed as a warehouse holds them."""

    def day(text: str) -> dt.date | None:
        return dt.datetime.strptime(text, "%d/%m/%Y").date() if text else None

    out = []
    for row in _rows():
        referred = day(str(row[2]))
        out.append(
            (
                row[0],
                row[1],
                dt.datetime.combine(referred, dt.time()) if referred else None,  # a timestamp
                day(str(row[3])),
                day(str(row[4])),
                row[5],
                int(str(row[6])),
                row[7],
                decimal.Decimal(str(row[8]).lstrip("£").replace(",", "")).quantize(
                    decimal.Decimal("0.01")
                ),
                int(str(row[9])),
                row[10],
                row[11],
            )
        )
    return out


_TABLE = """
CREATE TABLE clients (
    "Client Ref" text PRIMARY KEY, "District" text, "Date Referred" timestamp,
    "Support Start" date, "Support End" date, "Gender" text, "Age" integer,
    "Housed At Exit" text, "Arrears Start" numeric(10, 2), "Arrears End" bigint,
    "Email" text, "Full Name" text
)
"""


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A PostgreSQL server loaded with the records; yields its SQLAlchemy URL (with password)."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        need(False, "PostgreSQL's initdb and pg_ctl are not on PATH or in /usr/lib/postgresql")
    try:
        import psycopg
    except ImportError:
        need(False, "psycopg (psycopg 3) is not installed")
    base = Path(tempfile.mkdtemp(prefix="evalkit-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root: run it as nobody
        if not shutil.which("runuser"):
            shutil.rmtree(base)
            need(False, "running as root and runuser (to run postgres as nobody) is missing")
        nobody = pwd.getpwnam("nobody")
        os.chown(base, nobody.pw_uid, nobody.pw_gid)
        run_as = ["runuser", "-u", "nobody", "--"]
    data, sockets, log = base / "data", base / "sockets", base / "server.log"
    (base / "pw").write_text(PASSWORD + "\n")
    if run_as:
        os.chown(base / "pw", pwd.getpwnam("nobody").pw_uid, -1)
    port = _free_port()

    def pg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*run_as, *args], capture_output=True, text=True, timeout=120, cwd=base
        )

    started = False
    try:
        setup = pg(
            initdb, "-D", str(data), "-U", "evalkit", "--auth-host=scram-sha-256",
            "--auth-local=trust", f"--pwfile={base / 'pw'}", "-E", "UTF8", "--no-locale",
        )  # fmt: skip
        if setup.returncode != 0:
            need(False, f"initdb failed: {setup.stderr.strip().splitlines()[-1:]}")
        pg("mkdir", str(sockets))
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        start = pg(
            pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"
        )
        if start.returncode != 0:
            tail = log.read_text().strip().splitlines()[-1:] if log.exists() else []
            need(False, f"postgres did not start: {start.stderr.strip() or tail}")
        started = True
        admin = f"host=127.0.0.1 port={port} user=evalkit password={PASSWORD} dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("CREATE DATABASE warehouse")
        with psycopg.connect(admin.replace("dbname=postgres", "dbname=warehouse")) as connection:
            connection.execute(_TABLE)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO clients VALUES ({', '.join(['%s'] * len(HEADER))})",
                    _warehouse_rows(),
                )
        yield f"postgresql+psycopg://evalkit:{PASSWORD}@127.0.0.1:{port}/warehouse"
    finally:
        if started:
            pg(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


# -- the same records from three places -----------------------------------------------------


def test_csv_sqlite_and_postgresql_give_identical_partitions(
    tmp_path: Path, postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "csv").mkdir()
    from_csv = _partitions(_project(tmp_path / "csv"))

    monkeypatch.setenv(URL_ENV, _sqlite(tmp_path / "warehouse.db"))
    from_sqlite = _partitions(_query_project(tmp_path / "sqlite"))

    monkeypatch.setenv(URL_ENV, postgres)
    # A warehouse query as an analyst writes it: a % in a literal, a cast, rows filtered.
    query = (
        "SELECT * FROM clients WHERE \"Email\" LIKE '%@example.org' "
        'AND "Support Start"::date >= DATE \'2000-01-01\' ORDER BY "Client Ref"'
    )
    from_postgres = _partitions(_query_project(tmp_path / "pg", query))

    assert set(from_csv) == {"E07000041", "E07000040"}
    for code, (expected, table) in from_csv.items():
        assert len(expected) == 20
        for other in (from_sqlite, from_postgres):
            pd.testing.assert_frame_equal(other[code][0], expected, check_exact=True)
            assert other[code][1].equals(table)
    assert from_postgres["E07000041"][0]["start_date"].iloc[0] == pd.Timestamp(2024, 1, 13)


def test_postgresql_dates_arrive_as_dates_and_null_as_none(
    postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_ENV, postgres)
    df = read_query(QUERY, URL_ENV, source="clients")
    first = df.iloc[0]
    assert (
        first["Support Start"] == dt.date(2024, 1, 13) and type(first["Support Start"]) is dt.date
    )
    assert type(first["Date Referred"]) is dt.date  # a timestamp at midnight is its date
    assert first["Support End"] is None and first["Age"] == "18" and first["Arrears Start"] == "100"
    assert df.attrs["first_row"] == 1 and list(df.columns) == HEADER


def test_a_wrong_password_or_bad_sql_is_one_line_without_the_password(
    tmp_path: Path, postgres: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    spec_path = _query_project(tmp_path, "SELECT * FROM client_list")
    monkeypatch.setenv(URL_ENV, postgres)
    assert main(["validate", str(spec_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "sources.clients.query" in err and f"${URL_ENV}" in err and "refused the query" in err
    assert 'relation "client_list" does not exist' in err
    assert PASSWORD not in err and "postgresql+psycopg" not in err

    monkeypatch.setenv(URL_ENV, postgres.replace(PASSWORD, PASSWORD + "-wrong"))
    assert main(["validate", str(spec_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot connect to the database" in err
    assert "password authentication failed" in err and PASSWORD not in err


# -- SQLite only: errors, the spec's fields, change detection -------------------------------


def test_an_unset_variable_is_one_line_naming_it_from_the_real_command(tmp_path: Path) -> None:
    spec_path = _query_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != URL_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "validate", str(spec_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"environment variable {URL_ENV}" in done.stderr and "is not set" in done.stderr
    assert "sources.clients.url_env" in done.stderr


def test_bad_sql_on_sqlite_is_a_data_error_naming_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_ENV, _sqlite(tmp_path / "warehouse.db"))
    spec = load_spec(_query_project(tmp_path, "SELEC * FROM clients"))
    with pytest.raises(DataError, match=r"^sources.clients.query: the database in \$EVALKIT_TEST"):
        validate_inputs(spec)
    spec = load_spec(_query_project(tmp_path, 'SELECT "Client Ref" AS "Ref" FROM clients'))
    with pytest.raises(
        DataError, match=r"column 'Client Ref' named in spec field .* is not in the"
    ):
        validate_inputs(spec)


def test_a_value_the_plan_refuses_names_the_query_row_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _sqlite(tmp_path / "warehouse.db")
    with contextlib.closing(sqlite3.connect(tmp_path / "warehouse.db")) as connection:
        connection.execute(
            """UPDATE clients SET "Support Start" = '2024-03-31' WHERE "Client Ref" = 'C0002'"""
        )
        connection.commit()
    monkeypatch.setenv(URL_ENV, url)
    with pytest.raises(DataError) as err:
        validate_inputs(load_spec(_query_project(tmp_path)))
    message = str(err.value)
    assert message.startswith("sources.clients.query, row 3, column 'Support Start'")
    assert "'2024-03-31'" in message and "dd/mm/yyyy" in message


def test_the_url_password_is_masked_in_a_connection_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 1 on this machine: nothing listens, the connection is refused at once.
    monkeypatch.setenv(URL_ENV, f"postgresql+psycopg://analyst:{PASSWORD}@127.0.0.1:1/warehouse")
    with pytest.raises(DataError) as err:
        validate_inputs(load_spec(_query_project(tmp_path)))
    message = str(err.value)
    assert "cannot connect to the database in $EVALKIT_TEST_WAREHOUSE_URL" in message
    assert PASSWORD not in message and "\n" not in message
    # A driver that did echo the URL would have it masked.
    url = f"postgresql+psycopg://analyst:{PASSWORD}@db.example/warehouse"
    assert _short(RuntimeError(f"cannot reach {url}\nmore"), url) == "cannot reach ***"
    assert PASSWORD not in _short(RuntimeError(f"password {PASSWORD} refused"), url)


def test_a_value_that_is_not_a_url_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_ENV, "warehouse.example.org")
    with pytest.raises(ConfigError, match=r"the value of \$EVALKIT_TEST_WAREHOUSE_URL is not a"):
        validate_inputs(load_spec(_query_project(tmp_path)))


def test_without_sqlalchemy_the_message_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_ENV, _sqlite(tmp_path / "warehouse.db"))
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # import sqlalchemy now fails
    with pytest.raises(ConfigError, match=r"install sqlalchemy: pip install 'evalkit\[sql\]'$"):
        validate_inputs(load_spec(_query_project(tmp_path)))


def test_unchanged_rows_are_reused_and_changed_rows_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_ENV, _sqlite(tmp_path / "warehouse.db"))
    spec = load_spec(_query_project(tmp_path))
    assert spec.data_files() == {}  # no file to hash or to leave out of a report's side inputs
    first = prepare(spec)
    assert not first.reused and prepare(spec).reused
    with contextlib.closing(sqlite3.connect(tmp_path / "warehouse.db")) as connection:
        connection.execute(
            """UPDATE clients SET "Housed At Exit" = 'Yes' WHERE "Client Ref" = 'C0001'"""
        )
        connection.commit()
    again = prepare(spec)
    assert not again.reused and again.raw_hashes["clients"] != first.raw_hashes["clients"]
    assert again.partitions["clients"]["E07000040"] != first.partitions["clients"]["E07000040"]
    assert again.partitions["clients"]["E07000041"] == first.partitions["clients"]["E07000041"]


def test_validate_prints_the_rows_of_a_query_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv(URL_ENV, _sqlite(tmp_path / "warehouse.db"))
    assert main(["validate", str(_query_project(tmp_path))]) == 0
    assert "clients: 40 rows OK" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"file": "data/raw/export.csv"}, "file and query are both given"),
        ({"query": None}, "file or query is required"),
        ({"url_env": None}, "url_env is required with query"),
        (
            {"url_env": "postgresql://analyst:pw@db/warehouse"},
            "url_env holds a URL; expected the name",
        ),
        ({"url": "postgresql://analyst:pw@db/warehouse"}, "unknown field 'sources.clients.url'"),
        ({"sheet": "Clients"}, "sheet applies to a file, not to a query"),
        ({"query": None, "file": "data/raw/export.csv"}, "url_env is given without query"),
    ],
)
def test_the_spec_takes_a_file_or_a_query_with_the_name_of_a_variable(
    tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    spec_path = _query_project(tmp_path)
    raw = yaml.safe_load(spec_path.read_text())
    for key, value in change.items():
        if value is None:
            del raw["sources"]["clients"][key]
        else:
            raw["sources"]["clients"][key] = value
    spec_path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as err:
        load_spec(spec_path)
    message = str(err.value)
    assert expected in message and "sources.clients" in message
    assert "\n" not in message and "pw@" not in message
