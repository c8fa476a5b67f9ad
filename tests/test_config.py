"""Programme specs: the demo spec loads; every kind of mistake gets one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evalkit.config import load_spec
from evalkit.exceptions import ConfigError


def _write(tmp_path: Path, spec_path: Path, change) -> Path:
    raw = yaml.safe_load(spec_path.read_text())
    change(raw)
    target = tmp_path / "spec.yaml"
    target.write_text(yaml.safe_dump(raw, sort_keys=False))
    return target


def test_demo_spec_loads_with_paths_from_the_project_folder(demo_spec_path: Path) -> None:
    spec = load_spec(demo_spec_path)
    assert spec.programme == "family-support"
    assert len(spec.localities) == 14
    assert spec.project_root == demo_spec_path.parents[3]
    assert spec.data_files()["service_users"].is_file()
    assert spec.output_folder == spec.project_root / "reports" / "family-support"
    assert spec.outcomes[0].name == "Stable housing"
    wellbeing = next(o for o in spec.outcomes if o.name == "Wellbeing")
    assert wellbeing.kind == "scale" and wellbeing.reliability == 0.84
    assert spec.locality_name("E08000012") == "Liverpool"  # from the shipped list
    assert spec.people_source == "service_users"
    assert spec.eligible_population.source == "comparison_group"


def test_misspelt_field_is_named_with_a_suggestion(tmp_path, demo_spec_path) -> None:
    path = _write(tmp_path, demo_spec_path, lambda r: r.update(localites=r.pop("localities")))
    with pytest.raises(ConfigError) as err:
        load_spec(path)
    message = str(err.value)
    assert (
        "spec.yaml" in message
        and "'localites'" in message
        and "did you mean 'localities'" in message
    )


def test_misspelt_nested_field_is_named(tmp_path, demo_spec_path) -> None:
    path = _write(tmp_path, demo_spec_path, lambda r: r["outcomes"][2].update(reliabilty=0.8))
    with pytest.raises(ConfigError, match=r"outcomes\[2\].reliabilty.*did you mean 'reliability'"):
        load_spec(path)


def test_missing_field_is_named(tmp_path, demo_spec_path) -> None:
    path = _write(tmp_path, demo_spec_path, lambda r: r.pop("title"))
    with pytest.raises(ConfigError, match=r"required field 'title' is missing"):
        load_spec(path)


def test_unknown_locality_code_asks_for_its_name(tmp_path, demo_spec_path) -> None:
    path = _write(tmp_path, demo_spec_path, lambda r: r["localities"].__setitem__(2, "E08000999"))
    with pytest.raises(ConfigError) as err:
        load_spec(path)
    assert "localities.E08000999" in str(err.value) and "give its name" in str(err.value)


def test_wrong_type_and_range_are_explained(tmp_path, demo_spec_path) -> None:
    path = _write(tmp_path, demo_spec_path, lambda r: r["outcomes"][2].update(reliability=1.3))
    with pytest.raises(ConfigError, match=r"outcomes\[2\].reliability.*1.3.*less than 1"):
        load_spec(path)


def test_unknown_disclosure_policy_lists_the_known_ones(tmp_path, demo_spec_path) -> None:
    path = _write(tmp_path, demo_spec_path, lambda r: r["disclosure"].update(policy="nsh"))
    with pytest.raises(ConfigError, match=r"disclosure.policy.*nsh.*nhs"):
        load_spec(path)


def test_bad_yaml_names_the_line(tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("programme: x\ntitle: [unclosed\nlocalities: []\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: not valid YAML at line \d+"):
        load_spec(path)


def test_missing_spec_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_spec(tmp_path / "nope.yaml")


def test_locality_code_stays_a_string_even_if_it_looks_numeric(tmp_path, demo_spec_path) -> None:
    spec = load_spec(demo_spec_path)
    assert all(isinstance(c, str) for c in spec.localities)


def test_a_misspelt_ons_code_is_caught(tmp_path, demo_spec_path) -> None:
    # a user trial: E0700123 (a digit short) was taken as a custom area's code
    path = _write(tmp_path, demo_spec_path, lambda r: r.update(localities={"E0700123": "Preston"}))
    with pytest.raises(ConfigError) as err:
        load_spec(path)
    assert str(err.value).endswith(
        "localities.E0700123: 'E0700123' looks like an ONS code but has 7 digits; ONS local "
        "authority codes are a letter and 8 digits (such as E07000123)"
    )


@pytest.mark.parametrize(
    ("written", "advice"),
    [
        ("31/03/2025", "expected a date written YYYY-MM-DD: write 2025-03-31"),  # only d/m
        ("03/31/2025", "expected a date written YYYY-MM-DD: write 2025-03-31"),  # only m/d
        (
            "03/04/2025",  # 3 April or 4 March: never guessed
            "expected a date written YYYY-MM-DD (it could be read as day/month or month/day, "
            "so evalkit does not guess)",
        ),
        ("March 2025", "expected a date written YYYY-MM-DD"),
    ],
)
def test_a_spec_date_in_another_format_is_explained(tmp_path, demo_spec_path, written, advice):
    path = _write(tmp_path, demo_spec_path, lambda r: r["reporting_period"].update(end=written))
    with pytest.raises(ConfigError) as err:
        load_spec(path)
    assert str(err.value) == (
        f"{path}: field 'reporting_period.end' has value {written!r}: {advice}"
    )
