"""An intruder's attack on a published report: can any suppressed count be worked out?

Issue 12, item 4. The intruder reads every number a report publishes and writes down what each
tells them about the true (unpublished) counts, as linear constraints on integer unknowns:

* every count cell of a disclosure-controlled table is an unknown. A published count ``n`` was
  rounded by the policy (nearest 5 for ``nhs``, halves up), so the true count lies in
  ``n - 2 .. n + 2``, and above the suppressed range; a suppressed cell ("*", or the policy's
  symbol) lies in the policy's suppressed range (1..7 for ``nhs``); a zero is exact.
* (1) **additivity**: a row or column labelled as a total is the sum of the others; so is any
  line that *equals* the sum of the others within rounding (an undeclared total);
* (2) **prose totals**: "The service worked with 150 people" and "the people served plus 150 who
  were eligible but not served" are the sums of the People served and Eligible people columns of
  every characteristic table (each table lists every category, "Not recorded" included); "For
  about 380 people with a reading before and after" is the sum of the reliable-change table that
  follows it; "Recorded spending was £84,770 ... £3,391 for each person served" bounds the number
  served by division;
* (3) **shares**: a percentage column beside a count column either comes from the true counts
  (count = share/100 x column total, within the share's rounding of 0.5 points) or, as evalkit
  computes it, from the published counts over the published total of the column: then the
  published total is a multiple of the rounding base consistent with every share shown, and the
  true column total rounds to it;
* (4) **repeats**: the same count (same row label and column) in two tables of one report is one
  unknown, and the characteristic tables' columns have the same totals.

Hypotheses (undeclared totals, links between prose and tables, the reading of the shares) are
kept only if they are consistent with everything published so far, as an intruder would.

For each suppressed cell two linear programs (``scipy.optimize.linprog``, the integers' LP
relaxation) find the least and the greatest value it can take; a cell is **recovered** when at
most one whole number lies between them (``max - min < 1`` is the special case of that).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linprog

from evalkit.disclosure import Policy, get_policy

__all__ = ["Attack", "Block", "CellRange", "Table", "attack", "parse_report"]

_NUMBER = re.compile(r"^-?[\d,]+$")
_TOTAL_LABEL = re.compile(r"^(total|all\b|all people)", re.IGNORECASE)


# --- reading the report ----------------------------------------------------------------------


@dataclasses.dataclass
class Table:
    """One disclosure-controlled table: header, body rows (first cell the row label)."""

    policy_name: str
    counts: list[str]
    caption: str = ""
    section: str = ""
    header: list[str] = dataclasses.field(default_factory=list)
    rows: list[list[str]] = dataclasses.field(default_factory=list)

    @property
    def title(self) -> str:
        return self.caption or self.section


@dataclasses.dataclass
class Block:
    """A piece of the report in document order: a heading, a paragraph or a table."""

    kind: str  # "heading", "text" or "table"
    text: str = ""
    table: Table | None = None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._text: list[str] = []
        self._table: Table | None = None
        self._table_depth = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_head = False
        self._caption: list[str] | None = None
        self._skip = 0  # style and script
        self._heading: list[str] | None = None
        self._section = ""

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._text)).strip()
        if text:
            self.blocks.append(Block("text", text))
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "table":
            self._table_depth += 1
            self._flush()
            if "data-count-columns" in a and self._table_depth == 1:
                self._table = Table(
                    policy_name=a.get("data-disclosure-policy") or "",
                    counts=json.loads(a["data-count-columns"] or "[]"),
                    section=self._section,
                )
        elif self._table is not None:
            if tag == "caption":
                self._caption = []
            elif tag == "thead":
                self._in_head = True
            elif tag == "tr":
                self._row = []
            elif tag in ("td", "th") and self._row is not None:
                self._cell = []
        elif tag in ("h1", "h2", "h3", "h4"):
            self._flush()
            self._heading = []
        elif tag in ("p", "li", "br", "dd", "dt", "blockquote"):
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        elif tag == "table":
            self._table_depth = max(0, self._table_depth - 1)
            if self._table is not None and self._table_depth == 0:
                self.blocks.append(Block("table", table=self._table))
                self._table = None
        elif self._table is not None:
            if tag == "caption" and self._caption is not None:
                self._table.caption = "".join(self._caption).strip()
                self._caption = None
            elif tag == "thead":
                self._in_head = False
            elif tag in ("td", "th") and self._cell is not None and self._row is not None:
                self._row.append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
                self._cell = None
            elif tag == "tr" and self._row is not None:
                if self._in_head:
                    # pandas writes the index name in a second header row: merge non-empty cells
                    if not self._table.header:
                        self._table.header = self._row
                    else:
                        self._table.header = [
                            h or r for h, r in zip(self._table.header, self._row, strict=False)
                        ]
                elif self._row:
                    self._table.rows.append(self._row)
                self._row = None
        elif tag in ("h1", "h2", "h3", "h4") and self._heading is not None:
            text = re.sub(r"\s+", " ", "".join(self._heading)).replace("¶", "").strip()
            self.blocks.append(Block("heading", text))
            self._section = text
            self._heading = None
        elif tag in ("p", "li", "dd", "dt", "blockquote", "ul", "div"):
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._table is not None:
            if self._caption is not None:
                self._caption.append(data)
            elif self._cell is not None:
                self._cell.append(data)
        elif self._table_depth:
            return  # a table of methods or provenance: no counts of people
        elif self._heading is not None:
            self._heading.append(data)
        else:
            self._text.append(data)


def parse_report(html: str) -> list[Block]:
    """The headings, paragraphs and disclosure-controlled tables of a report, in order."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    reader._flush()
    return reader.blocks


