"""The capture form of ``notebooks/capture_reflection.ipynb``, with its store from the spec.

:func:`capture_form` is the pipeline's side of :func:`evalkit.learning.form.build_form`: it finds
the programme's learning log (``data/processed/<programme>/learning.sqlite``) and its name from
the programme spec, so that the notebook needs only the spec's path.

``evalkit reflect serve`` shows the same notebook as a web page through Voilà, which cannot pass
papermill parameters: it hands the notebook its spec, store and template in environment variables
(:data:`SERVE_ENV`), which the kernel inherits and :func:`served_parameters` reads. Before Voilà
starts, the command checks all of it in a child process with ``python -m evalkit.reports.capture``
(:func:`preflight`), as the served kernel will read it, so that a wrong spec, template or missing
key is one line at the command line rather than an error on the page.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit.config import locate
from evalkit.exceptions import EvalkitError, ParameterError
from evalkit.learning.form import ReflectionForm, build_form
from evalkit.reports.learning_review import resolve_store_path

__all__ = ["SERVE_ENV", "capture_form", "preflight", "served_parameters"]

#: The environment variables through which ``evalkit reflect serve`` passes its notebook the
#: spec, store and template (Voilà starts each page's kernel with the server's environment).
SERVE_ENV: dict[str, str] = {
    "spec_path": "EVALKIT_CAPTURE_SPEC",
    "store_path": "EVALKIT_CAPTURE_STORE",
    "template": "EVALKIT_CAPTURE_TEMPLATE",
}

#: The notebook that ``evalkit reflect serve`` shows, relative to the project folder.
CAPTURE_NOTEBOOK = Path("notebooks") / "capture_reflection.ipynb"

#: The Voila template the page is shown with (Voila's lab template with nothing loaded from
#: another host), and the Jupyter data folder holding it (added to ``JUPYTER_PATH``).
VOILA_TEMPLATE = "evalkit-capture"
VOILA_DATA = Path(__file__).resolve().parent / "jupyter"


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
    from evalkit.learning.store import ReflectionStore

    if not spec_path and not store_path:
        raise ParameterError("give spec_path (the programme spec) or store_path (the store)")
    identifiers: list[str] = []
    if spec_path and (not store_path or locate(spec_path).is_file()):
        spec = load_spec(locate(spec_path))
        defaults.setdefault("programme", spec.programme)
        identifiers = _identifiers(spec)
    if Path(template).suffix in {".yaml", ".yml"}:  # a template of your own, by its path
        template = str(locate(template))
    store = ReflectionStore(resolve_store_path(spec_path, store_path), identifiers=identifiers)
    return build_form(template, store, **defaults)


def _identifiers(spec: Any) -> list[str]:
    """The programme's case-number patterns for redaction: the spec's own, or those learned
    from the people source's identifiers; only the spec's own if that file cannot be read (the
    page still opens; the person who reviews each reflection checks the redaction)."""
    from evalkit.exceptions import EvalkitError
    from evalkit.intake.mapping import identifier_patterns

    try:
        return identifier_patterns(spec)
    except (EvalkitError, OSError):
        return list(spec.identifier_patterns)


def served_parameters(template: str, spec_path: str, store_path: str) -> tuple[str, str, str]:
    """The notebook's template, spec and store: those of ``evalkit reflect serve`` if it runs
    under that command, else the notebook's own parameters unchanged.

    The command sets every variable of :data:`SERVE_ENV` (an empty one means "none"), so a
    page served for a store alone does not pick up the notebook's default spec.
    """
    if SERVE_ENV["spec_path"] not in os.environ:
        return template, spec_path, store_path
    return (
        os.environ.get(SERVE_ENV["template"]) or template,
        os.environ.get(SERVE_ENV["spec_path"], ""),
        os.environ.get(SERVE_ENV["store_path"], ""),
    )


def preflight(template: str = "hls", spec_path: str = "", store_path: str = "") -> dict[str, str]:
    """Check what a served capture page needs, as its kernel will find it; raise a one-line
    :class:`~evalkit.exceptions.EvalkitError` for the first problem.

    Checks the spec (when given), the template, the notebook and the pseudonymisation key (as
    the kernel finds it, from the notebook's folder); returns the project folder, the notebook,
    the programme, the store the page saves into, and the Voila template and the Jupyter data
    folder that holds it. Relative paths are read as the notebook
    reads them (:func:`evalkit.config.locate`): give absolute ones to be sure.
    """
    from evalkit.config import find_root, load_spec, project_folder
    from evalkit.intake.pseudonymise import load_key
    from evalkit.learning.templates import load_template

    programme = ""
    if spec_path:
        spec = load_spec(locate(spec_path))
        programme, root = spec.programme, find_root(spec.source)
    elif store_path:
        root = project_folder()
    else:
        raise ParameterError("give the programme spec (or --store PATH, the learning log)")
    notebook = root / CAPTURE_NOTEBOOK
    if not notebook.is_file():
        raise ParameterError(
            f"no capture notebook at {notebook}: serve from a project made by 'evalkit init' "
            "or 'evalkit demo', which has notebooks/capture_reflection.ipynb"
        )
    load_template(str(locate(template)) if Path(template).suffix in {".yaml", ".yml"} else template)
    store = resolve_store_path(spec_path, store_path)
    with contextlib.chdir(root / CAPTURE_NOTEBOOK.parent):  # where Voila starts the kernel
        load_key()  # the page pseudonymises each author: without a key nothing could be saved
    return {
        "root": str(root),
        "notebook": str(notebook),
        "programme": programme,
        "store": str(store.resolve()),
        "voila_template": VOILA_TEMPLATE,
        "voila_data": str(VOILA_DATA),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m evalkit.reports.capture TEMPLATE SPEC STORE``: :func:`preflight` as one JSON
    line on stdout (exit 0), or its error as one line on stderr (exit 2)."""
    template, spec_path, store_path = list(argv if argv is not None else sys.argv[1:])
    try:
        found = preflight(template, spec_path, store_path)
    except EvalkitError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    print(json.dumps(found))
    return 0


if __name__ == "__main__":  # pragma: no cover - run by evalkit reflect serve
    sys.exit(main())
