"""Small-number disclosure control for every table evalkit publishes.

:func:`protect` takes a table of counts and returns a :class:`Protected` result: the publishable
table (small counts shown as the policy's symbol, other counts rounded), an audit of every changed
cell (kept for the analyst, never published), and a plain-English ``summary()``. Policies are data
in ``reference/disclosure_policies.yaml`` (NHS England, DfE, ONS 10-5, Ofqual); programme specs can
define their own as a mapping read by :func:`get_policy`.

Secondary suppression and its check by linear algebra are described in
:mod:`evalkit.disclosure.secondary`. The report notebooks call :func:`protect` on every table and
display ``Protected.to_html()``.
"""

from evalkit.disclosure.policies import (
    Policy,
    get_policy,
    is_disclosive,
    policy_names,
    protect_count,
)
from evalkit.disclosure.protect import Protected, protect

__all__ = [
    "Policy",
    "Protected",
    "get_policy",
    "is_disclosive",
    "policy_names",
    "protect",
    "protect_count",
]