# --- the intruder's model ---------------------------------------------------------------------


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text.replace(",", "")) if _NUMBER.match(text) else None


def _published_range(n: int, policy: Policy) -> tuple[int, int]:
    """The true counts that the policy publishes as ``n`` (a number, not the symbol)."""
    if n == 0:
        return (0, 0)
    r = policy.rounding
    lo, hi = n - r // 2, n - r // 2 + r - 1  # halves rounded up, as the policy does
    return max(lo, policy.high + 1, 0), hi


def _suppressed_range(policy: Policy) -> tuple[int, int | None]:
    """Where a suppressed cell's true count lies. Under a policy with secondary suppression a
    hidden cell may be a larger count hidden to protect a small one, so it has no upper bound."""
    if policy.secondary:
        return (0, None)
    return (0 if policy.zero == "suppress" else policy.low, policy.high)


def _half_unit(digits: str) -> float:
    """Half the unit of the last non-zero digit of a number as written ("2,100" -> 50)."""
    plain = digits.replace(",", "")
    zeros = len(plain) - len(plain.rstrip("0")) if plain.strip("0") else 0
    return 0.5 * 10**zeros


@dataclasses.dataclass
class CellRange:
    """What the intruder could learn about one suppressed cell."""

    name: str
    low: float
    high: float

    @property
    def values(self) -> range:
        """The whole numbers the cell can take."""
        return range(math.ceil(self.low - 1e-6), math.floor(self.high + 1e-6) + 1)

    @property
    def recovered(self) -> bool:
        return len(self.values) <= 1

    def __str__(self) -> str:
        v = self.values
        span = f"{v.start}" if len(v) == 1 else f"{v.start}..{v.stop - 1}" if v else "none"
        flag = "RECOVERED" if self.recovered else "safe"
        return f"{flag}: {self.name}: {self.low:.2f} to {self.high:.2f} (whole numbers {span})"


@dataclasses.dataclass
class Attack:
    """The result: every suppressed cell's feasible range and the constraints used."""

    cells: list[CellRange]
    used: list[str]
    rejected: list[str]

    @property
    def recovered(self) -> list[CellRange]:
        return [c for c in self.cells if c.recovered]

    def report(self) -> str:
        lines = [str(c) for c in self.cells]
        lines += [f"  used: {u}" for u in self.used]
        lines += [f"  rejected (inconsistent with what is published): {r}" for r in self.rejected]
        return "\n".join(lines)


