"""A capture form for Jupyter, driven by a reflection template (ipywidgets).

``build_form(template, store)`` returns a :class:`ReflectionForm`; display ``form.widget`` in a
notebook. Pressing *Save reflection* calls :meth:`ReflectionForm.submit`, which maps the answers
onto the four canonical slots and stores the reflection (pseudonymised and redacted by the store).
The logic lives here so the notebook only calls it, and tests can fill the form and call the
handler without a browser. The capture notebook finds its store from the programme spec with
:func:`evalkit.reports.capture.capture_form`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from evalkit.exceptions import EvalkitError
from evalkit.learning.records import CONFIDENCE, SHARING_SCOPES, SYSTEM_SCALES
from evalkit.learning.store import ReflectionStore
from evalkit.learning.templates import Template, load_template

__all__ = ["ROLES", "ReflectionForm", "build_form"]

#: Roles offered in the form (any other role may be typed).
ROLES: tuple[str, ...] = (
    "commissioner",
    "provider",
    "frontline worker",
    "person with lived experience",
    "learning partner",
)
_CONTEXT = ("programme", "learning_cycle", "locality", "period", "author", "names")


class ReflectionForm:
    """An ipywidgets form for one template; ``widget`` to display, ``submit()`` to save."""

    def __init__(
        self,
        template: Template,
        store: ReflectionStore,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.store = store
        defaults = dict(defaults or {})
        layout = widgets.Layout(width="95%")
        style = {"description_width": "initial"}
        labels = {
            "programme": "Programme",
            "learning_cycle": "Learning cycle",
            "locality": "Locality (ONS code)",
            "period": "Period (e.g. 2024Q3)",
            "author": "Your name (stored only as a pseudonym)",
            "names": "Names to remove from the text (comma-separated)",
        }
        self.fields: dict[str, widgets.Widget] = {
            name: widgets.Text(
                value=str(defaults.get(name, "")),
                description=labels[name],
                layout=layout,
                style=style,
            )
            for name in _CONTEXT
        }
        self.fields["role"] = widgets.Combobox(
            value=str(defaults.get("role", "")),
            options=list(ROLES),
            description="Your role",
            ensure_option=False,
            layout=layout,
            style=style,
        )
        self.fields["system_scale"] = widgets.Dropdown(
            options=list(SYSTEM_SCALES),
            value=defaults.get("system_scale", "team"),
            description="Scale",
            style=style,
        )
        self.fields["confidence"] = widgets.Dropdown(
            options=list(CONFIDENCE),
            value=defaults.get("confidence", "emerging"),
            description="How sure are we?",
            style=style,
        )
        self.fields["sharing_scope"] = widgets.Dropdown(
            options=list(SHARING_SCOPES),
            value=defaults.get("sharing_scope", "programme"),
            description="Share with",
            style=style,
        )
        self.fields["consent"] = widgets.Checkbox(
            value=bool(defaults.get("consent", False)),
            description="I agree that, once reviewed and redacted, this may be shared",
            layout=layout,
            style=style,
        )
        self.fields["submit_for_review"] = widgets.Checkbox(
            value=True,
            description="Submit for review now (untick to keep as a draft)",
            layout=layout,
            style=style,
        )
        self.answers: dict[str, widgets.Textarea] = {}
        for q in template.questions:
            label = q.prompt + (" (private: never shared)" if q.private else "")
            self.answers[q.id] = widgets.Textarea(
                placeholder=q.help,
                description=label,
                layout=widgets.Layout(width="95%", height="6em"),
                style=style,
            )
        self.message = widgets.HTML()
        self.button = widgets.Button(description="Save reflection", button_style="primary")
        self.button.on_click(self.submit)
        intro = widgets.HTML(
            f"<h3>{html.escape(template.title)}</h3><p>{html.escape(template.description)}</p>"
        )
        self.widget = widgets.VBox(
            [intro, *self.fields.values(), *self.answers.values(), self.button, self.message]
        )

    def record(self) -> dict[str, Any]:
        """The reflection the form currently describes (answers mapped onto the slots)."""
        slots, extra = self.template.to_slots({k: w.value for k, w in self.answers.items()})
        values = {k: w.value for k, w in self.fields.items()}
        return {
            **{k: values[k] for k in _CONTEXT if k != "names"},
            "role": values["role"],
            "system_scale": values["system_scale"],
            "confidence": values["confidence"],
            "sharing_scope": values["sharing_scope"],
            "consent": values["consent"],
            "template": self.template.name,
            "status": "submitted" if values["submit_for_review"] else "draft",
            "extra": extra,
            **slots,
        }

    def submit(self, _button: Any = None) -> int | None:
        """Save the reflection; return its id, or None (the message says what to fix)."""
        names = [n.strip() for n in self.fields["names"].value.split(",") if n.strip()]
        try:
            rid = self.store.add(self.record(), names=names)
        except EvalkitError as exc:
            self.message.value = f'<p style="color:#D55E00">Not saved: {html.escape(str(exc))}</p>'
            return None
        for box in self.answers.values():
            box.value = ""
        self.fields["names"].value = ""
        state = (
            "waiting for review" if self.fields["submit_for_review"].value else "kept as a draft"
        )
        self.message.value = f"<p>Saved as reflection {rid}, {state}. Thank you.</p>"
        return rid


def build_form(
    template: str | Template, store: ReflectionStore | str, **defaults: Any
) -> ReflectionForm:
    """A capture form for ``template`` (a name, path or Template) writing into ``store``.

    Keyword arguments pre-fill the context fields (programme, locality, period, role ...).
    """
    tmpl = template if isinstance(template, Template) else load_template(template)
    target = store if isinstance(store, ReflectionStore) else ReflectionStore(store)
    return ReflectionForm(tmpl, target, defaults)
