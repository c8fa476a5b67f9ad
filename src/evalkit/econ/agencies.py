"""Agency names: who pays and who benefits, matched to the shipped list (``agencies.yaml``)."""

from __future__ import annotations

from functools import cache

from evalkit.exceptions import ParameterError
from evalkit.reference import load_yaml

__all__ = ["agency_name", "agency_names"]


@cache
def _lookup() -> dict[str, str]:
    table = load_yaml("agencies.yaml")["agencies"]
    lookup: dict[str, str] = {}
    for canonical, aliases in table.items():
        for alias in [canonical, *aliases]:
            lookup[str(alias).strip().casefold()] = canonical
    return lookup


def agency_names() -> list[str]:
    """The canonical agency names (extend ``reference/agencies.yaml`` to add one)."""
    return list(dict.fromkeys(_lookup().values()))


def agency_name(name: str, *, field: str = "agency") -> str:
    """The canonical name of an agency, matched ignoring case and via aliases (``"NHS"``,
    ``"council"`` -> ``"Local authority"``).

    Raises
    ------
    ParameterError
        Naming ``field``, the value and the known agencies.
    """
    if not isinstance(name, str) or name.strip().casefold() not in _lookup():
        raise ParameterError(
            f"{field} {name!r} is not a known agency; expected one of "
            f"{', '.join(map(repr, agency_names()))} (aliases such as 'council' or 'DfE' also work)"
        )
    return _lookup()[name.strip().casefold()]