Coefs = dict[int, float]
Constraint = tuple[str, Coefs, float, float]  # (kind "eq"/"range", coefs, low, high)


class _Model:
    """Integer unknowns with bounds, and linear constraints low <= a.x <= high."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.bounds: list[tuple[float, float | None]] = []
        self.suppressed: list[int] = []
        self.constraints: list[tuple[Coefs, float, float]] = []
        self.used: list[str] = []
        self.rejected: list[str] = []

    def var(self, name: str, low: float, high: float | None, suppressed: bool = False) -> int:
        self.names.append(name)
        self.bounds.append((low, high))
        if suppressed:
            self.suppressed.append(len(self.names) - 1)
        return len(self.names) - 1

    def _arrays(self, constraints: list[tuple[Coefs, float, float]]):
        n = len(self.names)
        a_ub, b_ub = [], []
        for coefs, low, high in constraints:
            row = np.zeros(n)
            for k, v in coefs.items():
                row[k] += v
            if math.isfinite(high):
                a_ub.append(row)
                b_ub.append(high)
            if math.isfinite(low):
                a_ub.append(-row)
                b_ub.append(-low)
        if not a_ub:
            return None, None
        return np.array(a_ub), np.array(b_ub)

    def _solve(self, objective: np.ndarray, constraints) -> float | None:
        a_ub, b_ub = self._arrays(constraints)
        res = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=self.bounds, method="highs")
        if res.status == 3:  # unbounded: the cell can be as large as you like
            return -math.inf
        return float(res.fun) if res.status == 0 else None

    def feasible(self, extra: list[tuple[Coefs, float, float]] = ()) -> bool:
        return self._solve(np.zeros(len(self.names)), self.constraints + list(extra)) is not None

    def hypothesis(self, label: str, constraints: list[tuple[Coefs, float, float]]) -> bool:
        """Add ``constraints`` if they agree with what is already known; say which."""
        if not constraints:
            return False
        if self.feasible(constraints):
            self.constraints += constraints
            self.used.append(label)
            return True
        self.rejected.append(label)
        return False

    def ranges(self) -> list[CellRange]:
        out = []
        for k in self.suppressed:
            c = np.zeros(len(self.names))
            c[k] = 1.0
            low = self._solve(c, self.constraints)
            high = self._solve(-c, self.constraints)
            if low is None or high is None:  # cannot happen: every step was checked feasible
                raise AssertionError(f"the intruder's model is infeasible at {self.names[k]}")
            out.append(CellRange(self.names[k], low, -high))
        return out


def _eq(coefs: Coefs, value: float = 0.0) -> tuple[Coefs, float, float]:
    return coefs, value, value


def _sum(indices: list[int], sign: float = 1.0) -> Coefs:
    out: Coefs = {}
    for k in indices:
        out[k] = out.get(k, 0.0) + sign
    return out


def _plus(*parts: Coefs) -> Coefs:
    out: Coefs = {}
    for p in parts:
        for k, v in p.items():
            out[k] = out.get(k, 0.0) + v
    return out


@dataclasses.dataclass
class _Grid:
    """A table's count cells as unknowns: ``cells[i][j]`` for body row i, count column j."""

    table: Table
    policy: Policy
    columns: list[str]
    col_at: list[int]  # the position of each count column in the header
    labels: list[str]
    cells: list[list[int]]
    shown: list[list[int | None]]  # the published number, None if suppressed


