"""The demo's social value inputs: tenders, bids, delivery returns, proxies and adjustments.

Bids and delivery returns are generated from the demo's own records, deterministically:

- one tender per locality, for a contract running from the financial year the service launched
  there to 2024/25 (the years of its recorded costs);
- the winning bid's price is the service's recorded cost there (``costs.csv``, 2024 prices,
  rounded to the nearest £1,000); the other two bidders price within 10% below to 20% above it;
- each bid commits outcomes for each contract year (``year`` 0 is the first) in proportion to
  the people the service served there each year, at rates per person that differ by bidder, so
  that social value per £1 of price stays within a plausible band;
- the winner's delivery return for each financial year claims outcomes around its commitment,
  with a mix of evidence; two returns claim more victims kept safe than the service served
  (:data:`OVER_CLAIMS`), so that the report's check against the evaluation has something to find.

The proxies (``social_value_measures.csv``) are the user's input: the demo writes a copy of
evalkit's illustrative measures, each row with its source, licence and price year. The
adjustments are demo assumptions shipped in :mod:`evalkit.reference`. Every name is fictional.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evalkit._io import atomic_path, atomic_write_text
from evalkit.reference import path_of

if TYPE_CHECKING:
    from evalkit.demo.family_support import DemoData

__all__ = ["BIDDERS", "OVER_CLAIMS", "SHIPPED", "demo_bids_and_delivery", "write_demo_inputs"]

#: The shipped demo file of each copied social value input.
SHIPPED = {
    "measures": "social_value_measures.csv",
    "adjustments": "demo_social_value_adjustments.csv",
}
#: Fictional bidders.
BIDDERS = (
    "Harbour Lane Trust",
    "Oakfield Community Alliance",
    "Brightside Family Partnership CIC",
    "Riverside Families Co-operative",
    "Northgate Support Services Ltd",
)
#: Planted over-claims: locality -> (measure, period, claim as a multiple of the people served).
OVER_CLAIMS: dict[str, tuple[str, str, float]] = {
    "E06000027": ("domestic_abuse_victim_safe", "2024/25", 1.4),  # Torbay
    "E06000017": ("domestic_abuse_victim_safe", "2024/25", 2.0),  # Rutland: a suppressed count
}
_OVER_CLAIM_NOTE = "Claimed in the quarterly return: every family member contacted was counted"
#: Commitment per person served per year: measure -> (low, high) rate; Northgate stacks the
#: largest proxy (child maltreatment, which carries the most deadweight) over the others.
_RATES = {
    "wellby": (0.05, 0.15),
    "domestic_abuse_victim_safe": (0.02, 0.05),
    "rough_sleeping_prevented": (0.01, 0.03),
    "child_maltreatment_prevented": (0.003, 0.012),
}
_STACKED = {"child_maltreatment_prevented": (0.03, 0.045), "wellby": (0.02, 0.05)}
_NOTES = {
    "evidenced": (
        "Independent audit of outcome records",
        "Case records sampled and checked by the commissioner",
    ),
    "partly evidenced": (
        "Records for some families only",
        "Provider's own survey; sample < 30 & no baseline",
    ),
    "not evidenced": (
        "Awaiting evidence from the provider",
        "Claimed in the quarterly return; no records supplied",
    ),
}


def _quantity(measure: str, x: float) -> float:
    """WELLBYs to one decimal place; everything else counts whole people."""
    return round(x, 1) if measure == "wellby" else float(round(x))


def demo_bids_and_delivery(
    truth: dict[str, Any], costs: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's bids and delivery returns, from its planted truth and recorded costs.

    Deterministic: the random numbers come from their own stream of ``truth['seed']``.
    Returns ``(bids, delivery)`` as the social value report reads them.
    """
    rng = np.random.default_rng([int(truth["seed"]), 7])
    bids: list[dict[str, Any]] = []
    returns: list[dict[str, Any]] = []
    for code, info in truth["localities"].items():
        mine = costs[costs["locality_code"] == code]
        years = sorted(set(mine["financial_year"]))
        if not years:
            continue
        tender = f"Family Support {info['name']} {years[0][:4]}"
        recorded = float(mine["amount"].sum())
        per_year = info["n_participants"] / len(years)
        chosen = [str(b) for b in rng.choice(BIDDERS, 3, replace=False)]
        winner_lines: dict[tuple[int, str], float] = {}
        for rank, bidder in enumerate(chosen):
            price = recorded if rank == 0 else recorded * rng.uniform(0.9, 1.2)
            quality = int(rng.integers(72, 87)) if rank == 0 else int(rng.integers(55, 81))
            scale = rng.uniform(0.9, 1.1)
            rates = _RATES | (_STACKED if bidder.startswith("Northgate") else {})
            rate = {m: rng.uniform(*bounds) for m, bounds in rates.items()}
            for t in range(len(years)):
                for measure in _RATES:
                    q = _quantity(measure, per_year * scale * rate[measure])
                    bids.append(
                        {
                            "tender": tender,
                            "locality_code": code,
                            "bidder": bidder,
                            "price": round(price, -3),
                            "quality": quality,
                            "year": t,
                            "measure": measure,
                            "quantity": q,
                        }
                    )
                    if rank == 0:
                        winner_lines[(t, measure)] = q
        over = OVER_CLAIMS.get(code)
        for t, period in enumerate(years):
            for measure in _RATES:
                committed = winner_lines[(t, measure)]
                delivered = _quantity(measure, committed * rng.uniform(0.6, 1.15))
                status = str(rng.choice(list(_NOTES), p=[0.5, 0.3, 0.2]))
                note = str(rng.choice(_NOTES[status]))
                if over and (measure, period) == over[:2]:
                    delivered = float(round(info["n_participants"] * over[2]))
                    status, note = "partly evidenced", _OVER_CLAIM_NOTE
                returns.append(
                    {
                        "contract": f"{tender} contract",
                        "locality_code": code,
                        "provider": chosen[0],
                        "period": period,
                        "measure": measure,
                        "committed": committed,
                        "delivered": delivered,
                        "evidence": status,
                        "evidence_notes": note,
                    }
                )
    return pd.DataFrame(bids), pd.DataFrame(returns)


def write_demo_inputs(directory: str | Path, data: DemoData | None = None) -> dict[str, Path]:
    """Write the demo's social value inputs into ``directory`` (beside the demo spec).

    Files: ``social_value_bids.csv`` and ``social_value_delivery.csv`` (generated from ``data``,
    default the demo with its default seed), ``social_value_measures.csv`` (the proxies, with
    source and price year) and ``social_value_adjustments.csv``, each written atomically.
    Returns the path of each by kind.
    """
    from evalkit.reports.social_value import INPUT_FILES

    if data is None:
        from evalkit.demo.family_support import generate

        data = generate()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    bids, delivery = demo_bids_and_delivery(data.truth, data.costs)
    out = {}
    for kind, frame in (("bids", bids), ("delivery", delivery)):
        out[kind] = directory / INPUT_FILES[kind]
        atomic_write_text(out[kind], frame.to_csv(index=False))
    for kind, shipped in SHIPPED.items():
        target = directory / INPUT_FILES[kind]
        with path_of(shipped).open("rb") as src, atomic_path(target) as tmp, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        out[kind] = target
    return out
