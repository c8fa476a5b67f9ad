"""Coding reflections: the codebook, suggested codes, theme counts and co-occurrence.

People code reflections (:meth:`ReflectionStore.assign_code`); evalkit only *suggests* codes
(:func:`suggest_codes`) and never applies one itself. Theme counts pass through small-number
disclosure control (:func:`evalkit.disclosure.protect`) before they can be shown.

Every function here takes DataFrames: ``reflections`` as returned by
:meth:`ReflectionStore.shareable` (redacted text, consented and reviewed records only) and
``codings`` as returned by :meth:`ReflectionStore.codings`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from evalkit._validate import require_columns
from evalkit.disclosure import Protected, protect
from evalkit.exceptions import ConfigError, DataError
from evalkit.learning.records import SLOTS, Code, validate

__all__ = [
    "check_codebook",
    "co_occurrence",
    "coder_agreement",
    "load_codebook",
    "quotes_for",
    "suggest_codes",
    "tfidf_matrix",
    "theme_counts",
]

_STOPWORD_TEXT = (
    "a about after again all also an and any are as at be because been before being but by can "
    "could did do does doing for from had has have he her here him his how i if in into is it its "
    "just more most my no not of on once only or other our out over own same she so some such than "
    "that the their them then there these they this those through to too under until up very was "
    "we were what when where which while who whom why will with would you your"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def check_codebook(codes: Iterable[Code | dict[str, Any]]) -> list[Code]:
    """Validate codes: unique names, every parent in the codebook, no code its own ancestor."""
    items = [
        validate(Code, c if isinstance(c, Code) else dict(c), source="codebook") for c in codes
    ]
    names = [c.name for c in items]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"codebook: code name {repeated[0]!r} appears more than once")
    parents = {c.name: c.parent for c in items}
    for code in items:
        if code.parent is not None and code.parent not in parents:
            raise ConfigError(
                f"codebook: code {code.name!r} has parent {code.parent!r}, which is not a code; "
                f"expected one of {', '.join(names)}"
            )
        seen, node = {code.name}, code.parent
        while node is not None:
            if node in seen:
                raise ConfigError(f"codebook: code {code.name!r} is its own ancestor via {node!r}")
            seen.add(node)
            node = parents[node]
    return items


def load_codebook(path: str | Path) -> list[Code]:
    """Read a codebook YAML: a list (or ``codes:`` list) of ``{name, definition, parent}``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"codebook file {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"codebook file {str(path)!r} is not valid YAML: {exc}") from None
    if isinstance(data, dict):
        data = data.get("codes")
    if not isinstance(data, list):
        raise ConfigError(
            f"codebook file {str(path)!r} must hold a list of codes (name, definition, parent)"
        )
    return check_codebook(data)


def _tokens(text: str) -> list[str]:
    words = re.findall(r"[a-z]+", str(text).lower())
    out = []
    for w in words:
        if len(w) < 3 or w in _STOPWORDS:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                w = w[: -len(suffix)]
                break
        out.append(w)
    return out


