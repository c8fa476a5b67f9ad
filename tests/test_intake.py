"""Intake: validation with clear messages, pseudonymisation, locality partitions, reuse."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pandas as pd
import pytest

from evalkit.config import load_spec
from evalkit.exceptions import DataError, PrivacyError
from evalkit.intake import load_partition, partition_path, prepare, pseudonym
from evalkit.intake.partitions import validate_inputs
from evalkit.intake.pseudonymise import load_key, pseudonymise


def _edit_csv(path: Path, change) -> None:
    df = pd.read_csv(path, dtype=str)
    changed = change(df)
    (df if changed is None or not isinstance(changed, pd.DataFrame) else changed).to_csv(
        path, index=False
    )


def test_prepare_writes_one_partition_per_locality_and_pseudonymises(fresh_project: Path) -> None:
    spec = load_spec(fresh_project)
    result = prepare(spec)
    assert not result.reused
    raw = pd.read_csv(spec.data_files()["service_users"], dtype=str)
    for code in spec.localities:
        assert partition_path(spec.processed_folder, "service_users", code).is_file()
        part = load_partition(spec, "service_users", code)
        assert (part["locality_code"] == code).all()
        expected = raw.loc[raw["locality_code"] == code, "person_id"].map(
            lambda v: pseudonym(v, load_key(), prefix="p-")
        )
        assert sorted(part["person_id"]) == sorted(expected)
        assert not part["person_id"].isin(raw["person_id"]).any()  # no raw identifier survives
    # comparison localities appear in the time series only
    assert partition_path(spec.processed_folder, "timeseries", "E10000016").is_file()
    assert not partition_path(spec.processed_folder, "service_users", "E10000016").exists()


def test_prepare_is_skipped_when_nothing_changed_and_redone_when_data_change(fresh_project) -> None:
    spec = load_spec(fresh_project)
    first = prepare(spec)
    again = prepare(spec)
    assert again.reused and again.partitions == first.partitions
    path = spec.data_files()["service_users"]
    df = pd.read_csv(path, dtype=str)
    idx = df.index[df["locality_code"] == "E08000012"][0]
    df.loc[idx, "wellbeing_start"] = "20" if df.loc[idx, "wellbeing_start"] != "20" else "21"
    df.to_csv(path, index=False)
    changed = prepare(spec)
    assert not changed.reused
    assert (
        changed.partitions["service_users"]["E08000012"]
        != first.partitions["service_users"]["E08000012"]
    )
    assert (
        changed.partitions["service_users"]["E09000028"]
        == first.partitions["service_users"]["E09000028"]
    )


def test_wrong_type_names_file_row_column_value_and_expectation(fresh_project) -> None:
    spec = load_spec(fresh_project)
    path = spec.data_files()["service_users"]
    _edit_csv(
        path,
        lambda d: d.__setitem__("wellbeing_start", d["wellbeing_start"].where(d.index != 4, "abc")),
    )
    with pytest.raises(DataError) as err:
        prepare(spec)
    message = str(err.value)
    assert "service_users.csv" in message and "row 6" in message
    assert (
        "'wellbeing_start'" in message
        and "'abc'" in message
        and "a number from 7 to 35" in message
        and "outcomes[2].before" in message  # the spec field that names the column
    )
    assert not spec.processed_folder.exists()  # nothing half-written


def test_score_out_of_range_and_bad_category(fresh_project) -> None:
    spec = load_spec(fresh_project)
    path = spec.data_files()["service_users"]
    _edit_csv(
        path, lambda d: d.__setitem__("wellbeing_end", d["wellbeing_end"].where(d.index != 0, "36"))
    )
    with pytest.raises(DataError, match=r"row 2, column 'wellbeing_end': value '36'"):
        validate_inputs(spec)
    _edit_csv(path, lambda d: d.__setitem__("wellbeing_end", "20"))
    _edit_csv(path, lambda d: d.__setitem__("sex", d["sex"].where(d.index != 9, "F")))
    with pytest.raises(DataError, match=r"row 11, column 'sex': value 'F' .*'Female', 'Male'"):
        validate_inputs(spec)


def test_missing_column_is_named(fresh_project) -> None:
    spec = load_spec(fresh_project)
    _edit_csv(spec.data_files()["reviews"], lambda d: d.drop(columns="review_date"))
    with pytest.raises(
        DataError,
        match=r"reviews.csv: column 'review_date' named in spec field sources.reviews.columns.date "
        r"is not in the file; the file has: person_id",
    ):
        prepare(spec)


def test_unreadable_encoding_is_explained(fresh_project) -> None:
    spec = load_spec(fresh_project)
    path = spec.data_files()["costs"]
    path.write_bytes(path.read_bytes().replace(b"delivery", "d\xe9livery".encode("latin-1"), 1))
    with pytest.raises(DataError, match=r"costs.csv, line 2: byte 0xe9 is not UTF-8"):
        prepare(spec)


def test_unknown_locality_code_in_data_names_the_row(fresh_project) -> None:
    spec = load_spec(fresh_project)
    _edit_csv(
        spec.data_files()["service_users"],
        lambda d: d.__setitem__("locality_code", d["locality_code"].where(d.index != 2, "X123")),
    )
    with pytest.raises(DataError, match=r"row 4, column 'locality_code': value 'X123'"):
        prepare(spec)


def test_locality_in_spec_without_data_is_an_error(fresh_project) -> None:
    spec = load_spec(fresh_project)
    for source in ("service_users", "reviews"):
        _edit_csv(
            spec.data_files()[source],
            lambda d: d.drop(index=d.index[d["locality_code"] == "E06000017"]),
        )
    with pytest.raises(DataError, match=r"no people served in locality E06000017 \(Rutland\)"):
        prepare(spec)


def test_missing_key_is_a_privacy_error_naming_how_to_fix(
    fresh_project, monkeypatch, tmp_path
) -> None:
    monkeypatch.delenv("EVALKIT_PSEUDONYM_KEY")
    monkeypatch.setenv("EVALKIT_KEY_FILE", str(tmp_path / "absent.key"))
    with pytest.raises(PrivacyError, match="EVALKIT_PSEUDONYM_KEY"):
        prepare(load_spec(fresh_project))


def test_short_key_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", "short")
    with pytest.raises(PrivacyError, match="at least 16"):
        load_key()


def test_pseudonyms_are_stable_keyed_and_not_the_identifier() -> None:
    a = pseudonym("FS000001", b"k" * 32, prefix="p-")
    assert a == pseudonym("FS000001", b"k" * 32, prefix="p-")
    assert a != pseudonym("FS000001", b"j" * 32, prefix="p-")
    assert "FS000001" not in a and a.startswith("p-") and len(a) == 14


# Known answers for pseudonym() = prefix + first 12 hex digits of HMAC-SHA256(key, identifier),
# the identifier as stripped text in UTF-8. Computed once outside Python, on the command line:
#   printf '%s' FS000001 | openssl dgst -sha256 -hmac evalkit-known-answer-key-0001
#   printf '%s' 12345    | openssl dgst -sha256 -hmac evalkit-known-answer-key-0001
KNOWN_KEY = "evalkit-known-answer-key-0001"
OPENSSL_HMAC = {
    "FS000001": "f332394a63a838577e5ae9903a5a508ea54351305599c0ebf826ee4f9d7df231",
    "12345": "7cb9fa44b00c00b2f076677206fc3974fcbb2b5b99aa2edbf3ed48090af1ffbc",
}


def test_pseudonym_matches_published_and_openssl_known_answers(monkeypatch) -> None:
    # RFC 4231, section 4.3 (test case 2): HMAC-SHA256, key "Jefe", data
    # "what do ya want for nothing?".
    rfc = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert pseudonym("what do ya want for nothing?", b"Jefe", length=64) == rfc
    key = KNOWN_KEY.encode()
    for identifier, digest in OPENSSL_HMAC.items():
        # hashlib/hmac in the test, the openssl digest and pseudonym() agree.
        by_hand = hmac.new(key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()
        assert by_hand == digest
        assert pseudonym(identifier, key, prefix="p-") == "p-" + digest[:12]
    # Surrounding spaces are stripped and a number is hashed as its decimal text.
    assert pseudonym("  FS000001 ", key) == OPENSSL_HMAC["FS000001"][:12]
    assert pseudonym(12345, key, prefix="c-", length=16) == "c-" + OPENSSL_HMAC["12345"][:16]
    # pseudonymise() with the key from the environment gives the same, and keeps missing values.
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", KNOWN_KEY)
    out = pseudonymise(pd.DataFrame({"person_id": ["FS000001", None]}), {"person_id": "p-"})
    assert out["person_id"].iloc[0] == "p-f332394a63a8"
    assert out["person_id"].isna().iloc[1]