def _grid(
    model: _Model, table: Table, policy: Policy, known: dict[tuple[str, str, str], int]
) -> _Grid:
    header = table.header
    rows = [r for r in table.rows if len(r) == len(header)]
    columns = [c for c in table.counts if c in header]
    col_at = [header.index(c) for c in columns]
    labels, cells, shown = [], [], []
    for row in rows:
        label = row[0]
        labels.append(label)
        line, seen = [], []
        for name, j in zip(columns, col_at, strict=True):
            text = row[j]
            n = _number(text)
            where = f"{table.title} / {label} / {name}"
            if n is not None:
                low, high = _published_range(n, policy)
                k = model.var(where, low, high)
            elif text == policy.symbol:
                low, high = _suppressed_range(policy)
                k = model.var(where, low, high, suppressed=True)
            else:  # blank: not published, no bound beyond being a count
                k = model.var(where, 0, None)
            # (4) the same count published in two tables is one quantity
            key = (header[0], label, name)
            if key in known:
                model.hypothesis(
                    f"same count in two tables: {where}", [_eq({k: 1, known[key]: -1})]
                )
            else:
                known[key] = k
            line.append(k)
            seen.append(n)
        cells.append(line)
        shown.append(seen)
    return _Grid(table, policy, columns, col_at, labels, cells, shown)


def _additivity(model: _Model, g: _Grid) -> None:
    """(1) Declared totals, and lines equal to the sum of the others within rounding."""
    if not g.cells or not g.columns:
        return
    for axis in ("row", "column"):
        cells = g.cells if axis == "row" else [list(c) for c in zip(*g.cells, strict=True)]
        shown = g.shown if axis == "row" else [list(c) for c in zip(*g.shown, strict=True)]
        labels = g.labels if axis == "row" else g.columns
        lines, across = len(cells), len(cells[0])
        if lines < 3:
            continue
        for k in range(lines):
            declared = bool(_TOTAL_LABEL.match(labels[k]))
            if not declared and not _adds_up(shown, k, g.policy):
                continue
            constraints = [
                _eq(_plus(_sum([cells[m][p] for m in range(lines) if m != k]), {cells[k][p]: -1.0}))
                for p in range(across)
            ]
            kind = "declared total" if declared else "undeclared total (by value)"
            model.hypothesis(f"{kind}: {g.table.title} / {axis} {labels[k]!r}", constraints)


def _adds_up(shown: list[list[int | None]], k: int, policy: Policy) -> bool:
    """Whether line ``k`` equals the sum of the other lines within rounding wherever all of them
    are published and two of the others are non-zero (and there is such a place)."""
    lines = len(shown)
    slack = (policy.rounding - 1) * lines
    informative = False
    for p in range(len(shown[0])):
        values = [shown[m][p] for m in range(lines)]
        if any(v is None for v in values):
            continue
        others = [v for m, v in enumerate(values) if m != k]
        if sum(1 for v in others if v) < 2:
            continue
        if abs(values[k] - sum(others)) > slack:
            return False
        informative = True
    return informative


def _shares(model: _Model, g: _Grid) -> None:
    """(3) Percentage columns beside count columns."""
    header = g.table.header
    rows = [r for r in g.table.rows if len(r) == len(header)]
    for j in range(len(g.columns)):
        at = g.col_at[j] + 1
        if at >= len(header) or "%" not in header[at] or "share" not in header[at].lower():
            continue
        total = _sum([g.cells[i][j] for i in range(len(rows))])
        pairs = [(g.shown[i][j], rows[i][at], g.cells[i][j]) for i in range(len(rows))]
        shares = [(n, float(s), k) for n, s, k in pairs if re.fullmatch(r"\d+(\.\d+)?", s)]
        where = f"{g.table.title} / {header[at]}"
        beside_hidden = any(n is None for n, _, _ in shares)
        r = g.policy.rounding
        # (b) the shares are published counts over the published total D of the column
        known = [(n, s) for n, s, _ in shares if n is not None and n > 0]
        candidates = [
            d
            for d in range(r, 200_000, r)
            if known and all(abs(100 * n / d - s) <= 0.5 + 1e-9 for n, s in known)
        ]
        if candidates and not beside_hidden:
            low = _published_range(candidates[0], g.policy)[0]
            high = _published_range(candidates[-1], g.policy)[1]
            model.hypothesis(
                f"shares of published counts over a published total of {candidates[0]}"
                f"..{candidates[-1]}: {where}",
                [(total, low, high)],
            )
            continue
        # (a) the shares come from the true counts: count = share x total, within 0.5 points
        constraints = []
        for _, s, k in shares:
            lo, hi = max(s - 0.5, 0.0), s + 0.5
            constraints.append((_plus({k: 100.0}, {t: -hi for t in total}), -math.inf, 0.0))
            constraints.append((_plus({k: 100.0}, {t: -lo for t in total}), 0.0, math.inf))
        model.hypothesis(f"shares of true counts: {where}", constraints)


