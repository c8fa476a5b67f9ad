"""Records, templates and redaction of the learning log."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _learning import reflection
from evalkit.exceptions import ConfigError, DataError
from evalkit.learning.records import (
    SLOTS,
    Action,
    Code,
    Reflection,
    clean_text,
    period_bounds,
    period_end,
    validate,
)
from evalkit.learning.redaction import (
    KINDS,
    identifier_shapes,
    nhs_number_is_valid,
    possible_names,
    redact,
)
from evalkit.learning.templates import TEMPLATES_ENV, list_templates, load_template
from evalkit.reference import source_of

# -- records -----------------------------------------------------------------------------------


def test_reflection_accepts_the_demo_vocabulary():
    rec = validate(Reflection, reflection(confidence="well supported", consent="no"))
    assert rec.confidence == "well supported"
    assert rec.consent is False
    assert rec.slots()["what_we_tried"].startswith("We met parents")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("period", "Q3 2024", "2024Q3"),
        ("confidence", "certain", "tentative"),
        ("status", "published", "redaction_pending"),
        ("consent", "maybe", "'yes' or 'no'"),
        ("system_scale", "galaxy", "organisation"),
    ],
)
def test_bad_reflection_fields_are_named_with_value_and_expectation(field, value, expected):
    with pytest.raises(DataError) as err:
        validate(Reflection, reflection(**{field: value}), source="row 7")
    message = str(err.value)
    assert field in message and repr(value) in message and expected in message
    assert "row 7" in message


def test_missing_required_field_and_unknown_field_are_reported():
    data = reflection(score=5)
    del data["author"]
    with pytest.raises(DataError) as err:
        validate(Reflection, data)
    assert "'author'" in str(err.value) and "required" in str(err.value)
    assert "'score'" in str(err.value) and "no such field" in str(err.value)


def test_period_end_of_quarters_and_months():
    assert period_end("2024Q3") == dt.date(2024, 9, 30)
    assert period_end("2024Q1") == dt.date(2024, 3, 31)
    assert period_end("2024-02") == dt.date(2024, 2, 29)
    with pytest.raises(DataError, match="'2024Q5'"):
        period_end("2024Q5")


def test_period_bounds_of_every_kind_of_period():
    assert period_bounds("2024Q3") == (dt.date(2024, 7, 1), dt.date(2024, 9, 30))
    assert period_bounds("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert period_bounds("2024") == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert period_bounds("2024/25") == (dt.date(2024, 4, 1), dt.date(2025, 3, 31))
    assert period_bounds("1999/00") == (dt.date(1999, 4, 1), dt.date(2000, 3, 31))
    with pytest.raises(DataError, match="'2024/26'"):
        period_bounds("2024/26")


def test_action_and_code_models():
    action = validate(
        Action,
        {
            "programme": "p",
            "locality": "E08000012",
            "description": "Book venues",
            "owner_role": "provider",
            "due_on": "2024-10-31",
        },
    )
    assert action.status == "open" and action.due_on == dt.date(2024, 10, 31)
    with pytest.raises(DataError, match="due_on"):
        validate(Action, {**action.model_dump(), "due_on": "soon"})
    assert Code(name="trust").parent is None


# -- templates ---------------------------------------------------------------------------------


def test_five_templates_ship_and_each_fills_every_slot():
    names = list_templates()
    for name in (
        "hls",
        "after_action_review",
        "gibbs",
        "what_so_what_now_what",
        "most_significant_change",
    ):
        assert name in names
        template = load_template(name)
        assert {q.slot for q in template.questions} - {None} == set(SLOTS), name


def test_every_shipped_template_records_its_source():
    for name in ("hls", "after_action_review", "gibbs", "what_so_what_now_what"):
        record = source_of(f"templates/{name}.yaml")
        assert record["source"] and record["verified"] is False
    assert "Davies" in source_of("templates/most_significant_change.yaml")["source"]


def test_gibbs_feelings_stay_private_and_answers_join_onto_slots():
    gibbs = load_template("gibbs")
    answers = {
        "description": "We ran a joint review.",
        "feelings": "I felt anxious.",
        "evaluation": "It went well.",
        "analysis": "Deciders in the room matter.",
        "conclusion": "We could have invited housing earlier.",
        "action_plan": "Invite decision-makers.",
    }
    slots, extra = gibbs.to_slots(answers)
    assert extra == {"feelings": "I felt anxious."}
    assert "anxious" not in " ".join(slots.values())
    assert slots["what_we_learned"] == (
        "Deciders in the room matter.\n\nWe could have invited housing earlier."
    )


def test_required_answer_missing_is_named():
    with pytest.raises(DataError) as err:
        load_template("hls").to_slots({"tried": "x", "happened": "", "learned": "y", "change": "z"})
    assert "'happened'" in str(err.value) and "required" in str(err.value)


def test_user_template_without_code(tmp_path, monkeypatch):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "huddle.yaml").write_text(
        "name: huddle\ntitle: Team huddle\nquestions:\n"
        "  - {id: tried, prompt: 'What did we try?', slot: what_we_tried, required: true}\n"
        "  - {id: worry, prompt: 'What worried you?', slot: null, private: true}\n",
        encoding="utf-8",
    )
    assert load_template(folder / "huddle.yaml").title == "Team huddle"
    monkeypatch.setenv(TEMPLATES_ENV, str(folder))
    assert "huddle" in list_templates()
    slots, extra = load_template("huddle").to_slots({"tried": "A", "worry": "B"})
    assert slots["what_we_tried"] == "A" and extra == {"worry": "B"}


def test_private_question_on_a_shared_slot_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\ntitle: Bad\nquestions:\n"
        "  - {id: f, prompt: 'Feelings?', slot: what_happened, private: true}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="private"):
        load_template(path)


def test_unknown_template_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        load_template("nonesuch")
    assert "'nonesuch'" in str(err.value) and "hls" in str(err.value)


# -- redaction ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to sarah.jones@example.org today", "email"),
        ("ring 07700 900123 after six", "phone"),
        ("ring +44 (0)151 496 0000 after six", "phone"),
        ("ring 020 7946 0000 after six", "phone"),
        ("she lives at L1 8JQ now", "postcode"),
        ("she lives at SW1A 1AA now", "postcode"),
        ("NHS number 943 476 5919 on file", "nhs_number"),
        ("NI number AB 12 34 56 C on file", "ni_number"),
        ("born 03/04/1987 in Leeds", "date"),
        ("seen on 3rd March 2024 at home", "date"),
        ("seen on 2024-05-01 at home", "date"),
    ],
)
def test_each_kind_is_redacted_and_logged_without_the_original(text, kind):
    redacted, log = redact(text)
    assert [e.kind for e in log] == [kind]
    entry = log[0]
    original = text[entry.start : entry.end]
    assert original not in redacted
    assert entry.replacement in redacted
    assert original not in str(entry.to_dict())


def test_names_full_and_parts_are_redacted():
    text = "Sarah Jones said Sarah would ring; sarah jones agreed. Jonesy is a nickname."
    redacted, log = redact(text, names=["Sarah Jones"])
    assert redacted == "[NAME] said [NAME] would ring; [NAME] agreed. Jonesy is a nickname."
    assert [e.kind for e in log] == ["name"] * 3


def test_nhs_numbers_need_a_right_check_digit():
    # 943 476 5919 is the NHS Data Dictionary's worked example of a valid NHS number:
    # 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9.
    assert nhs_number_is_valid("943 476 5919")
    assert not nhs_number_is_valid("943 476 5918")
    assert not nhs_number_is_valid("0000000000")
    _, log = redact("ref 943 476 5918 is not an NHS number")
    assert all(e.kind != "nhs_number" for e in log)


def test_possible_names_are_hints_for_the_reviewer():
    text = "Sam Reid rang. We met Priya Shah at the Family Hub. The worker helped. After Tom left."
    assert possible_names(text) == ["Sam Reid", "Priya Shah", "Family Hub"]
    assert possible_names("[NAME] rang [PHONE].") == []


def test_ordinary_numbers_and_periods_survive():
    text = "We saw 12 families in 2024Q3 and 300 visits; 2 of 5 workers changed."
    assert redact(text) == (text, [])


def test_log_spans_point_into_the_original_in_order():
    text = "Mail a@b.org or call 07700 900123 about L1 8JQ."
    _, log = redact(text)
    assert [e.kind for e in log] == ["email", "phone", "postcode"]
    assert [text[e.start : e.end] for e in log] == ["a@b.org", "07700 900123", "L1 8JQ"]
    assert set(KINDS) >= {e.kind for e in log}


@settings(max_examples=60, deadline=None)
@given(
    user=st.from_regex(r"[a-z]{2,8}(\.[a-z]{2,6})?", fullmatch=True),
    domain=st.from_regex(r"[a-z]{2,8}\.(org|com|gov\.uk)", fullmatch=True),
    digits=st.from_regex(r"7[0-9]{3} [0-9]{6}", fullmatch=True),
    before=st.text(alphabet=st.characters(categories=["Ll", "Zs"]), max_size=30),
)
def test_property_no_email_or_mobile_survives(user, domain, digits, before):
    email = f"{user}@{domain}"
    phone = f"0{digits}"
    text = f"{before} contact {email} or {phone}."
    redacted, log = redact(text)
    assert email not in redacted and phone not in redacted
    assert {e.kind for e in log} >= {"email", "phone"}


def test_package_exports_resolve():
    import evalkit.learning as learning

    assert sorted(learning.__all__) == sorted(dir(learning))
    for name in learning.__all__:
        assert getattr(learning, name) is not None
    with pytest.raises(AttributeError, match="'nonesuch'"):
        _ = learning.nonesuch


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab AB01234567890@.-/+()LSW:Q"), max_size=60))
def test_property_redaction_is_idempotent_and_spans_are_ordered(text):
    once, log = redact(text, names=["Ab Ba"])
    assert redact(once, names=["Ab Ba"])[0] == once
    spans = [(e.start, e.end) for e in log]
    assert spans == sorted(spans)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_identifier_shapes_are_case_numbers_never_bare_amounts():
    ids = [f"FS{i:06d}" for i in range(50)] + ["FAM000001"] * 10 + ["250000", "x", "", None]
    assert identifier_shapes(ids) == [r"FS\d{6}", r"FAM\d{6}"]
    text, log = redact("case fs000123, FS12345 and 250000", identifiers=identifier_shapes(ids))
    assert text == "case [ID], FS12345 and 250000"  # whole words of the shape only
    assert [e.kind for e in log] == ["identifier"]


def test_clean_text_drops_controls_and_bidi_and_keeps_tabs_and_lines():
    assert clean_text("a\x00b\u202ec\u2066d\u200fe\r\nf\tg\x1bh") == "abcde\nf\tgh"
    r = validate(Reflection, reflection(what_happened="x\x00\u202ey", author="Jo\u202e Bloggs"))
    assert r.what_happened == "xy" and r.author == "Jo Bloggs"
