"""Sentences that state a result, written from the numbers.

A notebook must never hard-code a conclusion ("the campaign pays", "the model recovers the
truth"): on another world, or with another seed, the numbers change and the sentence would lie.
These helpers turn an estimate and its interval into the sentence that the numbers support,
so a notebook prints the verdict instead of restating it in markdown.

- :func:`versus_truth`: an estimate with its interval against the world's true value:
  covered, or missed, on which side and by how much.
- :func:`effect_sign`: an effect with its interval: positive, negative, or not
  distinguishable from zero.
- :func:`roi_sign`: a return on investment with its interval: pays, loses money, or cannot
  tell.

Each returns a :class:`Verdict`, whose ``outcome`` is a short code a test can check and whose
``sentence`` is what the notebook prints (Jupyter shows it as markdown).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from ._results import Result
from ._validation import check_ci

__all__ = ["Verdict", "versus_truth", "effect_sign", "roi_sign"]


@dataclass(frozen=True, repr=False)
class Verdict(Result):
    """A result stated in one sentence, with the numbers it was written from.

    The kit's result object for a conclusion: frozen fields, a short ``repr``, ``to_frame()``;
    ``str(verdict)`` and Jupyter's display are the sentence.

    Attributes
    ----------
    kind : str
        ``"truth"``, ``"effect"`` or ``"roi"``: which helper wrote it.
    outcome : str
        ``"covered"``, ``"missed_above"``, ``"missed_below"`` (truth); ``"positive"``,
        ``"negative"``, ``"inconclusive"`` (effect); ``"pays"``, ``"loses"``,
        ``"inconclusive"`` (ROI).
    label : str
        What was estimated, as the sentence names it.
    estimate : float
    ci : tuple of float
        The interval ``(ci_low, ci_high)``.
    level : float
        Its confidence level, e.g. 0.95.
    reference : float
        The true value (truth) or zero (effect, ROI).
    sentence : str

    Examples
    --------
    >>> v = effect_sign("the lift", 0.05, (0.01, 0.09))
    >>> v
    Verdict(kind='effect', outcome='positive', label='the lift', estimate=0.05, ci=(0.01, 0.09), level=0.95, reference=0, sentence='The lift is 0.05 (95% CI 0.01 to 0.09): positive, the whole interval lies above zero.')
    >>> v.to_frame()[["outcome", "estimate", "ci_low", "ci_high"]]
        outcome  estimate  ci_low  ci_high
    0  positive      0.05    0.01     0.09
    """

    kind: str
    outcome: str
    label: str
    estimate: float
    ci: tuple
    level: float
    reference: float
    sentence: str

    def __str__(self) -> str:
        return self.sentence

    def _repr_markdown_(self) -> str:
        return self.sentence

    def to_frame(self):
        """One row: kind, outcome, label, estimate, ci_low, ci_high, level, reference, sentence."""
        import pandas as pd

        return pd.DataFrame({"kind": [self.kind], "outcome": [self.outcome], "label": [self.label],
                             "estimate": [self.estimate], "ci_low": [self.ci[0]], "ci_high": [self.ci[1]],
                             "level": [self.level], "reference": [self.reference],
                             "sentence": [self.sentence]})


def _real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number; got {value!r}.")
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be a finite number; got {value!r}.")
    return float(value)


def _interval(estimate, ci, level) -> tuple[float, tuple[float, float], float]:
    estimate = _real("estimate", estimate)
    try:
        low, high = ci
    except (TypeError, ValueError):
        raise TypeError(f"`ci` must be a pair (ci_low, ci_high); got {ci!r}.") from None
    low, high = _real("ci[0]", low), _real("ci[1]", high)
    if low > high:
        raise ValueError(f"`ci` must have ci_low <= ci_high; got ({low}, {high}).")
    level = check_ci(level, "level")
    return estimate, (low, high), level


def _side_of_zero(ci, words: dict):
    """``words["above"]``, ``["below"]`` or ``["across"]``: where the closed interval lies against zero."""
    return words["above"] if ci[0] > 0 else words["below"] if ci[1] < 0 else words["across"]


def _describe(label, estimate, ci, level, fmt, unit) -> str:
    f = _formatter(fmt, unit)
    return f"{label} is {f(estimate)} ({level:.0%} CI {f(ci[0])} to {f(ci[1])})"


def _formatter(fmt: str, unit: str):
    return lambda x: f"{format(x, fmt)}{unit}"


def versus_truth(label: str, estimate, ci, truth, *, level: float = 0.95, fmt: str = ".3g",
                 unit: str = "") -> Verdict:
    """Whether an interval covers the world's true value, and if not by how much.

    Parameters
    ----------
    label : str
        What was estimated, e.g. ``"BG/NBD's r"``.
    estimate : float
    ci : tuple of float
        ``(ci_low, ci_high)``, closed: a bound equal to the truth covers it.
    truth : float
        The value in the world's truth file.
    level : float, default=0.95
        The interval's confidence level (in [0.5, 0.9999]), stated in the sentence.
    fmt : str, default=".3g"
        Format spec for the numbers (``format(x, fmt)``).
    unit : str, default=""
        Appended to every number, e.g. ``" EUR"`` or ``" pp"``.

    Returns
    -------
    Verdict
        ``outcome`` is ``"covered"``, ``"missed_above"`` (the whole interval lies above the
        truth) or ``"missed_below"``. A miss states the gap between the truth and the nearer
        bound and the estimate's error relative to the truth.

    Examples
    --------
    >>> print(versus_truth("r", 0.26, (0.22, 0.30), 0.24))
    The estimate of r is 0.26 (95% CI 0.22 to 0.3); the interval covers the true value 0.24.
    >>> versus_truth("alpha", 8.5, (8.1, 9.0), 6.0).outcome
    'missed_above'
    """
    estimate, ci, level = _interval(estimate, ci, level)
    truth = _real("truth", truth)
    f = _formatter(fmt, unit)
    head = f"The estimate of {_describe(label, estimate, ci, level, fmt, unit)}"
    if ci[0] <= truth <= ci[1]:
        outcome = "covered"
        sentence = f"{head}; the interval covers the true value {f(truth)}."
    else:
        outcome = "missed_above" if ci[0] > truth else "missed_below"
        side, gap = ("above", ci[0] - truth) if outcome == "missed_above" else ("below", truth - ci[1])
        error = estimate - truth
        relative = f" ({error / abs(truth):+.0%} of it)" if truth != 0 else ""
        sentence = (f"{head}; the interval misses the true value {f(truth)}: it lies {f(gap)} {side} it, "
                    f"and the estimate is off by {format(error, '+' + fmt)}{unit}{relative}.")
    return Verdict("truth", outcome, label, estimate, ci, level, truth, sentence)


def effect_sign(label: str, estimate, ci, *, level: float = 0.95, fmt: str = ".3g", unit: str = "") -> Verdict:
    """Whether an effect is positive, negative, or not distinguishable from zero.

    The effect is called positive (negative) only when its whole interval lies above (below)
    zero; an interval that contains zero is ``"inconclusive"``, whatever the point estimate:
    the data are then consistent with no effect at all.

    Parameters
    ----------
    label : str
        The effect, e.g. ``"the e-mail's lift in retention"``.
    estimate, ci, level, fmt, unit
        As in :func:`versus_truth`.

    Returns
    -------
    Verdict
        ``outcome`` is ``"positive"``, ``"negative"`` or ``"inconclusive"``.

    Examples
    --------
    >>> effect_sign("the lift", 0.031, (-0.004, 0.066), unit=" pp").outcome
    'inconclusive'
    >>> print(effect_sign("the lift", 0.05, (0.01, 0.09)))
    The lift is 0.05 (95% CI 0.01 to 0.09): positive, the whole interval lies above zero.
    """
    estimate, ci, level = _interval(estimate, ci, level)
    head = _describe(label, estimate, ci, level, fmt, unit)
    head = head[:1].upper() + head[1:]
    outcome, tail = _side_of_zero(ci, {
        "above": ("positive", "positive, the whole interval lies above zero"),
        "below": ("negative", "negative, the whole interval lies below zero"),
        "across": ("inconclusive", "not distinguishable from zero, the interval contains zero")})
    return Verdict("effect", outcome, label, estimate, ci, level, 0.0, f"{head}: {tail}.")


def roi_sign(label: str, roi, ci, *, level: float = 0.95, fmt: str = ".0%", unit: str = "") -> Verdict:
    """Whether a campaign pays: the sign of its return on investment, with its interval.

    ROI is (incremental margin - cost) / cost, so zero is break-even. The campaign "pays" only
    when the whole interval lies above zero and "loses money" only when it lies below; an
    interval across zero means the data cannot tell.

    Parameters
    ----------
    label : str
        The campaign, e.g. ``"the retention call"``.
    roi : float
        Return on investment as a fraction (0.25 is 25 %).
    ci, level, unit
        As in :func:`versus_truth`.
    fmt : str, default=".0%"
        Format spec for the numbers.

    Returns
    -------
    Verdict
        ``outcome`` is ``"pays"``, ``"loses"`` or ``"inconclusive"``.

    Examples
    --------
    >>> print(roi_sign("The call", -0.42, (-0.61, -0.20)))
    The ROI of the call is -42% (95% CI -61% to -20%): it loses money, the whole interval lies below break-even.
    """
    roi, ci, level = _interval(roi, ci, level)
    name = label[:1].lower() + label[1:] if label[:4].lower() == "the " else label
    head = f"The ROI of {_describe(name, roi, ci, level, fmt, unit)}"
    outcome, tail = _side_of_zero(ci, {
        "above": ("pays", "it pays, the whole interval lies above break-even"),
        "below": ("loses", "it loses money, the whole interval lies below break-even"),
        "across": ("inconclusive", "the data cannot tell whether it pays, the interval contains break-even")})
    return Verdict("roi", outcome, label, roi, ci, level, 0.0, f"{head}: {tail}.")
