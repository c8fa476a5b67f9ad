"""Synthetic demo data with known true effects: the fictional "Family Support" programme.

An early-help programme commissioned in 14 real English upper-tier local authorities, launched in
three waves, with a comparison group of eligible non-participants and four never-treated
comparison localities. Every record is made up; the true effects are planted and exposed in
:attr:`DemoData.truth` (and ``truth.json`` beside the written files) so that tests can check that
evalkit's estimators recover them.

What is planted (see ``truth``):

- wellbeing (SWEMWBS-like raw score 7-35): everyone drifts up by ``wellbeing_comparison_change``;
  participants gain ``wellbeing_effect`` more, so a before/after on participants alone overstates
  the impact and a difference-in-differences recovers it;
- stable housing: participants' probability of stable housing afterwards rises by ``housing_effect``
  over the comparison group's;
- quarterly children's social care referrals fall by ``referral_rate_ratio`` from launch;
- the distance-travelled tool gains ``distance_effect`` points per area from first to last review;
- Rutland (E06000017) has 6 participants only, so that small-number suppression matters.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.exceptions import ParameterError
from evalkit.reference import localities, locality_name

__all__ = [
    "AREAS",
    "DEFAULT_SEED",
    "PROGRAMME",
    "DemoData",
    "generate",
    "load_demo_reflections",
    "write",
]

PROGRAMME = "family-support"
DEFAULT_SEED = 2024
AREAS = (
    "housing",
    "money",
    "health",
    "parenting",
    "relationships",
    "education",
    "safety",
    "wellbeing",
    "work",
    "community",
)
WAVES = {1: ("2021Q2", 8), 2: ("2022Q2", 12), 3: ("2023Q2", 16)}
FIRST_QUARTER = pd.Period("2019Q2", freq="Q")
N_QUARTERS = 24
#: The demo's tables, each written as ``<name>.csv``.
TABLES = ("service_users", "reviews", "timeseries", "costs", "reflections")
WELLBEING_COMPARISON_CHANGE = 0.8
HOUSING_BEFORE = 0.55
HOUSING_COMPARISON_AFTER = 0.58
SMALL_LOCALITY = "E06000017"

# code: (wave, participants, wellbeing effect, housing effect, referral rate ratio,
#        distance effect, children aged 0-17)
_PLANTED: dict[str, tuple[int, int, float, float, float, float, int]] = {
    "E08000012": (1, 420, 3.0, 0.15, 0.88, 2.0, 101_000),
    "E08000011": (1, 260, 2.5, 0.12, 0.90, 1.8, 34_000),
    "E08000014": (2, 240, 2.0, 0.10, 0.92, 1.5, 55_000),
    "E08000015": (2, 280, 2.2, 0.10, 0.92, 1.6, 69_000),
    "E08000013": (3, 180, 1.0, 0.05, 0.97, 1.0, 38_000),
    "E08000003": (1, 450, 3.5, 0.18, 0.85, 2.2, 126_000),
    "E08000035": (2, 400, 2.8, 0.14, 0.90, 1.9, 172_000),
    "E10000008": (3, 300, 1.5, 0.08, 0.95, 1.2, 148_000),
    "E06000026": (1, 220, 2.5, 0.12, 0.90, 1.7, 54_000),
    "E06000027": (3, 150, 0.5, 0.02, 1.00, 0.6, 23_000),
    "E09000028": (2, 260, 3.0, 0.15, 0.88, 2.0, 60_000),
    "E09000007": (3, 160, 2.0, 0.10, 0.93, 1.5, 40_000),
    "E10000020": (2, 320, 1.8, 0.09, 0.94, 1.4, 175_000),
    SMALL_LOCALITY: (3, 6, 2.0, 0.10, 1.00, 1.5, 8_000),
}
#: Never-treated localities in the quarterly series: code -> children aged 0-17.
COMPARISON_LOCALITIES: dict[str, int] = {
    "E08000010": 71_000,
    "E06000006": 28_000,
    "E10000016": 345_000,
    "E06000052": 112_000,
}
AGE_BANDS = ("16-24", "25-34", "35-44", "45-54", "55+")
AGE_WEIGHTS = (0.18, 0.36, 0.30, 0.12, 0.04)
ETHNIC_GROUPS = ("Asian", "Black", "Mixed", "White", "Other")
ETHNIC_WEIGHTS = (0.08, 0.05, 0.04, 0.81, 0.02)
LAST_END = pd.Timestamp("2025-03-31")


@dataclasses.dataclass(frozen=True)
class DemoData:
    """The demo tables and the true effects planted in them."""

    service_users: pd.DataFrame
    reviews: pd.DataFrame
    timeseries: pd.DataFrame
    costs: pd.DataFrame
    reflections: pd.DataFrame
    truth: dict[str, Any]

    @property
    def localities(self) -> list[str]:
        """The programme's locality codes."""
        return list(self.truth["localities"])


