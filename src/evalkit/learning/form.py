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
from evalkit.learning.records import CONFIDENCE, SHARING_SCOPES, SLOTS, SYSTEM_SCALES
from evalkit.learning.store import ReflectionStore
from evalkit.learning.templates import Template, load_template

__all__ = ["ROLES", "SCOPE_LABELS", "ReflectionForm", "build_form"]

#: Roles offered in the form (any other role may be typed).
ROLES: tuple[str, ...] = (
    "commissioner",
    "provider",
    "frontline worker",
    "person with lived experience",
    "learning partner",
)
_CONTEXT = ("programme", "learning_cycle", "locality", "period", "author", "names")

#: How each sharing scope reads on the form (the stored value is the scope's name).
SCOPE_LABELS: dict[str, str] = {
    "cycle": "only the people in this learning cycle",
    "programme": "the programme's partners",
    "public": "anyone: it may be published",
}

#: The form's own CSS: every label above its input and every input the width of the form, so
#: that the form fits a phone's screen (390 px) as well as a notebook; nothing wider than the
#: page, long labels wrapped rather than cut off.
_CSS = """<style>
.evalkit-capture { width: 100%; max-width: 44rem; box-sizing: border-box; }
.evalkit-capture * { box-sizing: border-box; }
.evalkit-capture .widget-inline-hbox {
  flex-wrap: wrap; width: 100% !important; height: auto !important; margin-left: 0;
  margin-right: 0;
}
.evalkit-capture .widget-inline-hbox > .widget-label {
  width: 100% !important; max-width: 100%; white-space: normal; overflow: visible;
  text-overflow: clip; line-height: 1.3; height: auto; margin: 0.6em 0 0.2em 0;
  text-align: left; font-weight: 600;
}
.evalkit-capture .widget-inline-hbox > input,
.evalkit-capture .widget-inline-hbox > select,
.evalkit-capture .widget-inline-hbox > textarea,
.evalkit-capture .widget-inline-hbox > .widget-dropdown,
.evalkit-capture .widget-textarea textarea { width: 100%; max-width: 100%; min-width: 0; }
.evalkit-capture textarea { min-height: 6em; }
.evalkit-capture input[type="text"], .evalkit-capture select { min-height: 2.4em; }
.evalkit-capture .widget-inline-hbox.widget-checkbox { height: auto; margin-top: 0.6em; }
.evalkit-capture .widget-checkbox .widget-label-basic, .evalkit-capture .widget-checkbox label {
  white-space: normal; overflow: visible; height: auto; line-height: 1.3; max-width: 100%;
}
.evalkit-capture .widget-checkbox input[type="checkbox"] {
  width: 1.4em; height: 1.4em; flex: 0 0 auto; margin-right: 0.5em;
}
.evalkit-capture .widget-html-content { white-space: normal; overflow-wrap: anywhere; }
.evalkit-capture button { margin: 1em 0 0.5em 0; min-height: 2.75em; max-width: 100%; }
.evalkit-capture .evalkit-saved blockquote { margin: 0.3em 0 0.6em 0; padding-left: 0.8em;
  border-left: 3px solid #999; white-space: pre-wrap; }
</style>"""


def _full_width() -> widgets.Layout:
    """A widget as wide as the form and no wider."""
    return widgets.Layout(width="100%", max_width="100%")


