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
- :func:`format_p`: a p-value as a sentence prints it (``"p < 0.001"``, never ``"p = 0"``).

Each returns a :class:`Verdict`, whose ``outcome`` is a short code a test can check and whose
``sentence`` is what the notebook prints (Jupyter shows it as markdown).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._results import Result
from ._validation import check_ci

if TYPE_CHECKING:
    import pandas as pd

    from ._typing import ArrayLike, DateLike


__all__ = ["Verdict", "versus_truth", "effect_sign", "roi_sign", "SalesCurve", "describe_sales", "relative_change",
           "format_p"]


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
        ``"inconclusive"`` (ROI); ``"undefined"`` (any of them) when the estimate or a bound
        of its interval is NaN (a statistic the data cannot give, e.g. a ratio with no events):
        the sentence then says so instead of raising.
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

    def to_frame(self) -> pd.DataFrame:
        """One row: kind, outcome, label, estimate, ci_low, ci_high, level, reference, sentence."""
        import pandas as pd

        return pd.DataFrame({"kind": [self.kind], "outcome": [self.outcome], "label": [self.label],
                             "estimate": [self.estimate], "ci_low": [self.ci[0]], "ci_high": [self.ci[1]],
                             "level": [self.level], "reference": [self.reference],
                             "sentence": [self.sentence]})


