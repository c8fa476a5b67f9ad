"""The capture form of ``notebooks/capture_reflection.ipynb``, with its store from the spec.

:func:`capture_form` is the pipeline's side of :func:`evalkit.learning.form.build_form`: it finds
the programme's learning log (``data/processed/<programme>/learning.sqlite``) and its name from
the programme spec, so that the notebook needs only the spec's path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalkit.config import locate
from evalkit.exceptions import ParameterError
from evalkit.learning.form import ReflectionForm, build_form
from evalkit.reports.learning_review import resolve_store_path

__all__ = ["capture_form"]


def capture_form(
    template: str = "hls", spec_path: str = "", store_path: str = "", **defaults: Any
) -> ReflectionForm:
    """The form the capture notebook shows: the store from the spec (or ``store_path``).

    The programme is taken from the spec unless given in ``defaults`` (with ``store_path`` given,
    a spec that does not exist is ignored). Paths (the spec, the store, a template's YAML file)
    are read relative to the project folder whatever folder the kernel started in
    (:func:`evalkit.config.locate`).
    """
    from evalkit.config import load_spec

    if not spec_path and not store_path:
        raise ParameterError("give spec_path (the programme spec) or store_path (the store)")
    if spec_path and (not store_path or locate(spec_path).is_file()):
        defaults.setdefault("programme", load_spec(locate(spec_path)).programme)
    if Path(template).suffix in {".yaml", ".yml"}:  # a template of your own, by its path
        template = str(locate(template))
    return build_form(template, str(resolve_store_path(spec_path, store_path)), **defaults)
