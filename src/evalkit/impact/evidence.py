"""Strength of evidence on the Maryland Scientific Methods Scale (SMS).

Every impact estimate in evalkit carries an :class:`EvidenceRating`, so that a reader sees how far
the design can separate the service's effect from change that would have happened anyway.
"""

from __future__ import annotations

import dataclasses

from evalkit._results import Result
from evalkit._validate import require_choice
from evalkit.exceptions import ParameterError

__all__ = ["DESIGNS", "EvidenceRating", "evidence_rating"]

#: Designs evalkit can rate, with a plain-English name for each.
DESIGNS: dict[str, str] = {
    "before_after": "a before/after comparison of the people served",
    "cross_section": "a comparison of served and unserved people after the service",
    "matching": "a comparison with matched unserved people",
    "its": "an interrupted time series",
    "did": "a difference-in-differences comparison",
    "event_study": "an event study (difference-in-differences over several periods)",
    "staggered_did": "a staggered roll-out difference-in-differences (Callaway and Sant'Anna)",
    "regression_discontinuity": "a regression discontinuity",
    "instrumental_variable": "an instrumental-variable design",
    "rct": "a randomised controlled trial",
}

_QUASI_RANDOM = {"regression_discontinuity", "instrumental_variable"}
_BEFORE_AFTER_DESIGNS = {"did", "event_study", "staggered_did"}

_LEVEL_MEANING = {
    1: "a before/after or cross-section comparison with no control for other influences",
    2: (
        "a comparison that adjusts for other influences (controls, matching or a modelled "
        "pre-period trend) but has no comparison group observed before and after"
    ),
    3: "a comparison group observed before and after, as in difference-in-differences",
    4: "quasi-random variation in who received the service",
    5: "random assignment to the service",
}


@dataclasses.dataclass(frozen=True)
class EvidenceRating(Result):
    """A Maryland Scientific Methods Scale level with its reasons.

    Attributes
    ----------
    level : int
        1 (weakest) to 5 (randomised).
    design : str
        The design rated (a key of :data:`DESIGNS`).
    meaning : str
        What the level stands for on the scale.
    reasons : tuple of str
        Why the design earns this level.
    to_raise : tuple of str
        What would raise it one level or more (empty at level 5).
    """

    level: int
    design: str
    meaning: str
    reasons: tuple[str, ...]
    to_raise: tuple[str, ...]

    @property
    def is_impact_estimate(self) -> bool:
        """False for level 1: a before/after with no comparison is not an impact estimate."""
        return self.level >= 2

    def to_dict(self) -> dict[str, object]:
        out = super().to_dict()
        out["reasons"] = "; ".join(self.reasons)
        out["to_raise"] = "; ".join(self.to_raise)
        return out

    def summary(self) -> str:
        text = (
            f"This is a level-{self.level} design on the Maryland Scientific Methods Scale "
            f"({self.meaning}): {'; '.join(self.reasons)}."
        )
        if self.to_raise:
            text += f" To raise it: {'; '.join(self.to_raise)}."
        return text


def evidence_rating(
    design: str,
    *,
    comparison_group: bool = False,
    pre_periods: int = 0,
    randomised: bool = False,
    controls: bool = False,
    parallel_trends_checked: bool = False,
) -> EvidenceRating:
    """Rate a design on the Maryland Scientific Methods Scale (levels 1 to 5).

    Parameters
    ----------
    design : str
        One of :data:`DESIGNS`: ``"before_after"``, ``"cross_section"``, ``"matching"``,
        ``"its"``, ``"did"``, ``"event_study"``, ``"staggered_did"``,
        ``"regression_discontinuity"``, ``"instrumental_variable"`` or ``"rct"``.
    comparison_group : bool
        Whether people or places that did not receive the service are compared.
    pre_periods : int
        Number of periods observed before the service started (0 if none).
    randomised : bool
        Whether receipt of the service was randomly assigned.
    controls : bool
        Whether the comparison adjusts for other influences (covariates, matching, a modelled
        pre-period trend).
    parallel_trends_checked : bool
        For difference-in-differences designs: whether pre-period trends were tested.

    Returns
    -------
    EvidenceRating

    Notes
    -----
    The levels follow Sherman et al. (1997) as used by the What Works Centre for Local Economic
    Growth (Madaleno and Waights 2015): 1 before/after or cross-section with no controls; 2 with
    controls or matching; 3 comparison group before and after (difference-in-differences);
    4 quasi-random variation (instrument, discontinuity); 5 randomised. A single interrupted
    time series is level 2 (its own pre-period trend is the control); with a comparison series
    it is level 3.

    References
    ----------
    Sherman, L. W. et al. (1997). *Preventing Crime: What Works, What Doesn't, What's
    Promising*. US Department of Justice.
    Madaleno, M. and Waights, S. (2015). *Guide to scoring methods using the Maryland Scientific
    Methods Scale*. What Works Centre for Local Economic Growth.

    Examples
    --------
    >>> evidence_rating("before_after").level
    1
    >>> evidence_rating("did", comparison_group=True, pre_periods=1).level
    3
    """
    require_choice("design", design, DESIGNS)
    if isinstance(pre_periods, bool) or not isinstance(pre_periods, int) or pre_periods < 0:
        raise ParameterError(f"pre_periods must be a whole number >= 0; got {pre_periods!r}")
    what = DESIGNS[design]
    reasons: list[str] = [f"the design is {what}"]
    to_raise: list[str] = []
    if randomised or design == "rct":
        level = 5
        reasons.append("who received the service was decided at random")
    elif design in _QUASI_RANDOM:
        level = 4
        reasons.append("receipt of the service varies for reasons as good as random")
        to_raise.append("randomise who receives the service")
    elif comparison_group and pre_periods >= 1 and design in _BEFORE_AFTER_DESIGNS | {"its"}:
        level = 3
        reasons.append(
            "a comparison group is observed before and after, so change that would have "
            "happened anyway is netted off"
        )
        if design != "its" and not parallel_trends_checked:
            reasons.append("pre-period trends were not tested")
        to_raise.append(
            "find quasi-random variation in who was served (an eligibility threshold, "
            "a waiting list or a lottery), or randomise"
        )
    elif design in _BEFORE_AFTER_DESIGNS:
        raise ParameterError(
            f"design {design!r} needs comparison_group=True and pre_periods >= 1; got "
            f"comparison_group={comparison_group!r}, pre_periods={pre_periods!r}"
        )
    elif design == "its" and pre_periods >= 3:
        level = 2
        reasons.append(
            f"the trend over {pre_periods} pre-period points stands in for what would have "
            "happened, but there is no comparison series"
        )
        to_raise.append("add a comparison series that did not receive the service")
    elif design == "matching" or (comparison_group and controls):
        level = 2
        reasons.append(
            "served people are compared with similar unserved people, but only on what was measured"
        )
        to_raise.append("observe the comparison group before and after the service as well")
    else:
        level = 1
        if not comparison_group:
            reasons.append("there is no comparison group, so this is not an impact estimate")
        else:
            reasons.append("the comparison does not control for other differences")
        to_raise.append(
            "add a comparison group observed before and after (difference-in-differences)"
        )
    return EvidenceRating(
        level=level,
        design=design,
        meaning=_LEVEL_MEANING[level],
        reasons=tuple(reasons),
        to_raise=tuple(to_raise),
    )
