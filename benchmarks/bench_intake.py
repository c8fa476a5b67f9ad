"""Benchmark: reading the Family Support demo's service users from XLSX against CSV.

Builds the demo's ``service_users`` table (``evalkit.demo.generate().service_users``, about 7,300
rows x 22 columns) in a temporary folder as a CSV and as a workbook the way a provider exports
one: a ``Cover`` sheet first, then the data on the ``Service users`` sheet under a title row and
a blank row (header on row 3), dates as real Excel date cells shown dd/mm/yyyy. Then times, in
one run (best of ``--repeat``):

(a) the naive way: ``pandas.read_excel(path, sheet_name=..., header=2, dtype=str)`` (openpyxl,
    not read-only);
(b) the evalkit way: ``evalkit.intake.read_table(path, sheet=..., header_row=3)`` (calamine,
    openpyxl read-only when calamine is missing), and for reference the same reading through
    openpyxl read-only (evalkit's reader before calamine), ``pandas.read_excel`` with
    ``engine="calamine"`` and calamine's own parse of the sheet into Python rows, which no
    reader built on calamine can beat (the floor);
(c) ``read_table`` on the CSV;
(d) what ``evalkit validate`` does (``evalkit.intake.validate_inputs``: read, map and check
    every source of the demo spec), with the three large sources (service users, reviews, the
    time series) as CSV files and then as provider-style workbooks like the one above.

Prints each timing and the ratios naive/evalkit and evalkit-XLSX/evalkit-CSV (the issue asks for
an XLSX within 2x of the CSV: (d) is the intake as a user runs it, (b)/(c) the bare reading),
and checks that the XLSX and CSV give the same table and the same validated row counts. openpyxl
writes text cells inline, where Excel keeps a shared-strings table, so the sheet here is a
little larger to parse than the same data saved by Excel. Writes only to a temporary folder.

    .venv/bin/python benchmarks/bench_intake.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from evalkit.demo import generate
from evalkit.intake import read_table, readers

SHEET = "Service users"
HEADER_ROW = 3


def _excel_value(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def write_files(df: pd.DataFrame, folder: Path) -> tuple[Path, Path]:
    """The table as a CSV and as a provider-style workbook; returns (csv, xlsx)."""
    csv_path = folder / "service_users.csv"
    df.to_csv(csv_path, index=False)

    book = Workbook()
    cover = book.active
    cover.title = "Cover"
    for line in (
        "Family Support: service users export",
        "Exported from the case-management system",
        "Contains personal data: handle under the data sharing agreement",
    ):
        cover.append([line])
    ws = book.create_sheet(SHEET)
    ws.append(["Service users, all localities"])
    ws.append([])
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append([_excel_value(v) for v in row])
    for column in ws.iter_cols(min_row=HEADER_ROW + 1):
        if any(isinstance(c.value, dt.date) for c in column[:50]):
            for cell in column:
                cell.number_format = "DD/MM/YYYY"
    xlsx_path = folder / "service_users.xlsx"
    book.save(xlsx_path)
    return csv_path, xlsx_path


def best_of(repeat: int, funcs: list[Callable[[], Any]]) -> list[tuple[float, Any]]:
    """The best time and the result of each function, timed in turn ``repeat`` times.

    Taking turns, rather than timing each function ``repeat`` times in a row, keeps a burst of
    load from other work on the machine from landing on one function only, which would skew the
    ratios.
    """
    best = [float("inf")] * len(funcs)
    results: list[Any] = [None] * len(funcs)
    for _ in range(repeat):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            results[i] = func()
            best[i] = min(best[i], time.perf_counter() - start)
    return list(zip(best, results, strict=True))


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Values as the CSV writes them: dates as yyyy-mm-dd, empty cells as ''."""
    return df.map(
        lambda v: "" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v)
    ).astype(object)