def _planted(
    seed: int, extra_localities: int
) -> dict[str, tuple[int, int, float, float, float, float, int]]:
    """The 14 demo localities, plus ``extra_localities`` more (for scale tests) with random effects."""
    planted = dict(_PLANTED)
    if extra_localities:
        rng = np.random.default_rng([seed, 1])
        taken = set(_PLANTED) | set(COMPARISON_LOCALITIES)
        # The never-treated comparators join the programme last, so that all 153 can take part.
        pool = [c for c in localities()["code"] if c not in taken] + list(COMPARISON_LOCALITIES)
        if extra_localities > len(pool):
            raise ParameterError(
                f"extra_localities must be at most {len(pool)} (the other upper-tier local "
                f"authorities); got {extra_localities}"
            )
        for code in pool[:extra_localities]:
            planted[code] = (
                int(rng.integers(1, 4)),
                int(rng.integers(40, 90)),
                round(float(rng.uniform(0.5, 3.5)), 1),
                round(float(rng.uniform(0.02, 0.18)), 2),
                round(float(rng.uniform(0.85, 1.0)), 2),
                round(float(rng.uniform(0.6, 2.2)), 1),
                int(rng.integers(20_000, 150_000)),
            )
    return planted


def _truth(
    seed: int, planted: dict[str, tuple[int, int, float, float, float, float, int]]
) -> dict[str, Any]:
    localities = {}
    for code, (wave, n, wb, housing, rr, dist, pop) in planted.items():
        localities[code] = {
            "name": locality_name(code),
            "wave": wave,
            "launch_quarter": WAVES[wave][0],
            "n_participants": n,
            "n_comparison": max(n, 8),
            "wellbeing_effect": wb,
            "housing_effect": housing,
            "referral_rate_ratio": rr,
            "distance_effect": dist,
            "population_0_17": pop,
        }
    return {
        "seed": seed,
        "programme": PROGRAMME,
        "wellbeing_comparison_change": WELLBEING_COMPARISON_CHANGE,
        "housing_before": HOUSING_BEFORE,
        "housing_comparison_after": HOUSING_COMPARISON_AFTER,
        "localities": localities,
        "comparison_localities": {
            c: locality_name(c) for c in COMPARISON_LOCALITIES if c not in planted
        },
        "small_locality": SMALL_LOCALITY,
    }


def _binary_after(
    rng: np.random.Generator, before: np.ndarray, p_before: float, p_after: np.ndarray
):
    """Draw an 'after' 0/1 with marginal p_after that persists from 'before' where it can."""
    stay = np.minimum(0.95, p_after + 0.25)
    enter = np.clip((p_after - p_before * stay) / (1 - p_before), 0, 1)
    p = np.where(before == 1, stay, enter)
    return (rng.random(before.size) < p).astype(int)


