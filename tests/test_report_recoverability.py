"""No suppressed count in any report can be worked out from what the report publishes.

Issue 12, item 4: a test per report type assembles every number a report publishes and tries to
recover each suppressed cell by linear algebra and by percentages of known totals. The intruder
is :func:`_attack.attack` (its docstring lists the constraints it uses: table totals declared or
found by value, the prose totals, the shares, the same counts in several tables, spending per
person). A cell is recovered when the least and the greatest values the linear programs allow
leave at most one whole number.

The attacker is tested first on hand-made tables it must break (a total beside a suppressed cell;
a share beside a suppressed count), so the report tests cannot pass because it sees nothing.
"""

from __future__ import annotations

import pandas as pd
import pytest

from _attack import TORBAY, attack, describe, family_support_reports, homelessness_reports
from evalkit.disclosure import get_policy, protect

LIVERPOOL, RUTLAND, MID_DEVON = "E08000012", "E06000017", "E07000042"

#: DfE's rule without its secondary suppression: primary suppression alone.
PRIMARY_ONLY = get_policy({"extends": "dfe", "secondary": False})


def _html(table: pd.DataFrame, policy, **kwargs) -> str:
    return protect(table, policy, warn=False, **kwargs).to_html()


# --- the attacker finds what it should ----------------------------------------------------------


def test_attacker_recovers_a_cell_left_beside_a_declared_total() -> None:
    table = pd.DataFrame(
        {"Boys": [3, 20, 31, 54], "Girls": [12, 18, 25, 55]},
        index=pd.Index(["Year 7", "Year 8", "Year 9", "Total"], name="Year"),
    )
    found = attack(_html(table, PRIMARY_ONLY, totals={"row": "Total"}), policy=PRIMARY_ONLY)
    assert [(c.name.split(" / ", 1)[1], list(c.values)) for c in found.recovered] == [
        ("Year 7 / Boys", [3])
    ]


def test_attacker_recovers_a_cell_from_an_undeclared_total_column() -> None:
    # "Everyone" is the sum of the others but not named as a total, and the policy has no secondary
    # suppression: the hidden 4 is Everyone minus the published cell beside it.
    table = pd.DataFrame(
        {"In work": [4, 30, 22], "Not in work": [16, 9, 40], "Everyone": [20, 39, 62]},
        index=pd.Index(["North", "South", "East"], name="Area"),
    )
    found = attack(_html(table, PRIMARY_ONLY, totals={}), policy=PRIMARY_ONLY)
    assert [list(c.values) for c in found.recovered] == [[4]]
    assert any("undeclared total" in u for u in found.used)


def test_attacker_recovers_a_count_from_a_share_of_a_known_total() -> None:
    # Shares worked out from the true counts, one printed beside a suppressed count: 9% of the
    # 35 people served (33..37 after rounding) can only be 3.
    page = """
    <p>The service worked with 35 people in Testshire.</p>
    <table data-count-columns='["People served"]' data-disclosure-policy="nhs">
    <caption>People served by age</caption>
    <thead><tr><th>Age</th><th>People served</th><th>Share of those served (%)</th></tr></thead>
    <tbody>
    <tr><th>Under 25</th><td>*</td><td>9</td></tr>
    <tr><th>25 to 49</th><td>10</td><td>34</td></tr>
    <tr><th>50 and over</th><td>20</td><td>57</td></tr>
    </tbody></table>
    """
    found = attack(page)
    assert [(c.name, list(c.values)) for c in found.recovered] == [
        ("People served by age / Under 25 / People served", [3])
    ]
    assert any(u.startswith("shares of true counts") for u in found.used)


def test_attacker_sees_nothing_more_than_the_suppressed_range_without_totals() -> None:
    table = pd.DataFrame({"People": [3, 40, 25]}, index=pd.Index(["A", "B", "C"], name="Group"))
    found = attack(_html(table, "nhs"))
    assert [(c.low, c.high) for c in found.cells] == [(1, 7)]


def test_protect_hides_a_cell_beside_an_undeclared_total_column_under_dfe() -> None:
    # evalkit.disclosure.protect finds the "Everyone" column by value (undeclared_totals) and adds
    # secondary suppression, so the attacker, who finds it by value too, recovers nothing.
    table = pd.DataFrame(
        {"In work": [4, 30, 22], "Not in work": [16, 9, 40], "Everyone": [20, 39, 62]},
        index=pd.Index(["North", "South", "East"], name="Area"),
    )
    protected = protect(table, "dfe", warn=False)
    assert protected.n_primary == 1 and protected.n_secondary >= 1
    found = attack(protected.to_html())
    assert len(found.cells) == protected.n_suppressed
    assert any("undeclared total" in u for u in found.used), found.report()
    assert not found.recovered, found.report()


# --- every report the examples publish --------------------------------------------------------


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Family Support's reports (Liverpool, Torbay, Rutland: every type; the comparison)."""
    return family_support_reports(tmp_path_factory)


@pytest.fixture(scope="module")
def hp_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Homelessness Prevention's reports: every district and the comparison."""
    return homelessness_reports(tmp_path_factory)


def _attack_all(pages: dict[str, str], names: list[str]) -> dict:
    missing = [n for n in names if n not in pages]
    assert not missing, (missing, sorted(pages))
    return {n: attack(pages[n]) for n in names}


def _assert_safe(results: dict) -> None:
    print(describe(results))  # the feasible ranges, shown with -s or on failure
    leaks = {n: [str(c) for c in r.recovered] for n, r in results.items() if r.recovered}
    assert not leaks, "suppressed cells recovered:\n" + describe(results)


FS_LOCALITIES = [LIVERPOOL, TORBAY, RUTLAND]


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_no_suppressed_cell_is_recoverable_in_the_evaluation_reports(pages) -> None:
    names = [f"family-support/{c}.html" for c in FS_LOCALITIES]
    results = _attack_all(pages, names)
    # the tiny locality has suppressed cells to attack: the test is not vacuous
    assert len(results[f"family-support/{RUTLAND}.html"].cells) >= 5
    _assert_safe(results)


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_no_suppressed_cell_is_recoverable_in_the_homelessness_reports(hp_pages) -> None:
    names = sorted(hp_pages)  # the four districts and the comparison
    assert len(names) == 5 and "homelessness-prevention/comparison.html" in names, names
    results = _attack_all(hp_pages, names)
    assert len(results[f"homelessness-prevention/{MID_DEVON}.html"].cells) >= 5
    _assert_safe(results)


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_no_suppressed_cell_is_recoverable_in_the_comparison(pages) -> None:
    _assert_safe(_attack_all(pages, ["family-support/comparison.html"]))


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_no_suppressed_cell_is_recoverable_in_social_value_and_learning_reports(pages) -> None:
    names = [
        f"family-support/{kind}/{code}.html"
        for kind in ("social_value", "learning_review")
        for code in (RUTLAND, TORBAY)
    ]
    _assert_safe(_attack_all(pages, names))


@pytest.mark.slow
@pytest.mark.xdist_group("kernels")
def test_a_locality_report_read_with_the_comparison_reveals_nothing(pages) -> None:
    # An intruder reads both: the comparison's row for a locality is the same count as in the
    # locality's own report (same row label and column), so the two are attacked as one page.
    comparison = pages["family-support/comparison.html"]
    results = {
        f"family-support/{c}.html + comparison.html": attack(
            pages[f"family-support/{c}.html"] + comparison
        )
        for c in FS_LOCALITIES
    }
    _assert_safe(results)
