"""Synthetic example with known true effects: the fictional "Homelessness Prevention" service.

A charity commissioned by a county council and four of its district councils (Exeter, East Devon,
Mid Devon and Teignbridge) helps households at risk of homelessness to keep or find a home. The
service launched in each district in a different month (a staggered launch); North Devon and
Torridge never had it and appear in the monthly series only. Every record is made up; the true
effects are planted and exposed in :attr:`HomelessnessData.truth` (and ``truth.json`` beside the
written files) so that tests can check that evalkit recovers them.

The files look like a provider's own exports, not like evalkit's tables, so that the spec has to
do the work of mapping them:

- ``hp_export.xlsx``: the case-management export. A ``Cover`` sheet first; a ``Clients`` sheet
  with two title rows and the header on row 3, the provider's own column names, dates written as
  text ``dd/mm/yyyy`` (the referral date as real Excel date cells), ``Yes``/``No``/``Not known``
  answers, districts by name, and personal columns (name, email, a fake NHS number, free-text
  notes) that the spec never names and so never leave intake; an ``Outcome Readings`` sheet,
  one row per client per assessment (Intake, Review, Exit) on a 1-10 housing stability score
  invented for this example;
- ``presentations.csv``: homelessness presentations per district per month, with households;
- ``spend.csv``: spending per district, financial year and type of cost (a UTF-8 CSV with a
  byte-order mark, as Excel saves one).

What is planted (see ``truth``):

- the mean change in the housing stability score from intake to exit, per district
  (``stability_gain``, +1.5 to +2.5 points);
- the share of closed cases (with a known answer) whose accommodation was secured, per district
  (``accommodation_secured_share``, 55% to 75%); of those, ``sustained_given_secured`` (80%) were
  still housed six months after support ended;
- the proportional fall in rent arrears for households in arrears at the start, per district
  (``arrears_fall_share``): the mean arrears at the end are ``1 - share`` times those at the start;
- the rate ratio of homelessness presentations per 1,000 households after the district's launch
  (``presentation_rate_ratio``, 0.85 to 1.0), on top of a common trend and a winter peak that
  the never-treated districts share;
- Mid Devon (E07000042) has 25 clients only: small, but not too small to report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "COMPARISON_DISTRICTS",
    "DEFAULT_SEED",
    "DISTRICTS",
    "FILES",
    "PROGRAMME",
    "HomelessnessData",
    "generate",
    "write",
]

PROGRAMME = "homelessness-prevention"
DEFAULT_SEED = 2025
#: The data files this example writes; ``write`` also writes truth.json, README.md and the spec.
WORKBOOK = "hp_export.xlsx"
SERIES = "presentations.csv"
SPEND = "spend.csv"
FILES = (WORKBOOK, SERIES, SPEND)
SPEC_FILE = f"{PROGRAMME}.yaml"
TEMPLATE = "homelessness_prevention.yaml"

EXTRACT_DATE = dt.date(2025, 4, 5)
FIRST_MONTH = pd.Timestamp("2021-04-01")
N_MONTHS = 48  # April 2021 to March 2025
LAST_START = dt.date(2025, 3, 14)
SUSTAINED_GIVEN_SECURED = 0.8
SMALL_LOCALITY = "E07000042"
STABILITY_SCALE = "Housing Stability Score"
STABILITY_RANGE = (1, 10)
TREND_PER_MONTH = 0.003  # presentations per household rise 0.3% a month everywhere
SEASONAL_AMPLITUDE = 0.08  # and peak in January, 8% above the year's level
HOUSEHOLD_GROWTH = 0.008  # households grow 0.8% a year (each April)
OVERDISPERSION_SD = 0.05  # month-to-month variation beyond Poisson, as a share of the mean


@dataclasses.dataclass(frozen=True)
class District:
    """A district served by the example and what is planted in it."""

    name: str
    launch: dt.date
    clients: int
    stability_gain: float
    accommodation_secured_share: float
    arrears_fall_share: float
    presentation_rate_ratio: float
    households: int


#: Served districts (ONS codes of English non-metropolitan districts, not in evalkit's shipped
#: upper-tier list, so the spec names them). Household counts are rounded and illustrative.
DISTRICTS: dict[str, District] = {
    "E07000041": District("Exeter", dt.date(2023, 4, 1), 360, 2.5, 0.75, 0.55, 0.85, 56_000),
    "E07000040": District("East Devon", dt.date(2023, 7, 1), 280, 2.0, 0.65, 0.50, 0.90, 68_000),
    "E07000045": District("Teignbridge", dt.date(2023, 10, 1), 220, 1.8, 0.60, 0.45, 0.95, 62_000),
    SMALL_LOCALITY: District("Mid Devon", dt.date(2024, 1, 1), 25, 1.5, 0.55, 0.40, 1.00, 36_000),
}
#: Never-treated districts in the monthly series only: code -> (name, households).
COMPARISON_DISTRICTS: dict[str, tuple[str, int]] = {
    "E07000043": ("North Devon", 46_000),
    "E07000046": ("Torridge", 31_000),
}

CLIENT_COLUMNS = (
    "Client Ref",
    "Household Ref",
    "Full Name",
    "District",
    "Date Referred",
    "Support Start",
    "Support End",
    "Gender",
    "Age",
    "Ethnicity",
    "Prevention Duty",
    "Rent Arrears At Start (£)",
    "Accommodation Secured",
    "Sustained 6 Months",
    "Rent Arrears At End (£)",
    "Email",
    "NHS Number",
    "Notes",
)
#: Columns that identify a person directly; the spec never names them, so intake drops them.
PERSONAL_COLUMNS = ("Full Name", "Email", "NHS Number", "Notes")
READING_COLUMNS = ("Client Ref", "Assessment", "Assessment Date", STABILITY_SCALE)
SERIES_COLUMNS = ("Council", "Month", "Homelessness Presentations", "Households")
SPEND_COLUMNS = ("District", "Year", "Cost Type", "Amount (£)")

GENDERS = ("Woman", "Man", "Non-binary", "Prefer not to say", "Not known")
GENDER_WEIGHTS = (0.55, 0.38, 0.02, 0.03, 0.02)
ETHNICITIES = (
    "White British",
    "White Other",
    "Mixed or multiple",
    "Asian or Asian British",
    "Black or Black British",
    "Other ethnic group",
    "Not known",
)
ETHNICITY_WEIGHTS = (0.84, 0.05, 0.025, 0.02, 0.015, 0.01, 0.04)
CLIENT_TITLE = "Homelessness Prevention Service – client extract"

_NEUTRAL_NAMES = ("Alex", "Sam", "Jordan", "Casey", "Robin", "Morgan", "Charlie", "Jamie")
_FIRST_NAMES = {
    "Woman": ("Amelia", "Olivia", "Isla", "Ava", "Mia", "Sophie", "Grace", "Lily", "Chloe", "Ruby",
              "Emma", "Jessica", "Hannah", "Laura", "Sarah", "Rachel"),
    "Man": ("Jack", "Oliver", "Harry", "George", "Noah", "Jacob", "Alfie", "Thomas", "Leo",
            "James", "Daniel", "Ryan", "Liam", "Michael", "David", "Connor"),
}  # fmt: skip
_SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Hughes", "Edwards", "Hill", "Moore", "Clark", "Harrison",
)  # fmt: skip
_NOTES = (
    "Section 21 notice served; landlord selling the property.",
    "Sofa surfing with family; relationship has broken down.",
    "Rent arrears after a gap in Universal Credit payments.",
    "Called {first} on 07700 900{phone:03d}, left a message.",
    "Discharge from hospital planned; {first} cannot return to the previous address.",
    "Landlord agreed a repayment plan after mediation.",
    "Referred by the district council housing options team.",
    "Met {first} {last} at the food bank drop-in.",
    "",
    "",
)


@dataclasses.dataclass(frozen=True)
class HomelessnessData:
    """The example's tables, as the provider exports them, and the true effects planted in them.

    ``clients`` and ``readings`` are the workbook's ``Clients`` and ``Outcome Readings`` sheets
    (the provider's column names; dates as text, the referral date as ``datetime.date``);
    ``presentations`` and ``spend`` are the two CSV files, every value as written.
    """

    cover: tuple[str, ...]
    clients: pd.DataFrame
    readings: pd.DataFrame
    presentations: pd.DataFrame
    spend: pd.DataFrame
    truth: dict[str, Any]

    @property
    def localities(self) -> list[str]:
        """The programme's locality codes."""
        return list(self.truth["localities"])


def _text(day: dt.date | pd.Timestamp) -> str:
    return f"{day:%d/%m/%Y}"


def _truth(seed: int) -> dict[str, Any]:
    return {
        "seed": seed,
        "programme": PROGRAMME,
        "files": [*FILES, "truth.json", "README.md", SPEC_FILE],
        "extract_date": EXTRACT_DATE.isoformat(),
        "localities": {
            code: {
                "name": d.name,
                "launch": d.launch.isoformat(),
                "n_clients": d.clients,
                "stability_gain": d.stability_gain,
                "accommodation_secured_share": d.accommodation_secured_share,
                "arrears_fall_share": d.arrears_fall_share,
                "presentation_rate_ratio": d.presentation_rate_ratio,
                "households_2021": d.households,
            }
            for code, d in DISTRICTS.items()
        },
        "comparison_localities": {
            code: {"name": name, "households_2021": households}
            for code, (name, households) in COMPARISON_DISTRICTS.items()
        },
        "sustained_given_secured": SUSTAINED_GIVEN_SECURED,
        "stability_scale": {"name": STABILITY_SCALE, "range": list(STABILITY_RANGE)},
        "presentations": {
            "first_month": FIRST_MONTH.date().isoformat(),
            "months": N_MONTHS,
            "trend_per_month": TREND_PER_MONTH,
            "seasonal_amplitude": SEASONAL_AMPLITUDE,
            "household_growth_per_year": HOUSEHOLD_GROWTH,
            "overdispersion_sd": OVERDISPERSION_SD,
        },
        "small_locality": SMALL_LOCALITY,
    }


def _yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def _clients(seed: int) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The Clients sheet, and each client's latent stability and district (for the readings)."""
    rng = np.random.default_rng([seed, 1])
    people = np.random.default_rng([seed, 5])  # names, emails and notes: their own stream
    rows: list[dict[str, Any]] = []
    latent: list[float] = []
    gains: list[float] = []
    for code, d in DISTRICTS.items():
        n = d.clients
        span = (LAST_START - d.launch).days - 45
        referred = [d.launch + dt.timedelta(days=int(x)) for x in rng.integers(0, span + 1, n)]
        waits = rng.integers(3, 46, n)
        starts = [r + dt.timedelta(days=int(w)) for r, w in zip(referred, waits, strict=True)]
        lengths = rng.integers(28, 211, n)
        ages = np.clip(np.rint(rng.gamma(4.0, 6.0, n) + 17), 18, 84).astype(int)
        ages = np.where(rng.random(n) < 0.03, rng.integers(16, 18, n), ages)  # 16 and 17 too
        age_unknown = rng.random(n) < 0.02
        genders = rng.choice(GENDERS, n, p=GENDER_WEIGHTS)
        ethnicities = rng.choice(ETHNICITIES, n, p=ETHNICITY_WEIGHTS)
        duty = rng.random(n) < 0.7
        in_arrears = rng.random(n) < 0.65
        arrears_start = np.where(in_arrears, np.round(rng.lognormal(np.log(900), 0.8, n), 2), 0.0)
        a = d.arrears_fall_share * 6
        fall = rng.beta(a, 6 - a, n)
        new_arrears = np.round(rng.lognormal(np.log(150), 0.5, n), 2)
        builds_arrears = rng.random(n) < 0.08
        arrears_unknown = rng.random(n) < 0.05
        secured = rng.random(n) < d.accommodation_secured_share
        secured_unknown = rng.random(n) < 0.06
        sustained = rng.random(n) < SUSTAINED_GIVEN_SECURED
        lost_contact = rng.random(n) < 0.12
        latent.extend(rng.normal(3.8, 1.3, n))
        gains.extend(d.stability_gain + rng.normal(0, 1.0, n))
        for i in range(n):
            start = starts[i]
            end = start + dt.timedelta(days=int(lengths[i]))
            closed = end <= EXTRACT_DATE
            if not closed:
                outcome, kept, at_end = "", "", ""
            else:
                outcome = "Not known" if secured_unknown[i] else _yes_no(bool(secured[i]))
                due = end + dt.timedelta(days=183) <= EXTRACT_DATE
                if not due:
                    kept = ""
                elif lost_contact[i] or outcome == "Not known":
                    kept = "Not known"
                else:
                    kept = _yes_no(outcome == "Yes" and bool(sustained[i]))
                if arrears_unknown[i]:
                    at_end = "N/A"
                elif in_arrears[i]:
                    at_end = round(float(arrears_start[i] * (1 - fall[i])), 2)
                else:
                    at_end = float(new_arrears[i]) if builds_arrears[i] else 0.0
            rows.append(
                {
                    "District": d.name,
                    "Date Referred": referred[i],
                    "Support Start": start,
                    "Support End": end if closed else None,
                    "Gender": str(genders[i]),
                    "Age": "Not known" if age_unknown[i] else int(ages[i]),
                    "Ethnicity": str(ethnicities[i]),
                    "Prevention Duty": _yes_no(bool(duty[i])),
                    "Rent Arrears At Start (£)": float(arrears_start[i]),
                    "Accommodation Secured": outcome,
                    "Sustained 6 Months": kept,
                    "Rent Arrears At End (£)": at_end,
                    "_code": code,
                }
            )
    order = sorted(range(len(rows)), key=lambda j: (rows[j]["Date Referred"], j))
    rows = [rows[j] for j in order]
    latent_arr, gains_arr = np.asarray(latent)[order], np.asarray(gains)[order]
    household = 40_000
    for k, row in enumerate(rows):
        # About one client in ten shares a household with the client referred just before them
        # in the same district (couples and adult children referred together).
        prev = rows[k - 1] if k else None
        if prev is not None and prev["_code"] == row["_code"] and people.random() < 0.1:
            row["Household Ref"] = prev["Household Ref"]
        else:
            household += int(people.integers(1, 4))
            row["Household Ref"] = f"HH{household:06d}"
        first = str(people.choice(_FIRST_NAMES.get(row["Gender"], _NEUTRAL_NAMES)))
        last = str(people.choice(_SURNAMES))
        row["Client Ref"] = f"HPS-{10_001 + k}"
        row["Full Name"] = f"{first} {last}"
        row["Email"] = f"{first}.{last}{k % 97}@example.org".lower()
        row["NHS Number"] = f"999 {people.integers(0, 1000):03d} {people.integers(0, 10_000):04d}"
        note = str(people.choice(_NOTES))
        row["Notes"] = note.format(first=first, last=last, phone=int(people.integers(0, 1000)))
    frame = pd.DataFrame(rows)
    extra = {
        "code": frame["_code"].to_numpy(),
        "latent": latent_arr,
        "gain": gains_arr,
        "start": frame["Support Start"].to_numpy(),
        "end": frame["Support End"].to_numpy(),
    }
    frame["Support Start"] = frame["Support Start"].map(_text)
    frame["Support End"] = frame["Support End"].map(lambda v: "" if v is None else _text(v))
    return frame[list(CLIENT_COLUMNS)].astype(object), extra


def _score(rng: np.random.Generator, value: float) -> int:
    low, high = STABILITY_RANGE
    return int(np.clip(np.rint(value + rng.normal(0, 0.4)), low, high))


def _readings(seed: int, clients: pd.DataFrame, extra: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per client per assessment: Intake at the start, perhaps a Review, Exit at the end."""
    rng = np.random.default_rng([seed, 2])
    rows = []
    for k, ref in enumerate(clients["Client Ref"]):
        start, end = extra["start"][k], extra["end"][k]
        base, gain = float(extra["latent"][k]), float(extra["gain"][k])
        intake_day = start + dt.timedelta(days=int(rng.integers(0, 8)))
        rows.append((ref, "Intake", intake_day, _score(rng, base)))
        last = end if end is not None else EXTRACT_DATE
        if (last - start).days > 60 and rng.random() < 0.7:
            review_day = start + (last - start) / 2
            rows.append((ref, "Review", review_day, _score(rng, base + gain / 2)))
        if end is not None and rng.random() < 0.88:
            rows.append((ref, "Exit", end, _score(rng, base + gain)))
    rows.sort(key=lambda r: (r[2], r[0]))
    frame = pd.DataFrame(rows, columns=list(READING_COLUMNS))
    frame["Assessment Date"] = frame["Assessment Date"].map(_text)
    return frame.astype(object)


def _presentations(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 3])
    months = pd.date_range(FIRST_MONTH, periods=N_MONTHS, freq="MS")
    t = np.arange(N_MONTHS)
    season = 1 + SEASONAL_AMPLITUDE * np.cos(2 * np.pi * (months.month.to_numpy() - 1) / 12)
    trend = 1 + TREND_PER_MONTH * t
    years = (months.year.to_numpy() - FIRST_MONTH.year) - (months.month.to_numpy() < 4)
    units: dict[str, tuple[str, int, dt.date | None, float]] = {
        code: (d.name, d.households, d.launch, d.presentation_rate_ratio)
        for code, d in DISTRICTS.items()
    }
    units |= {code: (name, hh, None, 1.0) for code, (name, hh) in COMPARISON_DISTRICTS.items()}
    frames = []
    for name, households, launch, ratio in units.values():
        base = rng.uniform(2.0, 2.8)  # presentations per 1,000 households per month
        hh = np.rint(households * (1 + HOUSEHOLD_GROWTH) ** years).astype(int)
        after = months >= pd.Timestamp(launch) if launch else np.zeros(N_MONTHS, dtype=bool)
        noise = rng.gamma(1 / OVERDISPERSION_SD**2, OVERDISPERSION_SD**2, N_MONTHS)
        mean = hh / 1000 * base * trend * season * np.where(after, ratio, 1.0) * noise
        frames.append(
            pd.DataFrame(
                {
                    "Council": name,
                    "Month": [_text(m) for m in months],
                    "Homelessness Presentations": rng.poisson(mean),
                    "Households": hh,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _spend(seed: int, clients: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 4])
    starts = pd.to_datetime(clients["Support Start"], format="%d/%m/%Y")
    fy = np.where(starts.dt.month >= 4, starts.dt.year, starts.dt.year - 1)
    rows = []
    for d in DISTRICTS.values():
        in_district = (clients["District"] == d.name).to_numpy()
        worker_cost = rng.uniform(950, 1_250)
        for year in (2023, 2024):
            n = int((in_district & (fy == year)).sum())
            if year < (d.launch.year if d.launch.month >= 4 else d.launch.year - 1):
                continue
            label = f"{year}/{str(year + 1)[-2:]}"
            caseworkers = round(n * worker_cost + 18_000, -2)
            items = [
                ("Caseworkers", caseworkers),
                ("Prevention fund", round(n * rng.uniform(150, 260), -1)),
                ("Management and overheads", round(caseworkers * 0.15, -2)),
            ]
            if year == d.launch.year - (d.launch.month < 4):
                items.append(("Set-up and training", 8_000.0))
            rows += [(d.name, label, item, f"{amount:.2f}") for item, amount in items]
    return pd.DataFrame(rows, columns=list(SPEND_COLUMNS))


def generate(seed: int = DEFAULT_SEED) -> HomelessnessData:
    """Generate the example's tables deterministically from ``seed``."""
    clients, extra = _clients(seed)
    cover = (
        "Homelessness Prevention Service",
        "Client extract for the commissioning partnership",
        f"Extracted: {_text(EXTRACT_DATE)}",
        "",
        "Notes",
        "FICTIONAL DATA made by evalkit for its homelessness-prevention example; no real person "
        "is in it.",
        "Clients: one row per client referred since the service launched in their district.",
        "Outcome Readings: the Housing Stability Score (1 = nowhere safe to stay tonight, "
        "10 = a settled, secure home) at intake, review and exit.",
        "'Not known' means the caseworker could not find out; an empty cell means not yet due.",
        "Rent arrears are in pounds on the day support started and the day it ended.",
    )
    return HomelessnessData(
        cover=cover,
        clients=clients,
        readings=_readings(seed, clients, extra),
        presentations=_presentations(seed),
        spend=_spend(seed, clients),
        truth=_truth(seed),
    )


def _workbook(data: HomelessnessData, target: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    cover = book.active
    cover.title = "Cover"
    for line in data.cover:
        cover.append([line or None])
    cover["A1"].font = Font(bold=True, size=14)
    clients = book.create_sheet("Clients")
    clients.append([CLIENT_TITLE])
    clients.append([f"Extracted {_text(EXTRACT_DATE)}"])
    clients.append(list(CLIENT_COLUMNS))
    clients["A1"].font = Font(bold=True)
    for row in data.clients.itertuples(index=False):
        clients.append([None if v == "" else v for v in row])
    referred = CLIENT_COLUMNS.index("Date Referred") + 1
    for (cell,) in clients.iter_rows(min_row=4, min_col=referred, max_col=referred):
        cell.number_format = "DD/MM/YYYY"
    readings = book.create_sheet("Outcome Readings")
    readings.append(list(READING_COLUMNS))
    for row in data.readings.itertuples(index=False):
        readings.append(list(row))
    # Fixed document times, so that the same seed gives the same workbook metadata.
    stamp = dt.datetime(2025, 4, 5, 9, 0, 0)
    book.properties.creator = "evalkit (fictional example)"
    book.properties.created = stamp
    book.properties.modified = stamp
    book.save(target)


def _readme(truth: dict[str, Any]) -> str:
    p = truth["presentations"]
    lines = [
        "# Example data: the fictional Homelessness Prevention service",
        "",
        "**Fictional.** Synthetic records made by `evalkit.demo.homelessness_prevention`; no real",
        "person, provider or contract is in them. The districts are real places, used as labels;",
        "their household counts are rounded and illustrative, and every count is made up.",
        f"Seed {truth['seed']}. The true effects planted in the data are below and in `truth.json`.",
        "",
        "A charity commissioned by a county council and four district councils helps households",
        "at risk of homelessness. The service launched in each district in a different month.",
        "",
        "| code | district | launch | clients | stability gain (points) | accommodation secured |"
        " arrears fall | presentation rate ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for code, t in truth["localities"].items():
        lines.append(
            f"| {code} | {t['name']} | {t['launch']} | {t['n_clients']} | "
            f"+{t['stability_gain']} | {t['accommodation_secured_share']:.0%} | "
            f"{t['arrears_fall_share']:.0%} | {t['presentation_rate_ratio']} |"
        )
    lines += [
        "",
        "- Stability gain: the mean change in the Housing Stability Score (a 1-10 scale invented",
        "  for this example) from the Intake to the Exit assessment.",
        "- Accommodation secured: the share of closed cases with a known answer.",
        f"- Of those, {truth['sustained_given_secured']:.0%} were still housed six months after"
        " support ended (asked only once six months have passed).",
        "- Arrears fall: the proportional fall in rent arrears for households in arrears at the"
        " start.",
        "- Presentation rate ratio: presentations per 1,000 households after the district's launch"
        " relative to before, net of a common trend"
        f" (+{p['trend_per_month']:.1%} a month) and a January peak"
        f" (+{p['seasonal_amplitude']:.0%}).",
        f"- {truth['localities'][truth['small_locality']]['name']} has few clients, so small-number"
        " rules matter there.",
        "",
        "Never-treated districts (monthly series only): "
        + ", ".join(f"{t['name']} ({c})" for c, t in truth["comparison_localities"].items())
        + ".",
        "",
        f"Files: {WORKBOOK} (sheets Cover, Clients, Outcome Readings), {SERIES}, {SPEND},",
        f"and {SPEC_FILE}, the programme spec that `evalkit run` reads. The Clients sheet holds",
        "personal columns (Full Name, Email, NHS Number, Notes) that the spec does not name, so",
        "they never leave intake. The NHS numbers are fake, in the 999 range kept for test data.",
    ]
    return "\n".join(lines) + "\n"


def _spec_text(directory: Path) -> str:
    from evalkit.demo._files import data_dir
    from evalkit.reference import path_of

    text = path_of(TEMPLATE).read_text(encoding="utf-8")
    text = text.split("\n", 1)[1]  # drop the template's first line, which says it is a template
    # The paths sit in single-quoted YAML scalars, in which a quote is written twice.
    return text.replace("{data_dir}", data_dir(directory, SPEC_FILE).replace("'", "''"))


def write(
    directory: str | Path = Path("data/raw/hp"), seed: int = DEFAULT_SEED, *, force: bool = False
) -> Path:
    """Write the example's files and programme spec under ``directory``; return the spec's path.

    Each file is written to a temporary name and renamed, so a reader never sees half a file.
    A file of the same name that this example did not write, or that was changed since it did,
    is never overwritten unless ``force`` is given: DataError names it and nothing is written
    (see :mod:`evalkit.demo._files`).
    """
    from evalkit._io import atomic_path, atomic_write_text
    from evalkit.demo._files import record_written, refuse_foreign

    directory = Path(directory)
    names = [*FILES, "truth.json", "README.md", SPEC_FILE]
    refuse_foreign(directory, names, PROGRAMME, force=force)
    data = generate(seed)
    spec_text = _spec_text(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_path(directory / WORKBOOK, suffix=".xlsx") as tmp:
        _workbook(data, tmp)
    atomic_write_text(directory / SERIES, data.presentations.to_csv(index=False))
    atomic_write_text(directory / SPEND, data.spend.to_csv(index=False), encoding="utf-8-sig")
    atomic_write_text(directory / "truth.json", json.dumps(data.truth, indent=2) + "\n")
    atomic_write_text(directory / "README.md", _readme(data.truth))
    spec_path = directory / SPEC_FILE
    atomic_write_text(spec_path, spec_text)
    record_written(directory, names, PROGRAMME)
    return spec_path