def tfidf_matrix(documents: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """TF-IDF vectors of ``documents`` (rows L2-normalised) and the vocabulary.

    Notes
    -----
    Term frequency is the raw count of a (lower-cased, stop-word-free, suffix-stripped) word in a
    document; the inverse document frequency is smoothed,
    :math:`\\mathrm{idf}(t) = \\ln\\frac{1 + n}{1 + \\mathrm{df}(t)} + 1`, with ``n`` documents of
    which ``df(t)`` contain ``t``; each row is divided by its Euclidean norm, so the dot product
    of two rows is their cosine similarity (Manning, Raghavan and Schütze 2008, Introduction to
    Information Retrieval, ch. 6).
    """
    tokenised = [_tokens(d) for d in documents]
    vocabulary = sorted({t for doc in tokenised for t in doc})
    index = {t: i for i, t in enumerate(vocabulary)}
    counts = np.zeros((len(documents), len(vocabulary)))
    for row, doc in enumerate(tokenised):
        for token in doc:
            counts[row, index[token]] += 1
    df = (counts > 0).sum(axis=0)
    idf = np.log((1 + len(documents)) / (1 + df)) + 1
    weights = counts * idf
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    return np.divide(weights, norms, out=np.zeros_like(weights), where=norms > 0), vocabulary


def suggest_codes(
    reflections: pd.DataFrame,
    codebook: Sequence[Code],
    *,
    top: int = 3,
    min_score: float = 0.05,
) -> pd.DataFrame:
    """Suggest codes for each reflection by TF-IDF similarity - suggestions only, never applied.

    Each reflection's four slots and each code's name and definition are turned into TF-IDF
    vectors over one shared vocabulary; a code is suggested when the cosine similarity reaches
    ``min_score``. A person decides whether to apply it (:meth:`ReflectionStore.assign_code`).

    Returns
    -------
    DataFrame
        ``id``, ``code``, ``score`` (cosine similarity, 0-1) and ``shared_words``, best first
        within each reflection, at most ``top`` per reflection.
    """
    require_columns(reflections, ["id", *SLOTS], source="reflections")
    columns = ["id", "code", "score", "shared_words"]
    if reflections.empty or not codebook:
        return pd.DataFrame(columns=columns)
    texts = reflections[list(SLOTS)].fillna("").astype(str).agg(" ".join, axis=1).tolist()
    code_texts = [f"{c.name.replace('_', ' ')} {c.definition}" for c in codebook]
    matrix, vocabulary = tfidf_matrix([*texts, *code_texts])
    docs, codes = matrix[: len(texts)], matrix[len(texts) :]
    scores = docs @ codes.T
    rows = []
    for i, rid in enumerate(reflections["id"]):
        order = np.argsort(-scores[i], kind="stable")[:top]
        for j in order:
            if scores[i, j] >= min_score:
                shared = [vocabulary[k] for k in np.flatnonzero((docs[i] > 0) & (codes[j] > 0))]
                rows.append((int(rid), codebook[j].name, round(float(scores[i, j]), 4), shared))
    return pd.DataFrame(rows, columns=columns)


def _coded(reflections: pd.DataFrame, codings: pd.DataFrame) -> pd.DataFrame:
    require_columns(codings, ["reflection_id", "code"], source="codings")
    require_columns(reflections, ["id"], source="reflections")
    pairs = codings[["reflection_id", "code"]].drop_duplicates()
    return pairs.merge(reflections, left_on="reflection_id", right_on="id", how="inner")


def theme_counts(
    reflections: pd.DataFrame,
    codings: pd.DataFrame,
    by: Sequence[str] = ("locality", "period", "role"),
    *,
    policy: Any = "nhs",
    warn: bool = True,
) -> Protected:
    """How many reflections, and how many distinct authors, touched each theme (code), by group.

    Parameters
    ----------
    reflections
        Shareable reflections (:meth:`ReflectionStore.shareable`), with ``author`` pseudonyms.
    codings
        Codes applied by people (:meth:`ReflectionStore.codings`).
    by
        Attributes to break the counts down by (any of locality, period, role, system_scale,
        learning_cycle, template); an empty tuple gives one row per code.
    policy
        Disclosure policy for :func:`evalkit.disclosure.protect` (default NHS England: 1-7
        suppressed, other counts rounded to the nearest 5).
    warn
        Issue a DisclosureWarning when cells were suppressed (the review shows ``summary()``
        instead).

    Returns
    -------
    Protected
        ``.table`` is safe to publish; ``.audit`` lists the cells changed (never publish it).
    """
    by = list(by)
    require_columns(reflections, ["id", "author", *by], source="reflections")
    coded = _coded(reflections, codings)
    keys = ["code", *by]
    table = (
        coded.groupby(keys, dropna=False)
        .agg(reflections=("reflection_id", "nunique"), authors=("author", "nunique"))
        .astype("int64")
    )
    if table.empty:
        table = pd.DataFrame(
            {"reflections": pd.Series(dtype="int64"), "authors": pd.Series(dtype="int64")},
            index=pd.MultiIndex.from_arrays([[] for _ in keys], names=keys),
        )
    return protect(table, policy, counts=["reflections", "authors"], unit="reflections", warn=warn)


def co_occurrence(reflections: pd.DataFrame, codings: pd.DataFrame) -> pd.DataFrame:
    """For each pair of codes, how often they were applied to the same reflection.

    Returns
    -------
    DataFrame
        One row per pair ``code_a < code_b`` that co-occurs at least once: ``n_a`` and ``n_b``
        (reflections coded a, b), ``both`` (coded with both: the raw count), ``share_of_a``
        (both / n_a: of the reflections coded a, the share also coded b) and ``share_of_b``
        (both / n_b). Raw counts: pass them through :func:`evalkit.disclosure.protect` before
        publishing.
    """
    coded = _coded(reflections, codings)
    columns = ["code_a", "code_b", "n_a", "n_b", "both", "share_of_a", "share_of_b"]
    if coded.empty:
        return pd.DataFrame(columns=columns)
    incidence = pd.crosstab(coded["reflection_id"], coded["code"]).clip(upper=1)
    names = list(incidence.columns)
    matrix = incidence.to_numpy(dtype=np.int64)
    both = matrix.T @ matrix
    n = np.diag(both)
    rows = []
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            if both[a, b]:
                rows.append(
                    (
                        names[a],
                        names[b],
                        int(n[a]),
                        int(n[b]),
                        int(both[a, b]),
                        both[a, b] / n[a],
                        both[a, b] / n[b],
                    )
                )
    return pd.DataFrame(rows, columns=columns)


def coder_agreement(codings: pd.DataFrame, coder_a: str, coder_b: str) -> pd.DataFrame:
    r"""Agreement between two coders, code by code: raw agreement and Cohen's kappa.

    Only reflections that both coders coded (applied at least one code to) are compared; a code
    counts as applied to a reflection if the coder applied it to any slot.

    Returns
    -------
    DataFrame
        ``code``, ``n`` (reflections both coded), ``both``, ``a_only``, ``b_only``, ``neither``,
        ``agreement`` (share of reflections where the coders agree) and ``kappa`` (NaN when
        chance agreement is 1, i.e. both coders applied the code everywhere or nowhere).

    Notes
    -----
    Cohen's kappa :math:`\kappa = (p_o - p_e) / (1 - p_e)`, with observed agreement
    :math:`p_o` and chance agreement :math:`p_e = p_a p_b + (1 - p_a)(1 - p_b)` from each coder's
    share of reflections given the code (Cohen J (1960), Educational and Psychological
    Measurement 20(1):37-46, doi:10.1177/001316446002000104). It describes agreement about a
    code's meaning, to refine the codebook; it is not a rating of the coders.
    """
    require_columns(codings, ["reflection_id", "code", "coder"], source="codings")
    columns = ["code", "n", "both", "a_only", "b_only", "neither", "agreement", "kappa"]
    mine = codings[codings["coder"].isin([coder_a, coder_b])]
    coded = [set(mine.loc[mine["coder"] == c, "reflection_id"]) for c in (coder_a, coder_b)]
    common = sorted(coded[0] & coded[1])
    if not common:
        return pd.DataFrame(columns=columns)
    rows = []
    for code in sorted(mine["code"].unique()):
        here = mine[mine["code"] == code]
        a = np.isin(common, here.loc[here["coder"] == coder_a, "reflection_id"])
        b = np.isin(common, here.loc[here["coder"] == coder_b, "reflection_id"])
        n = len(common)
        p_o = float(np.mean(a == b))
        p_e = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
        kappa = (p_o - p_e) / (1 - p_e) if p_e < 1 else float("nan")
        rows.append(
            (
                code,
                n,
                int((a & b).sum()),
                int((a & ~b).sum()),
                int((~a & b).sum()),
                int((~a & ~b).sum()),
                p_o,
                kappa,
            )
        )
    return pd.DataFrame(rows, columns=columns)


def quotes_for(
    code: str, reflections: pd.DataFrame, codings: pd.DataFrame, *, slot: str | None = None
) -> pd.DataFrame:
    """Drill back from a theme to its redacted quotes, attributed by role only."""
    if slot is not None and slot not in SLOTS:
        raise DataError(f"slot must be one of {', '.join(SLOTS)}; got {slot!r}")
    coded = _coded(reflections, codings)
    coded = coded[coded["code"] == code]
    slots = [slot] if slot else list(SLOTS)
    rows = [
        (r["id"], r.get("period", ""), r.get("role", ""), s, r[s])
        for r in coded.to_dict("records")
        for s in slots
        if str(r.get(s) or "").strip()
    ]
    return pd.DataFrame(rows, columns=["id", "period", "role", "slot", "quote"])