def _people(rng: np.random.Generator, truth: dict[str, Any]) -> pd.DataFrame:
    frames = []
    counter = 0
    for code, info in truth["localities"].items():
        launch = pd.Period(info["launch_quarter"], freq="Q").start_time
        for group, n in (
            ("participant", info["n_participants"]),
            ("comparison", info["n_comparison"]),
        ):
            ids = np.arange(counter, counter + n)
            counter += n
            span_days = (LAST_END - pd.Timedelta(days=200) - launch).days
            start = launch + pd.to_timedelta(rng.integers(0, span_days, n), unit="D")
            duration = rng.integers(90, 200, n) if group == "participant" else np.full(n, 182)
            referral = start - pd.to_timedelta(rng.integers(5, 40, n), unit="D")
            if group == "comparison":
                referral = start
            treated = group == "participant"
            wb_start = np.clip(np.rint(rng.normal(19.0, 4.0, n)), 7, 35)
            gain = WELLBEING_COMPARISON_CHANGE + (info["wellbeing_effect"] if treated else 0.0)
            wb_end = np.clip(np.rint(wb_start + gain + rng.normal(0, 3.5, n)), 7, 35)
            wb_end = np.where(rng.random(n) < 0.1, np.nan, wb_end)
            house_before = (rng.random(n) < HOUSING_BEFORE).astype(int)
            p_after = HOUSING_COMPARISON_AFTER + (info["housing_effect"] if treated else 0.0)
            house_after = _binary_after(rng, house_before, HOUSING_BEFORE, np.full(n, p_after))
            school_age = rng.random(n) < 0.7
            att_before = (rng.random(n) < 0.60).astype(int)
            att_after = _binary_after(
                rng, att_before, 0.60, np.full(n, 0.62 + (0.08 if treated else 0))
            )
            scale = 0.75 if treated else 0.95
            frames.append(
                pd.DataFrame(
                    {
                        "person_id": [f"FS{i:06d}" for i in ids],
                        "family_id": [f"FAM{i:06d}" for i in ids],
                        "locality_code": code,
                        "group": group,
                        "referral_date": referral.date,
                        "start_date": start.date,
                        "end_date": (start + pd.to_timedelta(duration, unit="D")).date,
                        "age_band": rng.choice(AGE_BANDS, n, p=AGE_WEIGHTS),
                        "sex": rng.choice(("Female", "Male"), n, p=(0.78, 0.22)),
                        "ethnic_group": rng.choice(ETHNIC_GROUPS, n, p=ETHNIC_WEIGHTS),
                        "wellbeing_start": wb_start.astype(int),
                        "wellbeing_end": pd.array(wb_end, dtype="Int64"),
                        "stable_housing_before": house_before,
                        "stable_housing_after": house_after,
                        "school_attendance_90_before": pd.array(
                            np.where(school_age, att_before, np.nan), dtype="Int64"
                        ),
                        "school_attendance_90_after": pd.array(
                            np.where(school_age, att_after, np.nan), dtype="Int64"
                        ),
                        "police_callouts_before": rng.poisson(0.8, n),
                        "police_callouts_after": rng.poisson(0.8 * scale, n),
                        "ae_attendances_before": rng.poisson(1.2, n),
                        "ae_attendances_after": rng.poisson(1.2 * (0.8 if treated else 0.95), n),
                        "social_care_referrals_before": rng.poisson(0.5, n),
                        "social_care_referrals_after": rng.poisson(
                            0.5 * (0.7 if treated else 0.96), n
                        ),
                    }
                )
            )
    people = pd.concat(frames, ignore_index=True)
    # Families: siblings' parents share a family id for about a fifth of people.
    fam = people["family_id"].to_numpy().copy()
    share = rng.random(len(fam)) < 0.2
    fam[1:][share[1:]] = fam[:-1][share[1:]]
    people["family_id"] = fam
    return people


def _reviews(rng: np.random.Generator, people: pd.DataFrame, truth: dict[str, Any]) -> pd.DataFrame:
    part = people[people["group"] == "participant"]
    k = rng.integers(2, 6, len(part))
    rows = np.repeat(np.arange(len(part)), k)
    review_number = np.concatenate([np.arange(1, j + 1) for j in k])
    last = np.repeat(k, k)
    frac = (review_number - 1) / (last - 1)
    start = pd.to_datetime(part["start_date"].to_numpy()[rows])
    end = pd.to_datetime(part["end_date"].to_numpy()[rows])
    review_date = start + (end - start) * frac
    effect = (
        part["locality_code"].map(lambda c: truth["localities"][c]["distance_effect"]).to_numpy()
    )
    out = pd.DataFrame(
        {
            "person_id": part["person_id"].to_numpy()[rows],
            "locality_code": part["locality_code"].to_numpy()[rows],
            "review_number": review_number,
            "review_date": review_date.date,
        }
    )
    # Each person's progress varies around the locality's effect (some go backwards), and each
    # area varies around the person's progress.
    person_gain = effect + rng.normal(0, 1.5, len(part))
    for area in AREAS:
        base = np.clip(rng.normal(4.5, 1.5, len(part)), 1, 10)
        gain = person_gain + rng.normal(0, 1.0, len(part))
        score = base[rows] + gain[rows] * frac + rng.normal(0, 0.4, len(rows))
        out[f"area_{area}"] = np.clip(np.rint(score), 1, 10).astype(int)
    return out