def main(repeat: int = 3) -> None:
    try:
        import python_calamine  # noqa: F401

        engine = "calamine"
    except ImportError:
        engine = "openpyxl read-only (python-calamine is not installed)"
    df = generate().service_users
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-intake-") as tmp:
        start = time.perf_counter()
        csv_path, xlsx_path = write_files(df, Path(tmp))
        built = time.perf_counter() - start
        print(
            f"table: {len(df):,} rows x {df.shape[1]} columns; CSV {csv_path.stat().st_size:,} "
            f"bytes, XLSX {xlsx_path.stat().st_size:,} bytes (written in {built:.1f} s)"
        )

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' notice that its default engine will change

            def naive() -> pd.DataFrame:
                return pd.read_excel(xlsx_path, sheet_name=SHEET, header=HEADER_ROW - 1, dtype=str)

            def evalkit_xlsx() -> pd.DataFrame:
                return read_table(xlsx_path, sheet=SHEET, header_row=HEADER_ROW)

            def evalkit_openpyxl() -> pd.DataFrame:
                return readers._read_workbook_openpyxl(xlsx_path, SHEET, HEADER_ROW)

            def pandas_calamine() -> pd.DataFrame:
                return pd.read_excel(
                    xlsx_path, sheet_name=SHEET, header=HEADER_ROW - 1, dtype=str, engine="calamine"
                )

            def calamine_floor() -> list[list[Any]]:
                from python_calamine import CalamineWorkbook

                sheet = CalamineWorkbook.from_path(xlsx_path).get_sheet_by_name(SHEET)
                return sheet.to_python(skip_empty_area=False)

            def evalkit_csv() -> pd.DataFrame:
                return read_table(csv_path)

            for func in (evalkit_xlsx, evalkit_csv, pandas_calamine):
                func()  # warm-up: imports and first-call costs
            (t_naive, _), (t_openpyxl, _) = best_of(repeat, [naive, evalkit_openpyxl])
            fast = [pandas_calamine, evalkit_xlsx, evalkit_csv]
            if engine == "calamine":
                fast.append(calamine_floor)
            # The fast readers take turns many times: their ratios are what the issue is about.
            timed = best_of(repeat * 5, fast)
            (t_pd_calamine, _), (t_xlsx, from_xlsx), (t_csv, from_csv) = timed[:3]
            t_floor = timed[3][0] if engine == "calamine" else None

    same = (
        _as_text(from_xlsx).reset_index(drop=True).equals(_as_text(from_csv).reset_index(drop=True))
    )
    rows = [
        ("(a) naive: pandas.read_excel(dtype=str), openpyxl", t_naive),
        (f"(b) evalkit: read_table on the XLSX ({engine})", t_xlsx),
        ("    reference: openpyxl read-only, evalkit's cells", t_openpyxl),
        ("    reference: pandas.read_excel(engine='calamine')", t_pd_calamine),
        ("(c) evalkit: read_table on the CSV", t_csv),
    ]
    if t_floor is not None:
        rows.insert(-1, ("    floor: calamine's parse into Python rows alone", t_floor))
    width = max(len(label) for label, _ in rows)
    print(f"best of {repeat} (openpyxl) and of {repeat * 5} (the others):")
    for label, seconds in rows:
        print(f"{label:<{width}}  {seconds:7.3f} s")
    print(f"naive / evalkit (XLSX): {t_naive / t_xlsx:.1f}x faster")
    ratio = t_xlsx / t_csv
    verdict = "within" if ratio <= 2 else "NOT within"
    print(f"evalkit XLSX / evalkit CSV: {ratio:.1f}x ({verdict} the 2x target)")
    print(f"openpyxl read-only / evalkit CSV: {t_openpyxl / t_csv:.1f}x")
    if t_floor is not None:
        print(
            f"calamine's parse alone / evalkit CSV: {t_floor / t_csv:.1f}x (no calamine reader is faster)"
        )
    print(f"check: the XLSX and the CSV give the same table: {same}")
    if not same:
        raise SystemExit("the XLSX and the CSV were read differently")


def _workbook_source(csv_path: Path, folder: Path) -> Path:
    """The CSV rewritten as a provider-style workbook (dates as real date cells); its path."""
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    for column in df.columns:
        if "date" in column:
            parsed = pd.to_datetime(df[column], format="%Y-%m-%d", errors="coerce")
            df[column] = [
                d.date() if not pd.isna(d) else (v or None)
                for d, v in zip(parsed, df[column], strict=True)
            ]
    df = df.replace({"": None})
    folder.mkdir(parents=True)
    return write_files(df, folder)[1]


def intake(repeat: int) -> None:
    """(d): ``validate_inputs`` on the demo spec with its large sources as CSV, then as XLSX."""
    import os

    import yaml

    from evalkit import demo
    from evalkit.config import load_spec
    from evalkit.intake import validate_inputs

    os.environ.setdefault("EVALKIT_PSEUDONYM_KEY", "evalkit-benchmark-key-not-a-secret")
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-validate-") as tmp:
        root = Path(tmp)
        (root / "notebooks").mkdir()
        spec_csv = demo.write(root / "data" / "raw" / "demo")
        raw = yaml.safe_load(spec_csv.read_text())
        for name in ("service_users", "reviews", "timeseries"):
            source = raw["sources"][name]
            book = _workbook_source(root / source["file"], root / "xlsx" / name)
            source.update(file=str(book), sheet=SHEET, header_row=HEADER_ROW)
        spec_xlsx = spec_csv.with_name("workbooks.yaml")
        spec_xlsx.write_text(yaml.safe_dump(raw, sort_keys=False))
        as_csv, as_xlsx = load_spec(spec_csv), load_spec(spec_xlsx)
        (t_csv, checked_csv), (t_xlsx, checked_xlsx) = best_of(
            repeat * 2,
            [lambda: validate_inputs(as_csv), lambda: validate_inputs(as_xlsx)],
        )
    same = {k: v.rows for k, v in checked_csv.items()} == {
        k: v.rows for k, v in checked_xlsx.items()
    }
    ratio = t_xlsx / t_csv
    print(f"(d) evalkit validate (validate_inputs), best of {repeat * 2}:")
    print(f"    large sources as CSV:  {t_csv:7.3f} s")
    print(f"    large sources as XLSX: {t_xlsx:7.3f} s")
    verdict = "within" if ratio <= 2 else "NOT within"
    print(f"XLSX / CSV, as a user validates: {ratio:.2f}x ({verdict} the 2x target)")
    print(f"check: the same rows were validated from both: {same}")
    if not same:
        raise SystemExit("the XLSX and the CSV sources were validated differently")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    main(repeat)
    intake(repeat)
