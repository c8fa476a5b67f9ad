"""Read a source from a database: the rows an SQL query returns, with one-line errors.

A source may be an SQL query (``query:``) run through SQLAlchemy on the database whose URL is
in the environment variable the source names (``url_env:``), such as a council's data
warehouse. The URL, and the password in it, never appear in the spec, in a message or in
evalkit's outputs: messages name the variable instead.

The rows come back as a table like :func:`~evalkit.intake.readers.read_table` gives for a
workbook: the user's column names as the query returns them, values as text except real dates
(a ``date`` column, or a ``timestamp`` at midnight) kept as dates, NULL as None. So they go
through the same mapping and validation as a file. Row numbers in messages count the rows in
the order the query returns them, from 1. The query runs in a transaction that is rolled back:
evalkit never writes to the database.

SQLAlchemy is imported only here, when a query source is read: ``pip install 'evalkit[sql]'``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import os
from typing import Any
from urllib.parse import quote, quote_plus

import pandas as pd

from evalkit.exceptions import ConfigError, DataError
from evalkit.intake.readers import _cell

__all__ = ["read_query", "rows_sha256"]

#: The longest database message shown (the first line of it).
_MAX_MESSAGE = 240


def _value(value: Any) -> object:
    """A database value as :func:`~evalkit.intake.readers._cell` gives a workbook cell.

    A timestamp with a time zone keeps its wall-clock time (a date entered as midnight in
    British Summer Time stays that date). A ``numeric`` value is written as a workbook's number
    is (``100.00`` as ``100``), so that a whole amount has the same type from every source.
    """
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    elif isinstance(value, decimal.Decimal):
        value = float(value)  # validation reads numbers as floats in any case
    return _cell(value)


def _secrets(url: str) -> list[str]:
    """The texts a message must not show: the URL and its password, as written and decoded."""
    found = {url}
    try:
        from sqlalchemy.engine import make_url

        password = make_url(url).password
    except Exception:  # a URL SQLAlchemy cannot parse: hide the text between ':' and '@'
        password = url.rpartition("@")[0].rpartition(":")[2] if "@" in url else None
    if password:
        found |= {str(password), quote_plus(str(password)), quote(str(password), safe="")}
    return sorted(found, key=len, reverse=True)


def _short(exc: BaseException, url: str) -> str:
    """The first line of the database's own message, with the URL and password masked."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    text = lines[0] if lines else type(orig).__name__
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _engine(url: str, where: str, url_env: str) -> Any:
    """An engine for the URL (no pool: one connection, closed after the query)."""
    import sqlalchemy as sa

    try:
        return sa.create_engine(url, poolclass=sa.pool.NullPool)
    except ImportError as exc:  # the dialect's driver (psycopg, pyodbc ...) is not installed
        raise DataError(
            f"{where}: the database driver for the URL in ${url_env} is not installed "
            f"({_short(exc, url)}); install it (for PostgreSQL: pip install 'evalkit[sql]' and "
            "write the URL as postgresql+psycopg://...)"
        ) from None
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise ConfigError(
            f"{where}: the value of ${url_env} is not a database URL SQLAlchemy can use "
            f"({_short(exc, url)}); expected a URL such as "
            "postgresql+psycopg://user:password@host:5432/database or sqlite:///path/to/file.db"
        ) from None


def read_query(query: str, url_env: str, *, source: str) -> pd.DataFrame:
    """The rows ``query`` returns from the database whose URL is in ``$url_env``.

    Parameters
    ----------
    query : str
        The SQL, run as written (by the database's driver, with no parameters).
    url_env : str
        The name of the environment variable that holds the SQLAlchemy URL.
    source : str
        The source's name in the spec, for messages.

    Returns
    -------
    DataFrame
        One column per column of the result, values as text (dates as ``datetime.date``, a
        timestamp with a time of day as ``datetime.datetime``), NULL as None;
        ``attrs["first_row"]`` is 1, so the row a message names is the row's place in the result;
        ``attrs["where"]`` is how messages name the source (``sources.<name>.query``).

    Raises
    ------
    ConfigError
        The variable is not set, its value is not a database URL, or SQLAlchemy is missing.
    DataError
        The database cannot be reached or refuses the query, or the result is not a table with
        unique column names.
    """
    where = f"sources.{source}.query"
    url = os.environ.get(url_env, "").strip()
    if not url:
        raise ConfigError(
            f"{where}: the environment variable {url_env} (named in spec field "
            f"sources.{source}.url_env) is not set; expected the database's SQLAlchemy URL in it, "
            "such as postgresql+psycopg://user:password@host:5432/database"
        )
    try:
        import sqlalchemy as sa
    except ImportError:
        raise ConfigError(
            f"{where}: reading a source from a database needs SQLAlchemy; install sqlalchemy: "
            "pip install 'evalkit[sql]'"
        ) from None
    engine = _engine(url, where, url_env)
    try:
        try:
            connection = engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            raise DataError(
                f"{where}: cannot connect to the database in ${url_env} ({_short(exc, url)}); "
                "expected the database to be reachable with the URL's user and password"
            ) from None
        with connection:  # closed without commit: the transaction is rolled back
            try:
                # As written: no bind parameters, so a % or :name in the SQL is only text.
                result = connection.exec_driver_sql(
                    query, execution_options={"no_parameters": True}
                )
                if not result.returns_rows:
                    raise DataError(
                        f"{where}: the query returned no table; expected a SELECT statement "
                        "that returns one row per record"
                    )
                columns = list(map(str, result.keys()))  # a Result iterates rows, not keys
                rows = result.fetchall()
            except sa.exc.SQLAlchemyError as exc:
                raise DataError(
                    f"{where}: the database in ${url_env} refused the query "
                    f"({_short(exc, url)}); expected SQL that runs on that database"
                ) from None
    finally:
        engine.dispose()
    return _table(columns, rows, where)


def _table(columns: list[str], rows: list[Any], where: str) -> pd.DataFrame:
    """The result as a table of text and dates, checked for unusable column names."""
    names = [c.strip() for c in columns]
    blank = [i + 1 for i, c in enumerate(names) if not c]
    if blank:
        raise DataError(
            f"{where}: column {blank[0]} of the result has no name; expected every column "
            "named (use AS in the query)"
        )
    dupes = [c for i, c in enumerate(names) if c in names[:i]]
    if dupes:
        raise DataError(
            f"{where}: the column {dupes[0]!r} appears twice in the result; expected unique "
            "column names (rename one with AS in the query)"
        )
    cells = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    df = pd.DataFrame(
        {j: [_value(v) for v in column] for j, column in enumerate(cells)},
        index=pd.RangeIndex(len(rows)),
        dtype=object,
    )
    df.columns = names
    df.attrs.update(first_row=1, where=where)
    return df


def rows_sha256(df: pd.DataFrame) -> str:
    """A content hash of a table read from a database (column names, then every value).

    Intake compares it with the last run's, as it compares a file's hash, so that a query whose
    rows have not changed reuses the processed data and one whose rows have changed does not.
    """
    digest = hashlib.sha256(json.dumps([str(c) for c in df.columns]).encode("utf-8"))
    if len(df):
        typed = df.map(lambda v: None if v is None else f"{type(v).__name__}:{v}")
        digest.update(pd.util.hash_pandas_object(typed, index=False).to_numpy().tobytes())
    return digest.hexdigest()
