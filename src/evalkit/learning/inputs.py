"""Reading reflections from files: one reflection (YAML or Markdown), or a form export (a table).

- :func:`read_reflection_file`: a ``.yaml`` file of fields and answers, or a ``.md`` file with the
  fields as front matter and one ``## Question`` section per answer (:func:`parse_markdown`);
- :func:`fill_slots`: a template's answers, keyed by question id or prompt, onto the four slots;
- :func:`read_form_export`: a CSV or Excel export of an online form, read as evalkit reads every
  input file, for :func:`evalkit.learning.importing.import_reflections`.

``evalkit reflect add`` and ``evalkit reflect import`` call these; nothing here writes to a store.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from evalkit.exceptions import DataError, ParameterError
from evalkit.learning.templates import Template

__all__ = ["fill_slots", "parse_markdown", "read_form_export", "read_reflection_file"]

_MARKDOWN = (".md", ".markdown")


def parse_markdown(text: str, source: str = "file") -> dict[str, Any]:
    """Read a Markdown reflection: YAML front matter, then one ``##`` section per question.

    Returns the front matter's fields, with the sections under ``answers`` (heading -> text).
    Headings are matched to questions later, by :func:`fill_slots`.
    """
    fields: dict[str, Any] = {}
    body = text
    if text.startswith("---"):
        try:
            _, front, body = text.split("---", 2)
        except ValueError:
            raise DataError(f"{source}: front matter starts with '---' but never ends") from None
        fields = yaml.safe_load(front) or {}
        if not isinstance(fields, dict):
            raise DataError(f"{source}: front matter must be a YAML mapping of fields")
    sections: dict[str, list[str]] = {}
    current = None
    for line in body.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
        elif line.strip():
            raise DataError(f"{source}: text before the first '## question' heading: {line!r}")
    fields["answers"] = {k: "\n".join(v).strip() for k, v in sections.items()}
    return fields


def read_reflection_file(path: str | Path) -> dict[str, Any]:
    """The fields of one reflection from a ``.yaml`` or ``.md`` file (answers under ``answers``)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"reflection file {str(path)!r} does not exist")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in _MARKDOWN:
        return parse_markdown(text, str(path))
    try:
        fields = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from None
    if not isinstance(fields, dict):
        raise DataError(f"{path}: expected a YAML mapping of fields and answers")
    return fields


def fill_slots(
    template: Template, answers: Mapping[str, Any], source: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Map answers (keyed by question id or prompt, any case) onto the template's slots.

    Returns the four slots and the ``extra`` answers that fill no slot (kept private). DataError
    names an answer that matches no question.
    """
    lookup = {}
    for q in template.questions:
        lookup[q.id.lower()] = q.id
        lookup[q.prompt.lower().rstrip("?")] = q.id
    by_id = {}
    for key, value in answers.items():
        qid = lookup.get(str(key).strip().lower().rstrip("?"))
        if qid is None:
            raise DataError(
                f"{source}: answer {key!r} matches no question of template {template.name!r}; "
                f"expected one of: {', '.join(q.id for q in template.questions)}"
            )
        by_id[qid] = str(value)
    return template.to_slots(by_id)


def read_form_export(path: str | Path, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a CSV or Excel export of reflections as evalkit reads every input file.

    With :func:`evalkit.intake.read_table`, so that cells are text (a workbook's date cells
    dates) and rows keep the numbers a spreadsheet shows. A CSV in another ``encoding`` (such as
    ``cp1252``) is read through a UTF-8 copy. ``attrs['source']`` names the file.
    """
    from evalkit.intake.readers import read_table

    path = Path(path)
    utf8 = encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")
    if utf8 or path.suffix.lower() not in (".csv", ".txt") or not path.is_file():
        try:
            frame = read_table(path)
        except DataError as exc:
            if "UTF-8" not in str(exc):
                raise
            raise DataError(f"{exc}; or give the file's encoding, e.g. --encoding cp1252") from None
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode(encoding)
        except LookupError:
            raise ParameterError(f"unknown encoding {encoding!r}; expected e.g. cp1252") from None
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise DataError(
                f"{path}, line {line}: byte 0x{raw[exc.start]:02x} is not {encoding} text; "
                "expected the encoding given with --encoding"
            ) from None
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / path.name
            copy.write_text(text, encoding="utf-8")
            try:
                frame = read_table(copy)
            except DataError as exc:
                raise DataError(str(exc).replace(str(copy), str(path))) from None
    frame.attrs["source"] = str(path)
    return frame
