"""Disclosure policies: built-in rules, single counts, custom policies and their errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalkit.disclosure import Policy, get_policy, is_disclosive, policy_names, protect_count
from evalkit.exceptions import ConfigError, ParameterError
from evalkit.reference import load_yaml, source_of


def test_builtin_policies_are_shipped_with_their_sources():
    assert policy_names() == ["nhs", "dfe", "ons_10_5", "ofqual"]
    record = source_of("disclosure_policies.yaml")
    assert record["verified"] is False  # thresholds not yet checked against each primary document
    for name, data in load_yaml("disclosure_policies.yaml").items():
        assert data["source"].strip(), name
        assert get_policy(name).name == name


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        # NHS England HES Analysis Guide, small-number suppression (HES/ECDS rules since 2018):
        # 0 stays 0, 1-7 shown as *, other counts rounded to the nearest 5.
        (0, 0),
        (1, "*"),
        (7, "*"),
        (8, 10),
        (12, 10),
        (13, 15),
        (102, 100),
        (103, 105),
    ],
)
def test_nhs_single_counts(n, expected):
    assert protect_count(n, "nhs") == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    # DfE statistics suppression guidance: 1-5 shown as "c" (confidential); others exact.
    [(0, 0), (1, "c"), (5, "c"), (6, 6), (17, 17)],
)
def test_dfe_single_counts(n, expected):
    assert protect_count(n, "dfe") == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    # ONS 10-5 rule: counts under 10 suppressed, others rounded to the nearest 5; evalkit keeps
    # a true zero as 0 (stated in the policy's notes).
    [(0, 0), (1, "*"), (9, "*"), (10, 10), (12, 10), (13, 15), (27, 25)],
)
def test_ons_10_5_single_counts(n, expected):
    assert protect_count(n, "ons_10_5") == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    # Ofqual statistics policy: round to the nearest 5; 1-4 shown as "fewer than 5".
    [(0, 0), (1, "fewer than 5"), (4, "fewer than 5"), (5, 5), (7, 5), (8, 10)],
)
def test_ofqual_single_counts(n, expected):
    assert protect_count(n, "ofqual") == expected


def test_is_disclosive_follows_each_threshold():
    assert [is_disclosive(n, "nhs") for n in (0, 1, 7, 8)] == [False, True, True, False]
    assert [is_disclosive(n, "dfe") for n in (5, 6)] == [True, False]
    assert [is_disclosive(n, "ons_10_5") for n in (9, 10)] == [True, False]
    assert [is_disclosive(n, "ofqual") for n in (4, 5)] == [True, False]


@given(st.integers(0, 10_000), st.sampled_from(["nhs", "dfe", "ons_10_5", "ofqual"]))
def test_no_published_count_lies_in_the_suppressed_range(n, name):
    policy = get_policy(name)
    shown = protect_count(n, policy)
    if shown != policy.symbol:
        assert not policy.low <= shown <= policy.high
        assert shown % policy.rounding == 0
        assert abs(shown - n) <= policy.rounding // 2


def test_custom_policy_from_a_mapping_and_zero_suppression():
    policy = get_policy(
        {"name": "local", "high": 9, "rounding": 10, "symbol": "~", "zero": "suppress"}
    )
    assert (policy.name, policy.secondary) == ("local", False)
    assert [protect_count(n, policy) for n in (0, 9, 10, 14, 15)] == ["~", "~", 10, 10, 20]
    assert is_disclosive(0, policy)


def test_custom_policy_extending_a_builtin():
    policy = get_policy({"extends": "dfe", "high": 9})
    assert (policy.symbol, policy.secondary, policy.high) == ("c", True, 9)
    assert policy.name == "dfe (adapted)"


def test_policy_instance_passes_through_and_describes_itself():
    policy = Policy(high=3)
    assert get_policy(policy) is policy
    assert policy.describe() == (
        'counts between 1 and 3 are shown as "*"; a zero is shown as 0; '
        "other counts are shown exactly."
    )


def test_unknown_policy_lists_the_valid_names():
    with pytest.raises(ConfigError, match=r"'hes'.*nhs, dfe, ons_10_5, ofqual"):
        get_policy("hes")
    with pytest.raises(ConfigError, match=r"'custom'.*mapping"):
        get_policy("custom")
    with pytest.raises(ConfigError, match="got 7"):
        get_policy(7)


@pytest.mark.parametrize(
    ("fields", "named", "value"),
    [
        ({"high": 0}, "high", "0"),
        ({"high": 5, "low": 6}, "low", "6"),
        ({"high": 5, "zero": "hide"}, "zero", "'hide'"),
        ({"high": 5, "colour": "red"}, "colour", "'red'"),
        ({"high": 2, "rounding": 10}, "rounding to the nearest 10", "3"),
        ({"high": 5, "symbol": "5"}, "symbol", "'5'"),
        ({"extends": "nhs", "secondary": "often"}, "secondary", "'often'"),
    ],
)
def test_bad_custom_policy_names_the_field_and_value(fields, named, value):
    with pytest.raises(ConfigError) as err:
        get_policy(fields)
    assert named in str(err.value)
    assert value in str(err.value)


@pytest.mark.parametrize("bad", [-1, 2.5, "three", None, True, float("nan")])
def test_single_count_must_be_a_whole_number(bad):
    with pytest.raises(ParameterError, match=r"n: value .* not a count") as err:
        protect_count(bad, "nhs")
    assert repr(bad) in str(err.value)
    with pytest.raises(ParameterError):
        is_disclosive(bad, "nhs")


# Exact user-facing messages and descriptions ---------------------------------------------------


def test_unknown_policy_messages_in_full():
    # The hint differs: "custom" is a reserved word (a custom policy is a mapping), any other
    # unknown name is offered the mapping form as an alternative.
    valid = "valid policies: nhs, dfe, ons_10_5, ofqual"
    fields = "(low, high, rounding, symbol, zero, secondary)"
    with pytest.raises(ConfigError) as err:
        get_policy("hes")
    assert str(err.value) == (
        f"unknown disclosure policy 'hes'; {valid}; or give a mapping of fields {fields} "
        "for a custom policy"
    )
    with pytest.raises(ConfigError) as err:
        get_policy(" Custom ")  # names are matched after strip() and lower()
    assert str(err.value) == (
        f"unknown disclosure policy ' Custom '; {valid}; a custom policy is given as a mapping "
        f"of its fields {fields}"
    )


def test_a_whole_policy_error_is_named_policy_and_a_field_error_names_the_field():
    # low > high is a rule about the policy as a whole (no single field), so it is reported
    # against 'policy'; a bad value of one field names that field.
    with pytest.raises(ConfigError) as err:
        get_policy({"high": 5, "low": 6})
    assert str(err.value) == (
        "disclosure policy: field 'policy' value error, low (6) must not exceed high (5); "
        "got {'high': 5, 'low': 6}"
    )
    with pytest.raises(ConfigError) as err:
        get_policy({"high": 5, "zero": "hide"})
    assert str(err.value) == (
        "disclosure policy: field 'zero' input should be 'keep' or 'suppress'; got 'hide'"
    )


def test_single_count_functions_default_to_the_nhs_policy():
    # NHS England HES rules (the documented default): 1-7 suppressed, others to the nearest 5.
    assert [protect_count(n) for n in (0, 7, 8, 12)] == [0, "*", 10, 10]
    assert [is_disclosive(n) for n in (0, 1, 7, 8)] == [False, True, True, False]


def test_is_disclosive_names_the_argument_in_its_error():
    with pytest.raises(ParameterError) as err:
        is_disclosive(-3, "dfe")
    assert str(err.value) == "n: value -3 is not a count; expected a whole number >= 0"


def test_describe_every_clause():
    # Each clause of describe() by hand from the policy's fields.
    full = Policy(high=9, rounding=10, zero="suppress", secondary=True, symbol="~")
    assert full.describe() == (
        'counts 0 or between 1 and 9 are shown as "~"; zeros are suppressed too; other counts '
        "are rounded to the nearest 10; in tables with totals, more cells are suppressed so none "
        "can be worked out."
    )
    # rounding=2 is the smallest base that rounds (1 means "shown exactly").
    assert Policy(high=3, rounding=2).describe() == (
        'counts between 1 and 3 are shown as "*"; a zero is shown as 0; other counts are rounded '
        "to the nearest 2."
    )


def test_range_text_of_a_single_suppressed_value():
    # low == high: one value, not "between 5 and 5".
    assert Policy(low=5, high=5).range_text() == "5"
    assert Policy(low=5, high=5, zero="suppress").range_text() == "0 or 5"
    assert Policy(low=2, high=5).range_text() == "between 2 and 5"


@pytest.mark.parametrize(
    ("policy", "published", "expected"),
    [
        # NHS (1-7 as *, others to the nearest 5, halves up): 15 is published for 13..17
        # (12.5 would be the lower half-way point; 13 + 2 = 15, 17 + 2 = 19 -> 15),
        # 10 for 8..12 (8 is the first count shown), 0 only for 0 (1-7 are suppressed).
        ("nhs", 15, (13, 17)),
        ("nhs", 10, (8, 12)),
        ("nhs", 0, (0, 0)),
        # ONS 10-5 (1-9 as *, nearest 5): 10 stands for 10..12 only (8 and 9 are suppressed)
        ("ons_10_5", 10, (10, 12)),
        # DfE (1-5 as *, exact otherwise): a published count is the count
        ("dfe", 6, (6, 6)),
        ("dfe", 41, (41, 41)),
    ],
)
def test_true_range_is_every_count_published_as_that_value(policy, published, expected):
    rules = get_policy(policy)
    assert rules.true_range(published) == expected
    # independently: the counts 0..60 that this policy publishes as the value
    assert expected == (
        min(n for n in range(61) if protect_count(n, policy) == published),
        max(n for n in range(61) if protect_count(n, policy) == published),
    )


def test_true_range_refuses_a_value_never_published():
    with pytest.raises(ValueError, match="12 is not a count that this policy publishes"):
        get_policy("nhs").true_range(12)
