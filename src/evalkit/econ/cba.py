"""The local cost-benefit model (HM Treasury and New Economy 2014, as used by GMCA).

Method, per outcome and cohort::

    cohort size -> x engagement rate -> x success rate -> x (1 - deadweight)   = net successes
    net successes x (1 - optimism bias) x value per success per year
    benefits start ``lag_years`` after the cohort's year, last ``duration_years``, and each later
    year keeps (1 - drop_off) of the year before; costs are uplifted by (1 + optimism bias);
    all flows are discounted with a Green Book schedule (year 0 undiscounted).

One vectorised core (:meth:`CostBenefitModel.evaluate`) computes every output over an array of
parameter draws; :meth:`CostBenefitModel.appraise` calls it with one draw and the sensitivity
functions with many.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd
import yaml

from evalkit._results import Result
from evalkit.econ.cba_spec import CostBenefitSpec, parse_spec
from evalkit.econ.discounting import describe_schedule, discount_factors, discount_schedule
from evalkit.econ.prices import parse_price_year
from evalkit.exceptions import ConfigError, EvidenceWarning, ParameterError

__all__ = ["METRICS", "CostBenefitModel", "CostBenefitResult"]

#: The per-draw outputs of the core, in the order of the Monte Carlo samples frame.
METRICS = (
    "pv_costs",
    "pv_fiscal",
    "pv_fiscal_cashable",
    "pv_economic",
    "pv_social",
    "net_present_budget_impact",
    "financial_roi",
    "net_present_public_value",
    "public_value_roi",
    "payback_years",
)
_SHARES = ("success_rate", "deadweight", "optimism_bias", "drop_off")
NOT_STATED = "investor not stated (add agency: to the cost)"


def _money(x: float) -> str:
    return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"


def _payback(cum: np.ndarray) -> np.ndarray:
    """First point where cumulative discounted net fiscal flow reaches 0, interpolated linearly
    between year points; NaN if never (rows are draws, columns years)."""
    reached = cum >= 0
    ever = reached.any(axis=1)
    first = reached.argmax(axis=1)
    rows = np.arange(cum.shape[0])
    before = cum[rows, np.maximum(first - 1, 0)]
    at = cum[rows, first]
    with np.errstate(divide="ignore", invalid="ignore"):
        within = np.where(first > 0, -before / (at - before), 0.0)
    return np.where(ever, np.where(first > 0, first - 1 + within, 0.0), np.nan)


class CostBenefitModel:
    r"""A cohort cost-benefit model built from a validated spec.

    Build with :meth:`from_dict` (the ``cost_benefit:`` section of a programme spec) or
    :meth:`from_yaml`, then call :meth:`appraise`. Sensitivity parameters are keyed
    ``"engagement_rate"``, ``"<outcome>.success_rate"``, ``"<outcome>.deadweight"``,
    ``"<outcome>.optimism_bias"``, ``"<outcome>.drop_off"``, ``"<cost>.amount"`` and
    ``"<cost>.optimism_bias"`` (see :meth:`parameters`).

    Notes
    -----
    For outcome :math:`o`, cohorts of size :math:`N_c` entering in year :math:`y_c`, engagement
    :math:`e`, success :math:`s_o`, deadweight :math:`d_o`, optimism bias :math:`b_o`, lag
    :math:`L_o`, duration :math:`M_o` and drop-off :math:`f_o`, the successes counted in year
    :math:`t` are

    .. math:: S_{o,t} = e\,s_o (1 - d_o)(1 - b_o) \sum_c N_c\,(1 - f_o)^{k - L_o}
              \mathbf{1}[L_o \le k < L_o + M_o], \quad k = t - y_c

    and benefits are :math:`S_{o,t}` times the value per success per year (fiscal by agency,
    economic, social). Costs are :math:`C_t (1 + b_C)`. With Green Book factors :math:`D_t`,
    financial ROI = :math:`\sum_t D_t F_t / \sum_t D_t C_t` and payback is the first point where
    :math:`\sum_{u \le t} D_u (F_u - C_u) \ge 0`, interpolated linearly between year points.

    References
    ----------
    HM Treasury, Public Service Transformation Network and New Economy (2014), *Supporting public
    service transformation: cost benefit analysis guidance for local partnerships*.

    Examples
    --------
    >>> model = CostBenefitModel.from_dict(spec)            # doctest: +SKIP
    >>> print(model.appraise().summary())                   # doctest: +SKIP
    """

    def __init__(self, spec: CostBenefitSpec):
        self.spec = spec
        self.schedule = discount_schedule(spec.discount)
        self.years = np.arange(spec.horizon_years)
        self.factors = discount_factors(self.years, spec.discount)
        self.cohort_sizes = np.zeros(spec.horizon_years)
        for cohort in spec.cohorts:
            self.cohort_sizes[cohort.year] += cohort.size
        self._base = self._base_parameters()

    # construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(
        cls, spec: Mapping[str, Any], *, source: str = "cost_benefit spec"
    ) -> CostBenefitModel:
        """Validate ``spec`` (ConfigError naming each bad field path) and build the model."""
        return cls(parse_spec(dict(spec) if isinstance(spec, Mapping) else spec, source=source))

    @classmethod
    def from_yaml(
        cls, path: str | PathLike[str], *, section: str | None = None
    ) -> CostBenefitModel:
        """Read a YAML file (optionally one ``section`` of it, e.g. ``"cost_benefit"``)."""
        try:
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except OSError as exc:
            raise ConfigError(
                f"cannot read cost-benefit spec {str(path)!r}: {exc.strerror}"
            ) from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{str(path)!r} is not valid YAML: {exc}") from None
        if section is not None:
            if not isinstance(data, dict) or section not in data:
                raise ConfigError(f"{str(path)!r} has no section {section!r}")
            data = data[section]
        return cls.from_dict(data, source=str(path) + (f" [{section}]" if section else ""))

    def _base_parameters(self) -> dict[str, float]:
        s = self.spec
        params = {"engagement_rate": s.engagement_rate}
        for o in s.outcomes:
            params.update(
                {
                    f"{o.name}.success_rate": o.success_rate,
                    f"{o.name}.deadweight": o.deadweight,
                    f"{o.name}.optimism_bias": o.bias,
                    f"{o.name}.drop_off": o.drop_off,
                }
            )
        for c in s.costs:
            params.update({f"{c.name}.amount": c.amount, f"{c.name}.optimism_bias": c.bias})
        return params

    def parameters(self) -> dict[str, float]:
        """The base value of every parameter that sensitivity analysis can vary."""
        return dict(self._base)

    def parameter_bounds(self, key: str) -> tuple[float, float]:
        """The admissible range of a parameter: [0, 1] for shares, [0, inf) for amounts."""
        self.check_parameters([key])
        return (0.0, np.inf) if key.endswith(".amount") else (0.0, 1.0)

    def check_parameters(self, keys) -> None:
        """Raise ParameterError naming the first key that is not a model parameter."""
        unknown = [k for k in keys if k not in self._base]
        if unknown:
            raise ParameterError(
                f"unknown model parameter {unknown[0]!r}; expected one of "
                f"{', '.join(map(repr, self._base))}"
            )

    def with_params(
        self, values: Mapping[str, float] | None = None, **kw: float
    ) -> CostBenefitModel:
        """A new model with some parameters replaced (validated again)."""
        values = {**(values or {}), **kw}
        self.check_parameters(values)
        data = self.spec.model_dump(exclude_none=True)
        for key, value in values.items():
            if key == "engagement_rate":
                data[key] = value
                continue
            name, field = key.rsplit(".", 1)
            item = next(i for i in [*data["costs"], *data["outcomes"]] if i["name"] == name)
            if field == "optimism_bias":
                item.pop("confidence_grade", None)
            item[field] = value
        return type(self).from_dict(data)

    # the core -----------------------------------------------------------------------------
    def _draws(self, overrides: Mapping[str, Any]) -> tuple[int, dict[str, np.ndarray]]:
        self.check_parameters(overrides)
        values = {
            key: np.asarray(overrides.get(key, base), dtype=float).reshape(-1)
            for key, base in self._base.items()
        }
        n = max(v.size for v in values.values())
        arrays: dict[str, np.ndarray] = {}
        for key, value in values.items():
            if value.size not in (1, n):
                raise ParameterError(
                    f"parameter {key!r} has {value.size} draws; expected 1 or {n} like the others"
                )
            low, high = self.parameter_bounds(key)
            bad = ~((value >= low) & (value <= high))
            if bad.any():
                kind = "a non-negative amount" if high == np.inf else "a share between 0 and 1"
                raise ParameterError(
                    f"parameter {key!r} has {int(bad.sum())} value(s) outside [{low}, {high}], "
                    f"e.g. {value[bad][0]!r}; expected {kind} (truncate its distribution)"
                )
            arrays[key] = value[:, None]
        return n, arrays

    def evaluate(self, overrides: Mapping[str, Any] | None = None, *, detail: bool = False):
        """Run the model over arrays of parameter values (one element per draw).

        Parameters
        ----------
        overrides
            Parameter key -> a value or a 1-d array of draws; other parameters keep their base
            value.
        detail
            Also return the flows by year, outcome and agency (used by :meth:`appraise`).

        Returns
        -------
        dict
            Each of :data:`METRICS` as an array over draws, and with ``detail`` the flows.
        """
        s = self.spec
        n, p = self._draws(overrides or {})
        if detail and n > 1:
            raise ParameterError(f"detail=True needs a single draw; got {n} draws")
        T = s.horizon_years
        df = self.factors
        costs = np.zeros((n, T))
        cost_items = []
        for c in s.costs:
            uplifted = (p[f"{c.name}.amount"] * (1.0 + p[f"{c.name}.optimism_bias"]))[:, 0]
            costs[:, c.year] += uplifted
            cost_items.append((c, float(uplifted[0] * df[c.year])))
        # fiscal flows are kept by year (payback needs them); other values only as PVs
        fiscal = np.zeros((n, T))
        pv_other = {k: np.zeros(n) for k in ("cashable", "economic", "social")}
        yearly_other = {k: np.zeros(T) for k in pv_other}
        cohort_years = np.flatnonzero(self.cohort_sizes)
        detail_rows = []
        for o in s.outcomes:
            keep = 1.0 - p[f"{o.name}.drop_off"]
            kernel = np.zeros((keep.shape[0], T))
            kernel[:, o.lag_years : o.lag_years + o.duration_years] = keep ** np.arange(
                o.duration_years
            )
            exposure = np.zeros((keep.shape[0], T))  # cohort members x persistence, by year
            for y in cohort_years:
                exposure[:, y:] += self.cohort_sizes[y] * kernel[:, : T - y]
            net_share = (
                p["engagement_rate"]
                * p[f"{o.name}.success_rate"]
                * (1.0 - p[f"{o.name}.deadweight"])
            )
            successes = net_share * (1.0 - p[f"{o.name}.optimism_bias"]) * exposure
            pv_successes = successes @ df
            fiscal += successes * sum(v.amount for v in o.values.fiscal)
            per_success = {
                "cashable": sum(v.amount for v in o.values.fiscal if v.cashable),
                "economic": o.values.economic,
                "social": o.values.social,
            }
            for key, value in per_success.items():
                pv_other[key] += pv_successes * value
                if detail:
                    yearly_other[key] += successes[0] * value
            if detail:
                detail_rows.append((o, net_share[0, 0] * self.cohort_sizes.sum(), successes[0]))
        pv = {
            "pv_costs": costs @ df,
            "pv_fiscal": fiscal @ df,
            "pv_fiscal_cashable": pv_other["cashable"],
            "pv_economic": pv_other["economic"],
            "pv_social": pv_other["social"],
        }
        pv_total = pv["pv_fiscal"] + pv["pv_economic"] + pv["pv_social"]
        out = dict(pv)
        out["net_present_budget_impact"] = pv["pv_fiscal"] - pv["pv_costs"]
        out["net_present_public_value"] = pv_total - pv["pv_costs"]
        if np.any(pv["pv_costs"] <= 0):
            raise ParameterError(
                "present value of costs is 0 in at least one draw; expected costs above 0 for a "
                "return on investment (check the cost amounts)"
            )
        out["financial_roi"] = pv["pv_fiscal"] / pv["pv_costs"]
        out["public_value_roi"] = pv_total / pv["pv_costs"]
        out["payback_years"] = _payback(np.cumsum((fiscal - costs) * df, axis=1))
        if detail:
            out["flows"] = {"costs": costs[0], "fiscal": fiscal[0], **yearly_other}
            out["outcomes"] = detail_rows
            out["costs"] = cost_items
        return out

    # the appraisal ------------------------------------------------------------------------
    def appraise(self) -> CostBenefitResult:
        """Appraise the model at its base parameters.

        Warns
        -----
        EvidenceWarning
            When every deadweight is 0: the benefits are then gross, not net.
        """
        s = self.spec
        out = self.evaluate(detail=True)
        df = self.factors
        flows = out["flows"]
        by_year = pd.DataFrame({"year": self.years, "discount_factor": df, **flows})
        by_year["non_cashable"] = by_year["fiscal"] - by_year["cashable"]
        for col in ("costs", "fiscal", "economic", "social"):
            by_year[f"pv_{col}"] = by_year[col] * df
        by_year["cumulative_net_fiscal_pv"] = (by_year["pv_fiscal"] - by_year["pv_costs"]).cumsum()

        agency_rows: dict[str, dict[str, float]] = {}

        def row(agency: str) -> dict[str, float]:
            return agency_rows.setdefault(
                agency, {"pv_invests": 0.0, "pv_benefits": 0.0, "pv_cashable": 0.0}
            )

        for c, pv_cost in out["costs"]:
            row(c.agency or NOT_STATED)["pv_invests"] += pv_cost
        outcome_rows = []
        agency_years: dict[str, np.ndarray] = {}
        for o, net_successes, successes in out["outcomes"]:
            pv_successes = float(successes @ df)
            for v in o.values.fiscal:
                agency_years[v.agency] = agency_years.get(v.agency, 0.0) + successes * v.amount
                r = row(v.agency)
                r["pv_benefits"] += pv_successes * v.amount
                r["pv_cashable"] += pv_successes * v.amount if v.cashable else 0.0
            outcome_rows.append(
                {
                    "outcome": o.name,
                    "net_successes": net_successes,
                    "optimism_bias": o.bias,
                    "pv_fiscal": pv_successes * sum(v.amount for v in o.values.fiscal),
                    "pv_economic": pv_successes * o.values.economic,
                    "pv_social": pv_successes * o.values.social,
                }
            )
        by_agency = pd.DataFrame([{"agency": a, **r} for a, r in agency_rows.items()])
        by_agency["pv_non_cashable"] = by_agency["pv_benefits"] - by_agency["pv_cashable"]
        by_agency["pv_net"] = by_agency["pv_benefits"] - by_agency["pv_invests"]
        by_outcome = pd.DataFrame(outcome_rows)
        by_agency_year = pd.DataFrame(
            [
                {"year": t, "agency": a, "fiscal": flow[t], "pv_fiscal": flow[t] * df[t]}
                for a, flow in agency_years.items()
                for t in self.years
            ],
            columns=["year", "agency", "fiscal", "pv_fiscal"],
        )

        # An outcome measured against a comparison is net of what would have happened anyway
        # without any deadweight: the comparison group is the counterfactual.
        gross = all(o.deadweight == 0 and o.measured_by is None for o in s.outcomes)
        if gross:
            warnings.warn(
                "every outcome has deadweight 0: the benefits are GROSS (they include what would "
                "have happened anyway), not the programme's impact",
                EvidenceWarning,
                stacklevel=2,
            )
        graded = any(i.confidence_grade is not None for i in [*s.costs, *s.outcomes])
        scalar = {k: float(out[k][0]) for k in METRICS if k != "payback_years"}
        payback = out["payback_years"][0]
        return CostBenefitResult(
            **scalar,
            pv_fiscal_non_cashable=scalar["pv_fiscal"] - scalar["pv_fiscal_cashable"],
            payback_years=None if np.isnan(payback) else float(payback),
            net_successes=float(by_outcome["net_successes"].sum()),
            price_year=str(parse_price_year(s.price_year)),
            discount=self.schedule.name,
            discounting=describe_schedule(s.discount, last_year=s.horizon_years - 1),
            horizon_years=s.horizon_years,
            basis="gross"
            if gross
            else "net of a measured counterfactual"
            if all(o.measured_by is not None for o in s.outcomes)
            else "net of deadweight",
            method=(
                "HMT / New Economy (2014) local cost-benefit model: cohort x engagement x "
                "success x (1 - deadweight) x (1 - optimism bias) x value, with lag, duration "
                "and drop-off; "
                f"{self.schedule.label}"
            ),
            optimism_bias_verified=not graded,
            by_agency=by_agency,
            by_year=by_year,
            by_outcome=by_outcome,
            by_agency_year=by_agency_year,
        )


@dataclass(frozen=True)
class CostBenefitResult(Result):
    """The outputs of :meth:`CostBenefitModel.appraise` (money in ``price_year`` prices, present
    values discounted as ``discounting`` says).

    ``net_successes`` adds the net successes of every outcome (a person may count in several);
    ``by_outcome`` has them one by one.
    """

    pv_costs: float
    pv_fiscal: float
    pv_fiscal_cashable: float
    pv_economic: float
    pv_social: float
    net_present_budget_impact: float
    financial_roi: float
    net_present_public_value: float
    public_value_roi: float
    pv_fiscal_non_cashable: float
    payback_years: float | None
    net_successes: float
    price_year: str
    discount: str
    discounting: str
    horizon_years: int
    basis: str
    method: str
    optimism_bias_verified: bool
    by_agency: pd.DataFrame
    by_year: pd.DataFrame
    by_outcome: pd.DataFrame
    by_agency_year: pd.DataFrame

    def summary(self) -> str:
        """The appraisal in plain English: who invests, who benefits, returns and payback."""
        invests = self.by_agency[self.by_agency["pv_invests"] > 0]
        benefits = self.by_agency[self.by_agency["pv_benefits"] != 0].sort_values(
            "pv_benefits", ascending=False
        )
        who_invests = "; ".join(f"{r.agency} {_money(r.pv_invests)}" for r in invests.itertuples())
        who_benefits = (
            "; ".join(
                f"{r.agency} {_money(r.pv_benefits)} (cashable {_money(r.pv_cashable)})"
                for r in benefits.itertuples()
            )
            or "no agency (no fiscal values given)"
        )
        basis = (
            "GROSS: no deadweight was given, so these benefits include what would have happened "
            "anyway and are not the programme's impact."
            if self.basis == "gross"
            else "NET of deadweight: benefits count only the successes that would not have "
            "happened anyway, as estimated by the deadweight shares given."
        )
        payback = (
            f"The public budgets get their money back after {self.payback_years:.1f} years "
            "(counting discounted fiscal benefits against costs, year 0 = the first year)."
            if self.payback_years is not None
            else "The fiscal benefits do not pay back the costs within the "
            f"{self.horizon_years}-year horizon."
        )
        bias = (
            "Optimism bias was set from confidence grades whose percentages are unverified "
            "(HMT and New Economy 2014); check them before publishing."
            if not self.optimism_bias_verified
            else "Optimism bias shares were given directly in the spec."
        )
        return "\n".join(
            [
                f"Cost-benefit appraisal over {self.horizon_years} years (years 0-"
                f"{self.horizon_years - 1}), money in {self.price_year} prices. {self.discounting}",
                f"Basis: {basis}",
                f"Who invests (present value of costs, after the optimism-bias uplift): "
                f"{who_invests or 'not stated'}; total {_money(self.pv_costs)}.",
                f"Who benefits (present value of fiscal savings, after the optimism-bias "
                f"reduction): {who_benefits}; total {_money(self.pv_fiscal)}, of which "
                f"{_money(self.pv_fiscal_cashable)} cashable and "
                f"{_money(self.pv_fiscal_non_cashable)} non-cashable.",
                f"Financial return: each £1 spent returns £{self.financial_roi:.2f} to public "
                f"budgets; net present budget impact {_money(self.net_present_budget_impact)}.",
                f"Public value return (fiscal + economic {_money(self.pv_economic)} + social "
                f"{_money(self.pv_social)}): £{self.public_value_roi:.2f} per £1; net present "
                f"public value {_money(self.net_present_public_value)}.",
                payback,
                f"Net successes across outcomes: {self.net_successes:,.1f}.",
                bias,
                "This is one central estimate; use monte_carlo() and one_way() for its "
                "uncertainty.",
            ]
        )
