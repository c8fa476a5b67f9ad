"""Programme specs: one YAML file per commissioned programme, its evaluation plan.

A spec names the programme and its localities, where its data are and what their columns mean
(:mod:`evalkit.config.sources`), the outcomes, designs, characteristics and reporting period of
the plan (:mod:`evalkit.config.plan`), the report notebooks, the disclosure policy and the
cost-benefit inputs. :func:`load_spec` reads and validates one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from evalkit.config.plan import (
    DESIGN_LEVELS,
    CharacteristicSpec,
    DesignsSpec,
    EligibleSpec,
    MatchingSpec,
    OutcomeSpec,
    PeriodSpec,
)
from evalkit.config.sources import DATE_FORMATS, ROLES, SourceSpec
from evalkit.config.spec import (
    DisclosureSpec,
    ProgrammeSpec,
    ReportSpec,
    SensitivitySpec,
)
from evalkit.exceptions import ConfigError

__all__ = [
    "DATE_FORMATS",
    "DESIGN_LEVELS",
    "ROLES",
    "CharacteristicSpec",
    "DesignsSpec",
    "DisclosureSpec",
    "EligibleSpec",
    "MatchingSpec",
    "OutcomeSpec",
    "PeriodSpec",
    "ProgrammeSpec",
    "ReportSpec",
    "SensitivitySpec",
    "SourceSpec",
    "find_root",
    "load_spec",
    "locate",
    "project_folder",
]

#: The largest spec evalkit reads. A spec is a page or two of YAML (the Family Support demo's is
#: 7 kB); PyYAML reads a few tens of kB a second, so a bigger file is refused unread.
MAX_SPEC_BYTES = 256_000
#: The most values (mappings, lists and scalars) a spec may hold once its aliases are expanded:
#: the demo's holds 448; a "billion laughs" alias bomb holds billions.
MAX_SPEC_NODES = 100_000
#: The deepest nesting of mappings and lists in a spec (a real spec nests five or six deep).
MAX_SPEC_DEPTH = 40
#: The longest message a spec error gives: a bad value is quoted as a short excerpt.
MAX_MESSAGE = 600


def _holding_notebooks(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``notebooks/``, if any."""
    for folder in (start, *start.parents):
        if (folder / "notebooks").is_dir():
            return folder
    return None


def find_root(spec_path: Path) -> Path:
    """The nearest folder at or above the spec that holds ``notebooks/``, else the spec's folder."""
    start = spec_path.resolve().parent
    return _holding_notebooks(start) or start


def project_folder(start: str | Path | None = None) -> Path:
    """The project folder: the nearest folder at or above ``start`` (by default the working
    folder) that holds ``notebooks/``; else ``start`` itself.

    JupyterLab, ``jupyter nbconvert``, Voilà and Quarto start a notebook's kernel in the
    notebook's own folder (``notebooks/``), ``evalkit run`` in the project folder: from either,
    this is the same folder.
    """
    here = Path(start if start is not None else Path.cwd()).resolve()
    return _holding_notebooks(here) or here