_SERVED = re.compile(r"worked with (about )?(fewer than )?([\d,]+) people")
_NOT_SERVED = re.compile(r"plus (about )?(fewer than )?([\d,]+) who were eligible but not served")
_READINGS = re.compile(
    r"For (about )?(fewer than )?([\d,]+) people with a reading before and after"
)
_SPEND = re.compile(
    r"Recorded spending was £([\d,]+)[^.]*?(about )?£([\d,]+) for each person served"
)


def _prose_count(model: _Model, match: re.Match, policy: Policy, name: str) -> int:
    n = int(match.group(3).replace(",", ""))
    if match.group(2):  # "fewer than N": a suppressed count
        return model.var(name, policy.low, n - 1)
    low, high = _published_range(n, policy)
    return model.var(name, low, high)


def attack(html: str, policy: str | Policy | None = None) -> Attack:
    """Every suppressed cell of ``html``'s tables with the range an intruder can narrow it to.

    ``policy`` overrides the policy named by each table (for tables made under a custom policy).
    """
    blocks = parse_report(html)
    model = _Model()
    known: dict[tuple[str, str, str], int] = {}
    grids: list[_Grid] = []
    for block in blocks:
        if block.kind == "table" and block.table is not None and block.table.counts:
            t = block.table
            pol = get_policy(policy if policy is not None else t.policy_name)
            g = _grid(model, t, pol, known)
            grids.append(g)
            _additivity(model, g)
            _shares(model, g)
    if not grids:
        return Attack([], [], [])
    pol = grids[0].policy
    text = " ".join(b.text for b in blocks if b.kind == "text")

    # (2) prose totals and the characteristic tables they add up
    characteristic = [g for g in grids if g.table.caption.startswith("People served")]
    served = not_served = None
    if m := _SERVED.search(text):
        served = _prose_count(model, m, pol, "prose: people served")
    if m := _NOT_SERVED.search(text):
        not_served = _prose_count(model, m, pol, "prose: eligible but not served")
    for what, column in (("served", "People served"), ("eligible", "Eligible people")):
        sums = [
            _sum([line[g.columns.index(column)] for line in g.cells])
            for g in characteristic
            if column in g.columns
        ]
        for g, s in zip(characteristic, sums, strict=False):
            # (4) every characteristic table counts the same people
            if s is not sums[0]:
                model.hypothesis(
                    f"same {what} total in two tables: {g.table.title}",
                    [_eq(_plus(s, {k: -v for k, v in sums[0].items()}))],
                )
            if what == "served" and served is not None:
                model.hypothesis(
                    f"prose total of people served = column sum: {g.table.title}",
                    [_eq(_plus(s, {served: -1.0}))],
                )
            if what == "eligible" and served is not None and not_served is not None:
                model.hypothesis(
                    f"prose served + not served = eligible column sum: {g.table.title}",
                    [_eq(_plus(s, {served: -1.0, not_served: -1.0}))],
                )
    if served is not None and (m := _SPEND.search(text)):
        spend, per = m.group(1), m.group(3)
        s_lo = int(spend.replace(",", "")) - _half_unit(spend)
        s_hi = int(spend.replace(",", "")) + _half_unit(spend)
        half = _half_unit(per) if m.group(2) else 0.5
        p = int(per.replace(",", ""))
        model.hypothesis(
            f"spending £{spend} / £{per} per person served bounds the people served",
            [({served: 1.0}, s_lo / (p + half), s_hi / max(p - half, 1e-9))],
        )
    # the reliable-change table adds up the people with readings in its section
    section_text: dict[str, str] = {}
    current = ""
    for block in blocks:
        if block.kind == "heading":
            current = block.text
        elif block.kind == "text":
            section_text[current] = section_text.get(current, "") + " " + block.text
    for g in grids:
        if not g.table.caption.startswith("Reliable change") or len(g.columns) != 1:
            continue
        if m := _READINGS.search(section_text.get(g.table.section, "")):
            n = _prose_count(model, m, g.policy, f"prose: readings in {g.table.section}")
            model.hypothesis(
                f"prose people with readings = sum of {g.table.title}",
                [_eq(_plus(_sum([line[0] for line in g.cells]), {n: -1.0}))],
            )
    return Attack(model.ranges(), model.used, model.rejected)


