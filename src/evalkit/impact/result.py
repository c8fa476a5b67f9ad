"""The one result type shared by every impact estimate in evalkit."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import stats

from evalkit._results import Result
from evalkit.exceptions import DataError, ParameterError
from evalkit.impact.evidence import EvidenceRating

__all__ = ["ImpactResult", "check_finite", "fmt", "normal_interval", "require_alpha"]


def fmt(value: float) -> str:
    """A number to three significant figures, with thousands separators and no e-notation."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:,.{digits}f}"


@dataclasses.dataclass(frozen=True)
class ImpactResult(Result):
    """An impact estimate against a counterfactual, with its uncertainty and evidence level.

    Attributes
    ----------
    estimate : float
        The effect: a difference in the outcome's units (``scale="difference"``) or a rate
        ratio (``scale="rate ratio"``).
    se : float
        Standard error; for a rate ratio, the SE of its logarithm.
    ci_low, ci_high : float
        Confidence interval at ``ci_level`` (on the scale of ``estimate``).
    p_value : float
        Two-sided p-value for no effect.
    n : int
        Observations used.
    method : str
        The estimator and the standard-error flavour, e.g. "two-group DiD by OLS,
        cluster-robust SE (CR1 ... over G clusters of person_id, t with G-1 df)". It holds no
        counts of people (reports publish it): those are fields such as ``n``.
    evidence : EvidenceRating
        The Maryland Scientific Methods Scale level of the design.
    outcome : str
        What was measured (a column name or a plain-English label).
    scale : str
        ``"difference"`` or ``"rate ratio"``.
    ci_level : float
        Coverage of the interval (0.95 by default).
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    method: str
    evidence: EvidenceRating
    outcome: str
    scale: str = "difference"
    ci_level: float = 0.95

    @classmethod
    def from_normal(
        cls,
        estimate: float,
        se: float,
        *,
        alpha: float,
        log_scale: bool = False,
        **fields: object,
    ) -> ImpactResult:
        """A result whose interval and p-value come from a normal reference (Wald).

        With ``log_scale`` the estimate and its SE are on the log scale (a Poisson coefficient):
        the interval is computed there and the estimate and limits are exponentiated into a
        rate ratio (the SE stays that of the logarithm).
        """
        low, high, p = normal_interval(estimate, se, alpha=alpha)
        if log_scale:
            estimate, low, high = math.exp(estimate), math.exp(low), math.exp(high)
        return cls(
            estimate=estimate,
            se=se,
            ci_low=low,
            ci_high=high,
            p_value=p,
            scale="rate ratio" if log_scale else "difference",
            ci_level=1 - alpha,
            **fields,
        )

    @property
    def evidence_level(self) -> int:
        """The Maryland Scientific Methods Scale level (1 to 5)."""
        return self.evidence.level

    @property
    def no_effect(self) -> float:
        """The value meaning "no effect" on this scale: 0 for differences, 1 for ratios."""
        return 1.0 if self.scale == "rate ratio" else 0.0

    @property
    def crosses_no_effect(self) -> bool:
        """Whether the confidence interval includes no effect."""
        return self.ci_low <= self.no_effect <= self.ci_high

    def minimum_detectable(self, power: float = 0.8) -> float:
        """The smallest true effect this design would detect with the given power.

        Bloom's (1995) minimum detectable effect for a two-sided test at the result's level:
        ``MDE = (z[1 - alpha/2] + z[power]) * SE`` with ``alpha = 1 - ci_level``; the multiplier
        is 2.80 for a 5% test with 80% power. On the difference scale it is in the outcome's
        units; for a rate ratio (SE on the log scale) it is returned as a ratio above 1,
        ``exp(MDE)``: an effect of that factor either way would be detected.

        Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical
        power of experimental designs. *Evaluation Review*, 19(5), 547-556.
        """
        if not 0 < power < 1:
            raise ParameterError(f"power must be between 0 and 1, got {power!r}")
        alpha = 1 - self.ci_level
        multiplier = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
        mde = multiplier * self.se
        return math.exp(mde) if self.scale == "rate ratio" else mde

    def to_dict(self) -> dict[str, object]:
        out = super().to_dict()
        out["evidence_level"] = self.evidence.level
        return out

    def effect_sentence(self) -> str:
        """The first sentence of :meth:`summary`: the effect and its interval."""
        pct = round(self.ci_level * 100)
        if self.scale == "rate ratio":
            change = (self.estimate - 1.0) * 100
            direction = "higher" if change >= 0 else "lower"
            return (
                f"The service is estimated to have changed the rate of {self.outcome} by a factor "
                f"of {fmt(self.estimate)} ({pct}% CI {fmt(self.ci_low)} to {fmt(self.ci_high)}), "
                f"that is {fmt(abs(change))}% {direction}."
            )
        verb = "raised" if self.estimate >= 0 else "lowered"
        return (
            f"The service is estimated to have {verb} {self.outcome} by "
            f"{fmt(abs(self.estimate))} ({pct}% CI {fmt(self.ci_low)} to {fmt(self.ci_high)})."
        )

    def summary(self) -> str:
        """Plain English: the effect, its interval, the evidence level and what it cannot say."""
        if not self.evidence.is_impact_estimate:
            head = (
                f"{self.outcome} changed by {fmt(self.estimate)} ({round(self.ci_level * 100)}% CI "
                f"{fmt(self.ci_low)} to {fmt(self.ci_high)}). This is not an impact estimate: "
                "with no comparison group it cannot separate the service's effect from change "
                "that would have happened anyway."
            )
        else:
            head = self.effect_sentence()
        parts = [head, self.evidence.summary()]
        if self.crosses_no_effect:
            parts.append(
                f"The interval includes no effect, so we cannot tell whether the service "
                f"raised or lowered {self.outcome}."
            )
        parts.append(f"Method: {self.method}; n = {self.n}.")
        return " ".join(parts)


def normal_interval(
    estimate: float, se: float, *, alpha: float = 0.05, df: float | None = None
) -> tuple[float, float, float]:
    """Confidence interval and two-sided p-value from a normal (or t with ``df``) reference.

    Returns ``(ci_low, ci_high, p_value)``.
    """
    dist = stats.norm if df is None else stats.t(df)
    crit = float(dist.ppf(1 - alpha / 2))
    z = estimate / se if se > 0 else math.copysign(math.inf, estimate)
    p = float(2 * dist.sf(abs(z)))
    return estimate - crit * se, estimate + crit * se, p


def check_finite(name: str, value: float, method: str) -> None:
    """Raise DataError naming ``name`` if an estimate or SE is not finite (never a silent NaN)."""
    if not np.isfinite(value):
        raise DataError(
            f"{name} could not be estimated ({method}): got {value!r}; the design has no "
            "usable variation"
        )


def require_alpha(alpha: float) -> float:
    """Return ``alpha`` if 0 < alpha < 1; ParameterError naming it otherwise."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ParameterError(f"alpha must lie in (0, 1), e.g. 0.05; got {alpha!r}")
    return float(alpha)