def _timeseries(rng: np.random.Generator, truth: dict[str, Any]) -> pd.DataFrame:
    quarters = pd.period_range(FIRST_QUARTER, periods=N_QUARTERS, freq="Q")
    time = np.arange(N_QUARTERS)
    season = 1 + 0.06 * np.cos(2 * np.pi * (quarters.quarter.to_numpy() - 1) / 4)
    frames = []
    units = {c: (info, info["population_0_17"]) for c, info in truth["localities"].items()}
    units.update({c: (None, COMPARISON_LOCALITIES[c]) for c in truth["comparison_localities"]})
    for code, (info, pop) in units.items():
        base_rate = rng.normal(125, 12)  # referrals per 10,000 children per quarter
        trend = 1 + 0.004 * time
        if info is None:
            launch_q, launch_t = "", pd.NA
            post = np.zeros(N_QUARTERS, dtype=int)
            ratio = 1.0
        else:
            launch_q, launch_t = info["launch_quarter"], WAVES[info["wave"]][1]
            post = (time >= launch_t).astype(int)
            ratio = info["referral_rate_ratio"]
        mean = pop / 10_000 * base_rate * trend * season * np.where(post == 1, ratio, 1.0)
        frames.append(
            pd.DataFrame(
                {
                    "locality_code": code,
                    "quarter": quarters.astype(str),
                    "quarter_start": quarters.start_time.date,
                    "time": time,
                    "programme": info is not None,
                    "launch_quarter": launch_q,
                    "launch_time": pd.array([launch_t] * N_QUARTERS, dtype="Int64"),
                    "post": post,
                    "population_0_17": pop,
                    "referrals": rng.poisson(mean),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _costs(truth: dict[str, Any]) -> pd.DataFrame:
    # Cost per participant differs between localities (GBP 1,400 to 2,400): its own stream of
    # random numbers, so the other tables do not change with it.
    rng = np.random.default_rng([truth["seed"], 2])
    rows = []
    for code, info in truth["localities"].items():
        first = int(info["launch_quarter"][:4])
        years = list(range(first, 2025))
        per_year = info["n_participants"] * rng.uniform(1_400, 2_400) / len(years)
        for i, year in enumerate(years):
            fy = f"{year}/{str(year + 1)[-2:]}"
            rows.append((code, fy, "delivery", round(per_year, -2), 2024))
            rows.append((code, fy, "management", round(per_year * 0.12, -2), 2024))
            if i == 0:
                rows.append((code, fy, "training", 15_000.0, 2024))
    return pd.DataFrame(
        rows, columns=["locality_code", "financial_year", "item", "amount", "price_year"]
    )


_REFLECTION_TEXT = (
    (
        "We tried a single named worker for the whole family instead of separate referrals.",
        "Families told us they repeated their story less; two dropped out when the worker changed.",
        "Continuity of the relationship matters more than the number of sessions.",
        "We will keep the same worker through any handover and agree changes with the family first.",
    ),
    (
        "We met parents at the school gate rather than in the office.",
        "More fathers came along; attendance at the first meeting rose noticeably.",
        "Where we meet people shapes who turns up.",
        "We will book community venues for first meetings from next quarter.",
    ),
    (
        "We gave workers a small flexible budget to spend on what families said would help.",
        "Spending went on bus passes, school uniform and a washing machine; rent arrears fell for some.",
        "Small practical help builds trust quickly; the approval form was a barrier.",
        "We will drop the approval form for amounts under 100 pounds.",
    ),
    (
        "We held a joint case review with housing and the police for families with repeat call-outs.",
        "Contact Sarah Jones on 07700 900123 or sarah.jones@example.org said the review helped; "
        "one family at L1 8JQ was rehoused.",
        "Shared reviews work when each agency brings someone who can decide.",
        "We will invite decision-makers, not observers, to the next reviews.",
    ),
)
_ROLES = (
    "commissioner",
    "provider",
    "frontline worker",
    "person with lived experience",
    "learning partner",
)
_AUTHORS = ("Alex Morgan", "Priya Shah", "Tom Walsh", "Grace Okafor", "Sam Reid", "Jo Bloggs")
#: Learning cycles of the demo: each locality with reflections runs cycle 1 (April to September
#: 2024, finished) and cycle 2 (from October 2024). suffix: (name, phase, started, ended).
_CYCLES = {
    "cycle-1": (
        "Meeting families where they are",
        "embed and influence",
        "2024-04-01",
        "2024-09-30",
    ),
    "cycle-2": ("Working together around the family", "co-design experiments", "2024-10-01", None),
}
#: Liverpool's frontline team ran a third cycle in winter 2025: a morning huddle. Eight workers
#: each reflected on it, so that the demo has a role held by enough people to be named beside a
#: quote, and a theme counted often enough to show for one locality.
TEAM_LOCALITY = "E08000012"
TEAM_CYCLE = f"{TEAM_LOCALITY}-huddle"
_TEAM_CYCLE = ("Morning huddles", "co-design experiments", "2025-01-06", None)
_TEAM = (
    "Ola Nowak",
    "Ben Carter",
    "Chloe Evans",
    "Dan Hughes",
    "Femi Adeyemi",
    "Hannah Price",
    "Imran Ali",
    "Kate Doyle",
)
_HUDDLE = "We met for ten minutes each morning to talk through the families who had waited longest."
_TEAM_TEXT = (
    (
        _HUDDLE,
        "Two families who had waited weeks were seen within days.",
        "Saying out loud who is waiting makes it everyone's job.",
        "We will keep the huddle and add a slot for families about to close.",
    ),
    (
        _HUDDLE,
        "I asked for help with a family I was stuck with and got two ideas the same day.",
        "Asking early is easier when it is part of the routine.",
        "We will put asking for help on the huddle agenda every day.",
    ),
    (
        _HUDDLE,
        "Some mornings ran over when one case took over the conversation.",
        "The huddle needs a firm ten minutes and a place to take longer cases.",
        "We will hold a weekly longer slot for the hardest cases.",
    ),
    (
        _HUDDLE,
        "New starters said they learned more in a week than in their induction.",
        "Hearing how colleagues think through a case is how practice spreads.",
        "We will pair each new starter with a colleague for their first month of huddles.",
    ),
    (
        _HUDDLE,
        "Handovers between workers were smoother when both were in the huddle.",
        "Continuity for families depends on workers knowing each other's cases.",
        "We will hold handover conversations in the huddle, with both workers there.",
    ),
    (
        _HUDDLE,
        "Part-time colleagues missed it on their days off and felt out of the loop.",
        "A routine has to reach everyone in the team, not only those in on the day.",
        "We will write up each huddle in three lines for the whole team.",
    ),
    (
        _HUDDLE,
        "The duty manager could see pressure building before it became a crisis.",
        "Shared sight of the waiting list helps managers act sooner.",
        "We will share the waiting list with the duty manager before each huddle.",
    ),
    (
        _HUDDLE,
        "It felt hard to keep going during the busiest weeks.",
        "The routine matters most when it feels hardest to keep.",
        "We will keep the huddle short in busy weeks rather than cancel it.",
    ),
)
#: How many of the team's commitments its manager has taken on as actions (the rest wait).
_TEAM_TRACKED = 4
#: The demo's codebook: plain-English themes a reader meets in the review.
DEMO_CODEBOOK = (
    ("Continuity of relationships", "Families keep the same worker; trust built over time."),
    ("Where and how we meet", "Venues, times and ways of meeting that shape who takes part."),
    ("Practical help builds trust", "Small, flexible, practical help that families ask for."),
    ("Our own processes get in the way", "Forms, approvals and rules of our own that slow help."),
    ("Working across agencies", "Housing, police, schools and health deciding together."),
    ("Team reflection and support", "Routines in which workers think through cases together."),
)
#: What the demo's stand-in coder applies, and who takes each commitment forward, by the text of
#: "what we tried" (the first entry of the team's texts stands for all of them).
_DEMO_CODES = {
    _REFLECTION_TEXT[0][0]: (("Continuity of relationships",), "provider"),
    _REFLECTION_TEXT[1][0]: (("Where and how we meet",), "provider"),
    _REFLECTION_TEXT[2][0]: (
        ("Practical help builds trust", "Our own processes get in the way"),
        "commissioner",
    ),
    _REFLECTION_TEXT[3][0]: (("Working across agencies",), "commissioner"),
    _HUDDLE: (("Team reflection and support",), "team manager"),
}


def _reflection_row(
    cycle: str,
    code: str,
    period: str,
    scale: str,
    author: str,
    role: str,
    text: tuple[str, str, str, str],
    confidence: str,
    consent: str,
) -> dict[str, Any]:
    """One row of the demo's reflection form export (HLS template, submitted for review)."""
    tried, happened, learned, change = text
    return {
        "programme": PROGRAMME,
        "learning_cycle": cycle,
        "locality_code": code,
        "period": period,
        "system_scale": scale,
        "author": author,
        "role": role,
        "template": "hls",
        "what_we_tried": tried,
        "what_happened": happened,
        "what_we_learned": learned,
        "what_we_will_change": change,
        "confidence": confidence,
        "consent": consent,
        "sharing_scope": "programme",
        "status": "submitted",
    }


def _reflections(rng: np.random.Generator) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    codes = [c for c in _PLANTED if c != SMALL_LOCALITY]
    confidence = ("tentative", "emerging", "well supported")
    for i, code in enumerate(codes[:8]):
        for q, period in enumerate(("2024Q2", "2024Q3", "2024Q4", "2025Q1")):
            # every text, including the one with personal details to redact, appears
            rows.append(
                _reflection_row(
                    f"{code}-cycle-{1 + q // 2}",
                    code,
                    period,
                    rng.choice(("team", "organisation", "place")),
                    rng.choice(_AUTHORS),
                    _ROLES[(q + len(rows)) % len(_ROLES)],
                    _REFLECTION_TEXT[(i + q) % len(_REFLECTION_TEXT)],
                    rng.choice(confidence),
                    "yes" if rng.random() > 0.1 else "no",
                )
            )
    for author, text in zip(_TEAM, _TEAM_TEXT, strict=True):
        rows.append(
            _reflection_row(
                TEAM_CYCLE,
                TEAM_LOCALITY,
                "2025Q1",
                "team",
                author,
                "frontline worker",
                text,
                rng.choice(confidence),
                "yes",
            )
        )
    return pd.DataFrame(rows)


def generate(seed: int = DEFAULT_SEED, *, extra_localities: int = 0) -> DemoData:
    """Generate the demo tables deterministically from ``seed``.

    ``extra_localities`` adds that many more upper-tier local authorities (40-90 participants
    each, random planted effects recorded in ``truth``) for scale tests and benchmarks.
    """
    rng = np.random.default_rng(seed)
    truth = _truth(seed, _planted(seed, extra_localities))
    people = _people(rng, truth)
    return DemoData(
        service_users=people,
        reviews=_reviews(rng, people, truth),
        timeseries=_timeseries(rng, truth),
        costs=_costs(truth),
        reflections=_reflections(rng),
        truth=truth,
    )


def _readme(truth: dict[str, Any]) -> str:
    lines = [
        "# Demo data: the fictional Family Support programme",
        "",
        "Synthetic records made by `evalkit demo` (evalkit.demo); no real person is in them.",
        f"Seed {truth['seed']}. The true effects planted in the data are below and in `truth.json`.",
        "",
        f"- Comparison-group drift in wellbeing: +{truth['wellbeing_comparison_change']} raw points.",
        f"- Probability of stable housing before: {truth['housing_before']};"
        f" comparison group after: {truth['housing_comparison_after']}.",
        f"- {truth['small_locality']} has too few participants to publish most counts.",
        "",
        "| code | locality | wave | launch | participants | wellbeing effect | housing effect |"
        " referral rate ratio | distance effect |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for code, t in truth["localities"].items():
        lines.append(
            f"| {code} | {t['name']} | {t['wave']} | {t['launch_quarter']} | {t['n_participants']} | "
            f"{t['wellbeing_effect']} | {t['housing_effect']} | {t['referral_rate_ratio']} | "
            f"{t['distance_effect']} |"
        )
    lines += [
        "",
        "Never-treated comparison localities (quarterly series only): "
        + ", ".join(f"{n} ({c})" for c, n in truth["comparison_localities"].items())
        + ".",
        "",
        "Files: service_users.csv, reviews.csv, timeseries.csv, costs.csv, reflections.csv,",
        "and family-support.yaml, the programme spec that `evalkit run` reads.",
    ]
    return "\n".join(lines) + "\n"


def write(
    directory: str | Path = Path("data/raw/demo"),
    seed: int = DEFAULT_SEED,
    *,
    extra_localities: int = 0,
    force: bool = False,
) -> Path:
    """Write the demo files and the programme spec under ``directory``; return the spec's path.

    Each file is written to a temporary name and renamed, so a reader never sees half a file.
    A file of the same name that the demo did not write, or that was changed since it did, is
    never overwritten unless ``force`` is given: DataError names it and nothing is written
    (see :mod:`evalkit.demo._files`).
    """
    from evalkit._io import atomic_write_text
    from evalkit.demo._files import data_dir, record_written, refuse_foreign
    from evalkit.reports.social_value import INPUT_FILES

    directory = Path(directory)
    names = [f"{n}.csv" for n in TABLES] + ["truth.json", "README.md", f"{PROGRAMME}.yaml"]
    names += list(INPUT_FILES.values())
    refuse_foreign(directory, names, PROGRAMME, force=force)
    data = generate(seed, extra_localities=extra_localities)
    directory.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        atomic_write_text(directory / f"{name}.csv", getattr(data, name).to_csv(index=False))
    atomic_write_text(directory / "truth.json", json.dumps(data.truth, indent=2) + "\n")
    from evalkit.demo.social_value import write_demo_inputs

    write_demo_inputs(directory, data)  # tenders, bids, delivery returns and proxies (social value)
    atomic_write_text(directory / "README.md", _readme(data.truth))
    from evalkit.reference import path_of

    spec_text = path_of("demo_programme.yaml").read_text(encoding="utf-8")
    spec_text = spec_text.split("\n", 1)[1]  # the template's own first line, not the spec's
    spec_text = spec_text.replace("{data_dir}", data_dir(directory, f"{PROGRAMME}.yaml"))
    spec_text = spec_text.replace("{localities}", ", ".join(data.localities))
    spec_text = spec_text.replace("{comparison}", ", ".join(data.truth["comparison_localities"]))
    launches = ", ".join(
        f"{code}: {pd.Period(t['launch_quarter'], freq='Q').start_time.date()}"
        for code, t in data.truth["localities"].items()
    )
    spec_text = spec_text.replace("{{launches}}", "{" + launches + "}")
    spec_path = directory / f"{PROGRAMME}.yaml"
    atomic_write_text(spec_path, spec_text)
    record_written(directory, names, PROGRAMME)
    return spec_path


def learning_log_path(spec_path: str | Path) -> Path:
    """Where the demo's learning log goes for the spec at ``spec_path`` (which may not exist yet):
    ``<project folder>/data/processed/<programme>/learning.sqlite``."""
    from evalkit.config import ProgrammeSpec, find_root

    processed = ProgrammeSpec.model_fields["processed_dir"].default
    return find_root(Path(spec_path)) / processed / PROGRAMME / "learning.sqlite"


#: Names in the demo reflections' free text that are not authors (redacted on import).
DEMO_NAMES_IN_TEXT = ("Sarah Jones",)


def load_demo_reflections(spec_path: str | Path) -> Path:
    """Load the demo reflections into the programme's learning log (rebuilt from scratch).

    Only a log the demo wrote itself is rebuilt: one that holds anybody else's work is never
    replaced (DataError, see :func:`evalkit.demo._files.check_learning_log`).

    The demo stands in for a human reviewer: consented reflections are redacted (authors' names,
    the names above, emails, phone numbers, postcodes ...) and marked reviewed and shareable, so
    that the demo reports show a learning section. Real imports wait for a person's review. The
    demo then does, through the store's own API, what the people running the learning cycles
    would do (:func:`_demo_learning_cycles`): records the cycles, codes the shared reflections
    with themes, and tracks most "what we will change" commitments as actions.
    Returns the store's path, ``data/processed/<programme>/learning.sqlite``.
    """
    from evalkit.config import load_spec
    from evalkit.demo._files import check_learning_log
    from evalkit.intake import read_table
    from evalkit.intake.mapping import identifier_patterns
    from evalkit.learning import ReflectionStore, import_reflections

    spec = load_spec(spec_path)
    path = spec.processed_folder / "learning.sqlite"
    check_learning_log(path)
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with ReflectionStore(path, identifiers=identifier_patterns(spec)) as store:
        reflections = read_table(spec.path(spec.reflections))
        reflections.attrs["source"] = str(spec.path(spec.reflections))
        import_reflections(
            store,
            reflections,
            reviewed=True,
            by="system:demo",
            names=DEMO_NAMES_IN_TEXT,
        )
        _demo_learning_cycles(store)
    return path


def _next_quarter_end(period: str) -> str:
    """The last day of the quarter after ``period`` (a quarter such as 2024Q3)."""
    return str((pd.Period(period, freq="Q") + 1).end_time.date())


def _demo_learning_cycles(store: Any) -> None:
    """Cycles, codes and actions for the demo's learning log, as its people would record them.

    - every cycle named by a reflection is recorded (:data:`_CYCLES`, the team's huddle), and
      Norfolk has a cycle that has just started with nothing shared yet; the other localities
      with no reflections have no learning cycle at all;
    - every shared reflection is coded with the themes of :data:`_DEMO_CODES`;
    - each shared commitment is tracked as an action due at the end of the next quarter, except
      those of the last quarter (2025Q1) beyond the team's first :data:`_TEAM_TRACKED`, which wait
      to be taken on; actions from the first quarter are done, followed up by the locality's next
      reflection.
    """
    from evalkit.learning.actions import track_commitment

    by = "system:demo"
    shared = store.shareable(audience="cycle")
    named = store.overview()[["learning_cycle", "locality"]].drop_duplicates()
    for cycle_id, locality in named.itertuples(index=False):
        suffix = str(cycle_id).removeprefix(f"{locality}-")
        name, phase, started, ended = _TEAM_CYCLE if cycle_id == TEAM_CYCLE else _CYCLES[suffix]
        store.add_cycle(
            {
                "cycle_id": cycle_id,
                "programme": PROGRAMME,
                "locality": locality,
                "name": name,
                "system_scale": "team",
                "phase": phase,
                "started_on": started,
                "ended_on": ended,
            },
            by=by,
        )
    store.add_cycle(
        {
            "cycle_id": "E10000020-cycle-1",
            "programme": PROGRAMME,
            "locality": "E10000020",
            "name": "Hearing from families first",
            "phase": "shared purpose",
            "started_on": "2025-02-03",
        },
        by=by,
    )
    store.set_codebook([{"name": n, "definition": d} for n, d in DEMO_CODEBOOK], by=by)
    team_tracked = 0
    for row in shared.to_dict("records"):
        codes, owner = _DEMO_CODES[row["what_we_tried"]]
        for code in codes:
            store.assign_code(int(row["id"]), code, coder=by)
        if not str(row["what_we_will_change"] or "").strip():
            continue
        if row["learning_cycle"] == TEAM_CYCLE:
            team_tracked += 1
        if row["period"] == "2025Q1" and not (
            row["learning_cycle"] == TEAM_CYCLE and team_tracked <= _TEAM_TRACKED
        ):
            continue  # committed to, not yet taken on: the review lists it as not yet tracked
        aid = track_commitment(
            store,
            int(row["id"]),
            owner_role=owner,
            due_on=_next_quarter_end(row["period"]),
            by=by,
        )
        if row["period"] == "2024Q2":
            later = shared[(shared["locality"] == row["locality"]) & (shared["period"] == "2024Q3")]
            follow_up = int(later["id"].iloc[0]) if not later.empty else None
            store.update_action(
                aid, {"status": "done", "follow_up_reflection_id": follow_up}, by=by
            )