def describe(results: dict[str, Any]) -> str:
    """The attack's findings for several reports, for a failure message."""
    return "\n".join(f"== {name}\n{result.report()}" for name, result in results.items())


# --- the reports attacked (shared by the recoverability and readability tests) ----------------

_BUILT: dict[str, dict[str, str] | BaseException] = {}
#: The report folders and specs behind each build, for scans of every file a run wrote.
FOLDERS: dict[str, list[tuple[Path, Path]]] = {}

#: Family Support: Liverpool and tiny Rutland come from ``_reports.demo_run`` (shared with the
#: other report tests); Torbay (weak effect) is run once more here, with the demo reflections.
TORBAY = "E06000027"


def _once(key: str, build) -> dict[str, str]:
    """``build()`` once per test process; a failure is kept and raised again, not retried."""
    if key not in _BUILT:
        try:
            _BUILT[key] = build()
        except Exception as err:  # kept, and raised again for every later caller
            _BUILT[key] = err
    got = _BUILT[key]
    if isinstance(got, BaseException):
        raise got
    return got


def family_support_reports(tmp_path_factory) -> dict[str, str]:
    """Family Support: every report type (evaluation report, learning review, social value) for
    Liverpool, Rutland and Torbay, and the comparison, by "family-support/relative path"."""

    def build() -> dict[str, str]:
        from _reports import demo_run, reports_of
        from conftest import make_project
        from evalkit.config import load_spec
        from evalkit.demo import load_demo_reflections
        from evalkit.reports import run

        first, html = demo_run(tmp_path_factory)
        pages = {f"family-support/{k}": v for k, v in html.items()}
        spec_path = make_project(tmp_path_factory.mktemp("attack-torbay"))
        load_demo_reflections(spec_path)
        spec = load_spec(spec_path)
        result = run(spec, localities=[TORBAY], progress=False)
        assert result.exit_code == 0, [o.error for o in result.failures]
        FOLDERS["family-support"] = [
            (first.output_folder, first.source),
            (spec.output_folder, spec.source),
        ]
        for name, page in reports_of(spec.output_folder).items():
            if TORBAY in name:
                pages[f"family-support/{name}"] = page
        return pages

    return _once("family-support", build)


def homelessness_reports(tmp_path_factory) -> dict[str, str]:
    """Homelessness Prevention: every district (Mid Devon is small) and the comparison."""

    def build() -> dict[str, str]:
        import shutil
        from pathlib import Path

        from _reports import cli, reports_of

        root = tmp_path_factory.mktemp("attack-hp")
        shutil.copytree(Path(__file__).resolve().parents[1] / "notebooks", root / "notebooks")
        done = cli(["demo", "--example", "homelessness-prevention"], cwd=root)
        assert done.returncode == 0, done.stderr
        spec_hp = root / "data" / "raw" / "hp" / "homelessness-prevention.yaml"
        done = cli(["run", str(spec_hp), "--no-progress"], cwd=root, timeout=600)
        assert done.returncode == 0, done.stderr
        folder = root / "reports" / "homelessness-prevention"
        FOLDERS["homelessness-prevention"] = [(folder, spec_hp)]
        return {f"homelessness-prevention/{k}": v for k, v in reports_of(folder).items()}

    return _once("homelessness-prevention", build)