def locate(path: str | Path) -> Path:
    """The absolute path of ``path``, a path written relative to the project folder.

    Paths in a notebook's parameters, and the key file, are written relative to the project
    folder (the one holding ``notebooks/``, see :func:`project_folder`), whatever folder the
    kernel starts in. An absolute path is returned as it is; a relative one under the project
    folder if it exists there, else under the working folder if it exists there, else under the
    project folder (so that an error names the place it was looked for).
    """
    given = Path(path).expanduser()
    if given.is_absolute():
        return given
    in_project = project_folder() / given
    if in_project.exists():
        return in_project
    here = Path.cwd() / given
    return here if here.exists() else in_project


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _model_for(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that holds the field at ``loc`` (for 'did you mean' on a misspelt name)."""
    model: Any = ProgrammeSpec
    parts = list(loc[:-1])
    while parts:
        part = parts.pop(0)
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        field = fields.get(part) if fields else None
        if field is None:
            return None
        annotation = field.annotation
        found = None
        stack = [annotation]
        while stack and found is None:
            candidate = stack.pop(0)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                found = candidate
            stack.extend(getattr(candidate, "__args__", ()))
        if found is None:
            return None
        # dict[str, Model]: the next part is the key, not a field
        if getattr(annotation, "__origin__", None) is dict and parts:
            parts.pop(0)
        model = found
    return model


def _shown(value: Any) -> str:
    if isinstance(value, dict | list | tuple | set):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    text = repr(value) if not isinstance(value, str) else repr(value[:80])
    return text if len(text) <= 80 else text[:77] + "..."


def _one_line(message: str) -> str:
    """A message on one line and at most :data:`MAX_MESSAGE` characters."""
    message = " ".join(message.split())
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def _format_error(path: Path, error: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        model = _model_for(loc)
        options = [o for o in (model.model_fields if model else []) if o != "source"]
        return (
            f"{path}: unknown field {field!r}{_suggest(str(loc[-1]), options)}; "
            f"expected one of: {', '.join(options)}"
        )
    if error["type"] == "missing":
        return f"{path}: required field {field!r} is missing"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        model = _model_for((*loc, "_"))
        fields = [f for f in (model.model_fields if model else []) if f != "source"]
        return (
            f"{path}: field {field!r} has value {_shown(value)}; expected a mapping of fields"
            + (f" ({', '.join(fields)})" if fields else "")
        )
    if error["type"].startswith(("date", "datetime")) and isinstance(value, str):
        return f"{path}: field {field!r} has value {_shown(value)}: {_date_advice(value)}"
    if isinstance(value, dict | list) or error["type"].startswith("model"):
        where = f"field {field!r}: " if field else ""
        return f"{path}: {where}{message}"
    return f"{path}: field {field!r} has value {_shown(value)}: {message}"


def _date_advice(value: str) -> str:
    """What a date in a spec should look like, with the value rewritten when it can only be
    read one way (31/03/2025 is 2025-03-31); an ambiguous one (03/04/2025) is never guessed."""
    expected = "expected a date written YYYY-MM-DD"
    found = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*", value)
    if not found:
        return expected
    first, second, year = (int(g) for g in found.groups())
    if first > 12 and 1 <= second <= 12:
        day, month = first, second
    elif second > 12 and 1 <= first <= 12:
        day, month = second, first
    else:
        return f"{expected} (it could be read as day/month or month/day, so evalkit does not guess)"
    try:
        return f"{expected}: write {dt.date(year, month, day).isoformat()}"
    except ValueError:
        return expected


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (the last would win)."""


def _no_duplicates(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
# YAML 1.1 reads Yes, No, On and Off as true and false; in a spec they are the labels of an
# export (recodes: {Yes: 1, No: 0}), so only true and false are booleans, as in YAML 1.2.
_BOOL = "tag:yaml.org,2002:bool"
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeyLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _expanded_size(root: yaml.Node) -> tuple[int, int]:
    """How many nodes ``root`` holds with every alias expanded, and how deep it nests.

    Counted over the composed node graph, where an alias is a second reference to the same
    node, so nothing is expanded to count it: each node's size is computed once. Raises
    ValueError for a node that holds itself (a recursive alias).
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        if done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise ValueError("an alias refers to a value that holds it (a recursive alias)")
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise ValueError("an alias refers to a value that holds it (a recursive alias)")
            if id(child) not in size:
                stack.append((child, False))
    return size[id(root)], depth[id(root)]


_QUOTED_OR_COMMENT = re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"|(?:^|\s)#[^\n]*")


def _flow_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest in ``text``, outside quotes and comments (an upper bound).

    Checked before parsing: PyYAML parses nesting by recursion, slowly, and a spec of a few
    kilobytes of ``[[[[`` would otherwise take seconds to refuse.
    """
    depth = deepest = 0
    for m in re.finditer(r"[\[\]{}]", _QUOTED_OR_COMMENT.sub("", text)):
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    return deepest


def _parse_yaml(path: Path, text: str) -> Any:
    """The spec's YAML as Python values, refused if its aliases expand beyond the limits."""
    if _flow_depth(text) > MAX_SPEC_DEPTH:
        raise ConfigError(
            f"{path}: the spec nests too deeply; expected at most {MAX_SPEC_DEPTH} levels"
        )
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            nodes, depth = _expanded_size(node)
        except ValueError as exc:
            raise ConfigError(f"{path}: not a programme spec: {exc}") from None
        if nodes > MAX_SPEC_NODES or depth > MAX_SPEC_DEPTH:
            what = (
                f"{nodes:,} values once its aliases (*name) are expanded; expected at most "
                f"{MAX_SPEC_NODES:,}"
                if nodes > MAX_SPEC_NODES
                else f"values nested {depth} deep; expected at most {MAX_SPEC_DEPTH}"
            )
            raise ConfigError(f"{path}: the spec holds {what}")
        return loader.construct_document(node)
    finally:
        loader.dispose()


#: The value ``evalkit init`` writes where only the user can decide (an ambiguous date format).
DECIDE = "DECIDE"


def _undecided(node: Any, where: str = "") -> list[str]:
    """The fields of a draft spec still marked DECIDE."""
    if isinstance(node, dict):
        return [f for k, v in node.items() for f in _undecided(v, f"{where}.{k}" if where else k)]
    if isinstance(node, list):
        return [f for i, v in enumerate(node) for f in _undecided(v, f"{where}[{i}]")]
    return [where] if isinstance(node, str) and node.strip().upper() == DECIDE else []


def load_spec(path: str | Path) -> ProgrammeSpec:
    """Read and validate a programme spec; raise ConfigError naming file, field and value."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: programme spec not found; expected a YAML file")
    if path.stat().st_size > MAX_SPEC_BYTES:
        raise ConfigError(
            f"{path}: {path.stat().st_size:,} bytes is too large for a programme spec; expected "
            f"at most {MAX_SPEC_BYTES:,}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the spec as UTF-8"
        ) from None
    try:
        raw = _parse_yaml(path, text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(_one_line(f"{path}: not valid YAML{where}: {problem}")) from None
    except RecursionError:
        raise ConfigError(
            f"{path}: the spec nests too deeply; expected at most {MAX_SPEC_DEPTH} levels"
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: expected a mapping of fields at the top level; got {_shown(raw)}"
        )
    undecided = _undecided(raw)
    if undecided:
        raise ConfigError(
            _one_line(
                f"{path}: {len(undecided)} decision(s) still to make: {', '.join(undecided)}; "
                "edit the lines marked DECIDE (evalkit init could not tell), then validate again"
            )
        )
    try:
        root = Path(raw["root"]) if isinstance(raw.get("root"), str) else None
        root = (path.resolve().parent / root).resolve() if root else find_root(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{path}: field 'root' has value {_shown(raw.get('root'))}: {exc}; expected the "
            "project folder"
        ) from None
    try:
        spec = ProgrammeSpec.model_validate({**raw, "root": root, "source": path.resolve()})
    except ValidationError as exc:
        # Misspelt names first: a misspelt field also shows up as a missing one.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = _format_error(path, errors[0])
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(_one_line(first) + more) from None
    return spec