def _real(name: str, value, *, allow_nan: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number; got {value!r}.")
    if not math.isfinite(value) and not (allow_nan and math.isnan(value)):
        raise ValueError(f"`{name}` must be a finite number{' or NaN' if allow_nan else ''}; got {value!r}.")
    return float(value)


def _interval(estimate, ci, level) -> tuple[float, tuple[float, float], float]:
    estimate = _real("estimate", estimate, allow_nan=True)
    try:
        low, high = ci
    except (TypeError, ValueError):
        raise TypeError(f"`ci` must be a pair (ci_low, ci_high); got {ci!r}.") from None
    low, high = _real("ci[0]", low, allow_nan=True), _real("ci[1]", high, allow_nan=True)
    if low > high:
        raise ValueError(f"`ci` must have ci_low <= ci_high; got ({low}, {high}).")
    level = check_ci(level, "level")
    return estimate, (low, high), level


def _undefined(kind: str, label: str, estimate: float, ci, level: float, reference: float) -> Verdict | None:
    """The verdict on an estimate or interval that could not be computed (NaN), else None."""
    missing = [name for name, x in (("the estimate", estimate), ("the interval", ci[0] if math.isnan(ci[0]) else ci[1]))
               if math.isnan(x)]
    if not missing:
        return None
    name = label[:1].upper() + label[1:]
    sentence = (f"{name} could not be estimated on these data: {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} undefined, so they support no conclusion.")
    return Verdict(kind, "undefined", label, estimate, ci, level, reference, sentence)


def _side_of_zero(ci, words: dict):
    """``words["above"]``, ``["below"]`` or ``["across"]``: where the closed interval lies against zero."""
    return words["above"] if ci[0] > 0 else words["below"] if ci[1] < 0 else words["across"]


def _describe(label, estimate, ci, level, fmt, unit) -> str:
    f = _formatter(fmt, unit)
    return f"{label} is {f(estimate)} ({level:.0%} CI {f(ci[0])} to {f(ci[1])})"


def _formatter(fmt: str, unit: str):
    return lambda x: f"{format(x, fmt)}{unit}"


def versus_truth(
    label: str,
    estimate: float,
    ci: tuple[float, float],
    truth: float,
    *,
    level: float = 0.95,
    fmt: str = ".3g",
    unit: str = "",
    relative: bool = True,
) -> Verdict:
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
    relative : bool, default=True
        State a miss also as a share of the truth. Set False for a score whose zero is not
        "nothing" (an NPS of 4 is not a small quantity), where a share reads as nonsense.

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
    >>> print(versus_truth("the NPS", 20.7, (17.4, 24.0), 3.8, fmt=".1f", relative=False))
    The estimate of the NPS is 20.7 (95% CI 17.4 to 24.0); the interval misses the true value 3.8: it lies 13.6 above it, and the estimate is off by +16.9.
    """
    estimate, ci, level = _interval(estimate, ci, level)
    truth = _real("truth", truth)
    if (undefined := _undefined("truth", label, estimate, ci, level, truth)) is not None:
        return undefined
    f = _formatter(fmt, unit)
    head = f"The estimate of {_describe(label, estimate, ci, level, fmt, unit)}"
    if ci[0] <= truth <= ci[1]:
        outcome = "covered"
        sentence = f"{head}; the interval covers the true value {f(truth)}."
    else:
        outcome = "missed_above" if ci[0] > truth else "missed_below"
        side, gap = ("above", ci[0] - truth) if outcome == "missed_above" else ("below", truth - ci[1])
        error = estimate - truth
        share = f" ({error / abs(truth):+.0%} of it)" if truth != 0 and relative else ""
        sentence = (f"{head}; the interval misses the true value {f(truth)}: it lies {f(gap)} {side} it, "
                    f"and the estimate is off by {format(error, '+' + fmt)}{unit}{share}.")
    return Verdict("truth", outcome, label, estimate, ci, level, truth, sentence)


def effect_sign(
    label: str,
    estimate: float,
    ci: tuple[float, float],
    *,
    level: float = 0.95,
    fmt: str = ".3g",
    unit: str = "",
) -> Verdict:
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
    if (undefined := _undefined("effect", label, estimate, ci, level, 0.0)) is not None:
        return undefined
    head = _describe(label, estimate, ci, level, fmt, unit)
    head = head[:1].upper() + head[1:]
    outcome, tail = _side_of_zero(ci, {
        "above": ("positive", "positive, the whole interval lies above zero"),
        "below": ("negative", "negative, the whole interval lies below zero"),
        "across": ("inconclusive", "not distinguishable from zero, the interval contains zero")})
    return Verdict("effect", outcome, label, estimate, ci, level, 0.0, f"{head}: {tail}.")


def roi_sign(
    label: str,
    roi: float,
    ci: tuple[float, float],
    *,
    level: float = 0.95,
    fmt: str = ".0%",
    unit: str = "",
) -> Verdict:
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
    if (undefined := _undefined("roi", label, roi, ci, level, 0.0)) is not None:
        return undefined
    name = label[:1].lower() + label[1:] if label[:4].lower() == "the " else label
    head = f"The ROI of {_describe(name, roi, ci, level, fmt, unit)}"
    outcome, tail = _side_of_zero(ci, {
        "above": ("pays", "it pays, the whole interval lies above break-even"),
        "below": ("loses", "it loses money, the whole interval lies below break-even"),
        "across": ("inconclusive", "the data cannot tell whether it pays, the interval contains break-even")})
    return Verdict("roi", outcome, label, roi, ci, level, 0.0, f"{head}: {tail}.")


def format_p(pvalue: float, *, threshold: float = 0.001) -> str:
    """A p-value as a report prints it: ``"p < 0.001"`` below the threshold, else ``"p = 0.023"``.

    A p-value is never zero: printed with too few digits, a tiny one reads ``p = 0``, which
    claims certainty no test gives. Below ``threshold`` only the bound is reported (the
    APA convention); above it, two significant digits.

    Parameters
    ----------
    pvalue : float
        In [0, 1]; NaN (a test the data cannot give) prints as ``"p not available"``.
    threshold : float, default=0.001
        Smallest p-value printed as a number, in (0, 0.1].

    Returns
    -------
    str

    Raises
    ------
    TypeError
        ``pvalue`` is not a number.
    ValueError
        ``pvalue`` outside [0, 1], or ``threshold`` outside (0, 0.1].

    References
    ----------
    American Psychological Association (2020). Publication Manual, 7th ed., section 6.36.

    Examples
    --------
    >>> format_p(0.0), format_p(2.7e-254), format_p(0.0123), format_p(0.23), format_p(0.001)
    ('p < 0.001', 'p < 0.001', 'p = 0.012', 'p = 0.23', 'p = 0.001')
    """
    pvalue = _real("pvalue", pvalue, allow_nan=True)
    threshold = _real("threshold", threshold)
    if not 0 < threshold <= 0.1:
        raise ValueError(f"`threshold` must be in (0, 0.1]; got {threshold!r}.")
    if math.isnan(pvalue):
        return "p not available"
    if not 0 <= pvalue <= 1:
        raise ValueError(f"`pvalue` must be in [0, 1]; got {pvalue!r}.")
    return f"p < {threshold:g}" if pvalue < threshold else f"p = {pvalue:.2g}"


@dataclass(frozen=True, repr=False)
class SalesCurve(Result):
    """What a firm's sales curve shows, in numbers and in the sentences written from them.

    Fields are per-day rates (EUR per day observed), so a month the window covers in part
    counts as much as a whole one. Changes over time compare like with like: the same
    calendar days a year apart, so the season cancels out; a comparison the window is too
    short for is NaN (and its sentence says so) rather than a comparison across seasons.

    Attributes
    ----------
    monthly : DataFrame
        Per month: ``month`` (its first day), ``days`` (days of it in the window),
        ``revenue`` (EUR), ``revenue_per_day``, ``registrations``, ``registrations_per_day``
        and ``launch`` (True for the launch months).
    launch_months : tuple of str
        ``"YYYY-MM"`` of the leading months whose registrations per day exceed
        ``launch_factor`` times the median month's; empty when there are none.
    launch_registrations_share : float
        Share of all registrations made in the launch months (NaN without them).
    launch_revenue_per_day, after_launch_revenue_per_day : float
        Revenue per day in the launch months and in every day after them.
    launch_year_later_per_day : float
        Revenue per day on the launch's calendar days a year later (NaN when the window ends
        before them).
    campaign_start : Timestamp or None
    campaign_days : int
        Days compared on each side of ``campaign_start`` (0 without it).
    before_campaign_per_day, after_campaign_per_day : float
        Revenue per day in the ``campaign_days`` before and from ``campaign_start``.
    year_earlier_before_per_day, year_earlier_after_per_day : float
        The same two periods a year earlier, when both lie after the launch in the window
        (else NaN): how sales moved across the same dates without the campaign.
    early_per_day, late_per_day : float
        The trend, like with like: revenue per day on the ``trend_days`` days after the
        launch whose date a year earlier is also after the launch (``late_per_day``), and on
        those earlier dates (``early_per_day``); NaN when there are fewer than 28 such days.
    trend_days : int
        Days in that comparison (0 when it is not made).
    sentence : str
        The description, one sentence per finding, for the notebook to print.

    Examples
    --------
    >>> days = pd.date_range("2024-01-01", "2025-12-31")
    >>> tx = pd.DataFrame({"date": days, "amount": np.where(days < "2024-03-01", 300.0, 100.0)})
    >>> reg = pd.Series(pd.to_datetime(["2024-01-05"] * 90 + ["2024-02-03"] * 80 + list(days[60::30])))
    >>> curve = describe_sales(tx, registrations=reg)
    >>> curve.launch_months, curve.launch_revenue_per_day, curve.launch_year_later_per_day
    (('2024-01', '2024-02'), 300.0, 100.0)
    >>> curve.trend_days, curve.early_per_day, curve.late_per_day
    (306, 100.0, 100.0)
    """

    monthly: object
    launch_months: tuple
    launch_registrations_share: float
    launch_revenue_per_day: float
    after_launch_revenue_per_day: float
    launch_year_later_per_day: float
    campaign_start: object
    campaign_days: int
    before_campaign_per_day: float
    after_campaign_per_day: float
    year_earlier_before_per_day: float
    year_earlier_after_per_day: float
    early_per_day: float
    late_per_day: float
    trend_days: int
    sentence: str

    def __str__(self) -> str:
        return self.sentence

    def _repr_markdown_(self) -> str:
        return self.sentence


def relative_change(new: float, old: float) -> str:
    """A change from ``old`` to ``new`` in words a sentence can hold, whatever its sign.

    Parameters
    ----------
    new, old : float

    Returns
    -------
    str
        ``"+12%"``, ``"-3%"``, ``"unchanged"`` (within half a percent) or ``"from nothing"``
        (``old`` is 0).

    Examples
    --------
    >>> relative_change(112.0, 100.0), relative_change(97.0, 100.0), relative_change(100.2, 100.0)
    ('+12%', '-3%', 'unchanged')
    """
    if old == 0:
        return "from nothing" if new > 0 else "unchanged"
    rel = new / old - 1
    return "unchanged" if abs(rel) < 0.005 else f"{rel:+.0%}"


#: Fewest days a year apart that make a trend: fewer would let a few weeks stand for a year.
MIN_TREND_DAYS = 28


def _year_apart(daily: pd.Series, later_days, allowed) -> tuple[int, float, float]:
    """Pair each of ``later_days`` with the same calendar day a year earlier, both in ``allowed``.

    Returns the number of pairs and the mean of ``daily`` on the earlier and on the later days
    (NaN, NaN without pairs). 29 February pairs with 28 February.
    """
    import pandas as pd

    later = pd.DatetimeIndex(later_days)
    earlier = later - pd.DateOffset(years=1)
    keep = later.isin(allowed) & earlier.isin(allowed)
    if not keep.any():
        return 0, float("nan"), float("nan")
    return int(keep.sum()), float(daily.reindex(earlier[keep]).mean()), float(daily.reindex(later[keep]).mean())


def describe_sales(transactions: pd.DataFrame, *, registrations: ArrayLike | None = None,
                   window: tuple[DateLike, DateLike] | None = None, campaign_start: DateLike | None = None,
                   date_col: str = "date",
                   value_col: str = "amount", launch_factor: float = 2.0, compare_days: int = 90) -> SalesCurve:
    """Describe a sales curve from its numbers: the launch spike, a campaign's before and after, the trend.

    A notebook prints the sentence instead of describing the curve in markdown, so the
    description holds on any world: a launch spike is reported only when registrations show
    one, a jump at a campaign only with its measured size and sign, and a trend only between
    the same calendar days a year apart (never between months of different seasons).

    Parameters
    ----------
    transactions : DataFrame
        One row per receipt, with ``date_col`` and ``value_col``.
    registrations : array-like of dates, optional
        The customers' registration days (``customers["first_seen"]``): finds the launch
        months. Without it there are no launch months.
    window : (date, date), optional
        First and last observed day (both included); default the first and last receipt.
    campaign_start : date-like, optional
        First day of a campaign (e.g. the retention experiment's first ``assigned_date``).
    date_col, value_col : str
        Column names of ``transactions``.
    launch_factor : float, default=2.0
        A launch month has more than ``launch_factor`` times the median month's
        registrations per day; the launch is the run of such months from the first one.
    compare_days : int, default=90
        Days compared on each side of ``campaign_start`` (fewer when the window is shorter).

    Returns
    -------
    SalesCurve

    Raises
    ------
    TypeError, ValueError
        A missing column, dates that are not dates, a ``campaign_start`` outside the window.

    Notes
    -----
    Every rate is revenue per day observed, so partial months at the window's ends are not
    mistaken for dips. Sales have seasons, so the trend compares each day after the launch
    with the same calendar day a year earlier (a year-over-year change, at least 28 days of
    them), the launch with its calendar days a year later, and the campaign's before and
    after with the same two periods a year earlier. A window shorter than that says so
    instead. A before/after difference at a campaign stays descriptive even then: only a
    randomised control group measures the effect.

    Examples
    --------
    >>> days = pd.date_range("2024-01-01", "2024-12-31")
    >>> tx = pd.DataFrame({"date": days, "amount": np.where(days < "2024-10-01", 100.0, 120.0)})
    >>> curve = describe_sales(tx, campaign_start="2024-10-01")
    >>> curve.before_campaign_per_day, curve.after_campaign_per_day
    (100.0, 120.0)
    >>> print(curve.sentence.split(". ")[1])
    From the campaign's start on 2024-10-01, revenue per day was 120 EUR in the 90 days after it against 100 EUR in the 90 days before (+20%); this before/after difference mixes the campaign's effect with the trend and the season, and the window does not reach back a year to show how the same dates moved without it: only a randomised control group measures the effect
    """
    import numpy as np
    import pandas as pd

    from ._validation import as_dates, as_window, check_frame, check_int, check_number

    check_frame("transactions", transactions, [date_col, value_col])
    launch_factor = check_number("launch_factor", launch_factor, 1.0, 100.0)
    compare_days = check_int("compare_days", compare_days, 1, 3650)
    dates = as_dates("transactions", date_col, transactions[date_col].reset_index(drop=True))
    amounts = transactions[value_col].reset_index(drop=True).astype(float)
    start, end = as_window("window", window) if window is not None else (dates.min(), dates.max())
    days = pd.date_range(start, end, freq="D")
    daily = amounts.groupby(dates).sum().reindex(days, fill_value=0.0)
    month = days.to_period("M")
    regs = pd.Series(0.0, index=days)
    if registrations is not None:
        r = as_dates("registrations", "first_seen", pd.Series(registrations).reset_index(drop=True))
        regs = r.value_counts().reindex(days, fill_value=0).astype(float)
    monthly = pd.DataFrame({"days": daily.groupby(month).size(), "revenue": daily.groupby(month).sum(),
                            "registrations": regs.groupby(month).sum()})
    monthly["revenue_per_day"] = monthly["revenue"] / monthly["days"]
    monthly["registrations_per_day"] = monthly["registrations"] / monthly["days"]
    high = (monthly["registrations_per_day"] > launch_factor * monthly["registrations_per_day"].median()).to_numpy()
    n_launch = int(np.argmin(high)) if not high.all() else len(high)
    if registrations is None or monthly["registrations"].sum() == 0 or n_launch == len(high):
        n_launch = 0
    monthly["launch"] = np.arange(len(monthly)) < n_launch
    launch_months = tuple(str(p) for p in monthly.index[:n_launch])
    launch_end = monthly.index[n_launch].start_time if n_launch else start
    rest = daily[daily.index >= launch_end]
    parts = []
    launch_later = float("nan")
    if n_launch:
        share = float(monthly["registrations"].iloc[:n_launch].sum() / monthly["registrations"].sum())
        launch_days = daily.index[daily.index < launch_end]
        in_launch = float(daily[launch_days].mean())
        after = float(rest.mean())
        n_later, _, later = _year_apart(daily, launch_days + pd.DateOffset(years=1), daily.index)
        if n_later == len(launch_days):
            launch_later = later
        months = launch_months[0] if n_launch == 1 else f"{launch_months[0]} to {launch_months[-1]}"
        if in_launch > after:
            how = (f"{in_launch:,.0f} EUR then, {relative_change(in_launch, after)} against the {after:,.0f} EUR of the days "
                   f"after: sales were higher while the launch lasted")
        else:
            how = (f"{in_launch:,.0f} EUR then, no more than the {after:,.0f} EUR of the days after "
                   f"({relative_change(in_launch, after)}): the new card holders did not lift sales above what came later")
        season = (f"; a year later, on the same calendar days (the same season), it was "
                  f"{launch_later:,.0f} EUR ({relative_change(launch_later, in_launch)})"
                  if not np.isnan(launch_later) else
                  "; the window ends before the same days a year later, so this comparison mixes the launch with "
                  "the season")
        parts.append(f"Registrations peak in {months}, the launch ({share:.0%} of all registrations); revenue per "
                     f"day was {how}{season}")
    else:
        share, in_launch, after = float("nan"), float("nan"), float(daily.mean())
        parts.append(f"No month stands out by its registrations (none has more than {launch_factor:g} times the "
                     f"median month's), so the curve shows no launch spike")
    c_days, before_c, after_c = 0, float("nan"), float("nan")
    prev_before, prev_after = float("nan"), float("nan")
    if campaign_start is not None:
        from ._validation import as_date

        c = as_date("campaign_start", campaign_start)
        if not start < c <= end:
            raise ValueError(f"`campaign_start` must lie after the window's first day and by its last "
                             f"({start.date()} to {end.date()}); got {c.date()}.")
        c_days = int(min(compare_days, (c - start).days, (end - c).days + 1))
        before_days = pd.date_range(c - pd.Timedelta(days=c_days), periods=c_days)
        after_days = pd.date_range(c, periods=c_days)
        before_c, after_c = float(daily[before_days].mean()), float(daily[after_days].mean())
        n_b, b, _ = _year_apart(daily, before_days, rest.index)
        n_a, a, _ = _year_apart(daily, after_days, rest.index)
        if n_b == n_a == c_days:
            prev_before, prev_after = b, a
            year_earlier = (f"; a year earlier the same two periods moved {relative_change(prev_after, prev_before)} "
                            f"({prev_before:,.0f} to {prev_after:,.0f} EUR), which is how the same dates moved without "
                            "the campaign, though not with the same customers and trend")
        else:
            year_earlier = (", and the window does not reach back a year to show how the same dates moved "
                            "without it")
        parts.append(f"From the campaign's start on {c.date()}, revenue per day was {after_c:,.0f} EUR in the "
                     f"{c_days} days after it against {before_c:,.0f} EUR in the {c_days} days before "
                     f"({relative_change(after_c, before_c)}); this before/after difference mixes the campaign's effect "
                     f"with the trend and the season{year_earlier}: only a randomised control group measures the effect")
    t_days, early, late = _year_apart(daily, rest.index, rest.index)
    if t_days >= MIN_TREND_DAYS:
        t_days = int(t_days)
        later_days = rest.index[rest.index.isin(rest.index + pd.DateOffset(years=1))]
        parts.append(f"Year over year, comparing like with like, revenue per day was {late:,.0f} EUR from "
                     f"{later_days[0].date()} to {later_days[-1].date()} against {early:,.0f} EUR on the same calendar "
                     f"days a year earlier ({relative_change(late, early)}, over {t_days} days)")
    else:
        t_days, early, late = 0, float("nan"), float("nan")
        parts.append(f"The window holds fewer than {MIN_TREND_DAYS} days after the launch whose date a year earlier "
                     "is also observed, so it cannot tell a trend from the season: comparing its first and last "
                     "months would compare different seasons")
    monthly.index = monthly.index.to_timestamp()
    monthly = monthly.rename_axis("month").reset_index()[["month", "days", "revenue", "revenue_per_day",
                                                          "registrations", "registrations_per_day", "launch"]]
    return SalesCurve(monthly, launch_months, share, in_launch, after, launch_later,
                      None if campaign_start is None else c, c_days, before_c, after_c, prev_before, prev_after,
                      early, late, t_days, ". ".join(parts) + ".")
