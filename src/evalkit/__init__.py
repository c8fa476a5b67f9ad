"""evalkit: a research and evaluation workbench for commissioned public services.

The rooms of the package:

- :mod:`evalkit.intake` reads, validates and pseudonymises service records;
- :mod:`evalkit.outcomes` measures change for the people a service worked with;
- :mod:`evalkit.impact` estimates impact against a counterfactual and rates the evidence;
- :mod:`evalkit.econ` appraises value for money (Green Book discounting, cost-benefit, SROI);
- :mod:`evalkit.social_value` values, scores and tracks the social value of tenders and contracts;
- :mod:`evalkit.learning` keeps Human Learning Systems reflections safely;
- :mod:`evalkit.disclosure` applies small-number suppression before anything is published;
- :mod:`evalkit.reports` runs a parameterised notebook per locality and builds the index.

Only the pipeline rooms (:mod:`evalkit.config`, :mod:`evalkit.intake`, :mod:`evalkit.reports`)
read programme specs and input files; the domain packages take DataFrames and return results
(the learning log keeps its own SQLite store).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from evalkit.exceptions import EvalkitError

try:
    __version__ = version("evalkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["EvalkitError", "__version__"]