class ReflectionForm:
    """An ipywidgets form for one template; ``widget`` to display, ``submit()`` to save.

    Every label stands above its input and every input is the width of the form (at most 44
    characters' width), so that the form works in JupyterLab and, served by ``evalkit reflect
    serve``, on a phone. Consent and who may see the reflection (its sharing scope) are asked on
    the form; what the author typed is only ever shown back escaped, after redaction.
    """

    def __init__(
        self,
        template: Template,
        store: ReflectionStore,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.store = store
        defaults = dict(defaults or {})
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
                layout=_full_width(),
                style=style,
            )
            for name in _CONTEXT
        }
        self.fields["role"] = widgets.Combobox(
            value=str(defaults.get("role", "")),
            options=list(ROLES),
            description="Your role",
            ensure_option=False,
            layout=_full_width(),
            style=style,
        )
        self.fields["system_scale"] = widgets.Dropdown(
            options=list(SYSTEM_SCALES),
            value=defaults.get("system_scale", "team"),
            description="Scale",
            layout=_full_width(),
            style=style,
        )
        self.fields["confidence"] = widgets.Dropdown(
            options=list(CONFIDENCE),
            value=defaults.get("confidence", "emerging"),
            description="How sure are we?",
            layout=_full_width(),
            style=style,
        )
        self.fields["sharing_scope"] = widgets.Dropdown(
            options=[(SCOPE_LABELS.get(s, s), s) for s in SHARING_SCOPES],
            value=defaults.get("sharing_scope", "programme"),
            description="Once reviewed, who may see it?",
            layout=_full_width(),
            style=style,
        )
        self.fields["consent"] = widgets.Checkbox(
            value=bool(defaults.get("consent", False)),
            description="I agree that, once reviewed and redacted, this may be shared",
            indent=False,
            layout=_full_width(),
            style=style,
        )
        self.fields["submit_for_review"] = widgets.Checkbox(
            value=True,
            description="Submit for review now (untick to keep as a draft)",
            indent=False,
            layout=_full_width(),
            style=style,
        )
        self.answers: dict[str, widgets.Textarea] = {}
        for q in template.questions:
            label = q.prompt + (" (private: never shared)" if q.private else "")
            self.answers[q.id] = widgets.Textarea(
                placeholder=q.help,
                description=label,
                rows=5,
                layout=_full_width(),
                style=style,
            )
        self.message = widgets.HTML(layout=_full_width())
        self.button = widgets.Button(
            description="Save reflection",
            button_style="primary",
            layout=widgets.Layout(width="auto"),
        )
        self.button.on_click(self.submit)
        intro = widgets.HTML(
            f"<h3>{html.escape(template.title)}</h3><p>{html.escape(template.description)}</p>",
            layout=_full_width(),
        )
        self.widget = widgets.VBox(
            [
                widgets.HTML(_CSS),
                intro,
                *self.fields.values(),
                *self.answers.values(),
                self.button,
                self.message,
            ],
            layout=_full_width(),
        )
        self.widget.add_class("evalkit-capture")

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
        self.message.value = (
            f'<div class="evalkit-saved" role="status"><p>Saved as reflection {rid}, {state}. '
            f"Thank you.</p>{self._as_stored(rid)}</div>"
        )
        return rid

    def _as_stored(self, rid: int) -> str:
        """The saved reflection's text after automatic redaction, escaped, for its author to
        check (what the reviewer will see first); nothing the author typed is shown unescaped."""
        record = self.store.get(rid)
        parts = [
            f"<p>{html.escape(slot.replace('_', ' ').capitalize())}:</p>"
            f"<blockquote>{html.escape(str(record.get('redacted_' + slot) or ''))}</blockquote>"
            for slot in SLOTS
            if record.get("redacted_" + slot)
        ]
        if not parts:
            return ""
        return (
            "<p>After automatic redaction it reads as below; a reviewer checks it before "
            "anything is shared.</p>" + "".join(parts)
        )


def build_form(
    template: str | Template, store: ReflectionStore | str, **defaults: Any
) -> ReflectionForm:
    """A capture form for ``template`` (a name, path or Template) writing into ``store``.

    Keyword arguments pre-fill the context fields (programme, locality, period, role ...).
    """
    tmpl = template if isinstance(template, Template) else load_template(template)
    target = store if isinstance(store, ReflectionStore) else ReflectionStore(store)
    return ReflectionForm(tmpl, target, defaults)
