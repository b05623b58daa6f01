"""Randomized retention experiments: effects with intervals, covariate adjustment and ROI.

Every function takes the experiment's table first (one row per customer) and names its
columns with keyword-only ``*_col`` options; the defaults are the world's
``retention_experiment`` table (``arm_col="arm"``, ``cost_col="cost"``). Each returns a
frozen result object whose ``to_frame()`` is a tidy table: one row per treated arm and
measure, with ``estimate``, ``ci_low``, ``ci_high`` (and ``pvalue`` when there is a test).
Power analysis lives in :mod:`fidelia_kit.retention.power`.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from .._deprecation import keyword_only_since
from .._results import Result
from .._validation import (
    as_amounts,
    as_date,
    as_dates,
    check_binary,
    check_ci,
    check_frame,
    check_int,
    check_number,
    check_option,
    ci_z,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import ArrayLike, DateLike
    from ..verdict import Verdict


__all__ = ["ArmComparison", "AdjustedEffect", "CampaignROI", "CampaignReturn", "KeptCustomerValue", "compare_arms",
           "adjusted_effect", "cuped", "campaign_roi", "campaign_return", "kept_customer_value", "outcome_totals",
           "baseline_rate"]


# --- shared pieces ---------------------------------------------------------------------------------------

def _arms(df: pd.DataFrame, arm_col: str, control: str) -> list:
    """The treated arms (sorted), after checking the control and every declared arm have customers."""
    arms = df[arm_col]
    counts = arms.value_counts()
    if isinstance(arms.dtype, pd.CategoricalDtype):
        empty = [c for c in arms.cat.categories if counts.get(c, 0) == 0]
        if empty:
            raise ValueError(f"arm(s) {empty} of column '{arm_col}' have no customers.")
    if control not in counts.index:
        raise ValueError(f"the control arm {control!r} has no customers in column '{arm_col}' "
                         f"(arms found: {sorted(map(str, counts.index))}).")
    if len(counts) < 2:
        raise ValueError(f"column '{arm_col}' has only one arm ({control!r}); nothing to compare.")
    return [a for a in sorted(counts.index, key=str) if a != control]


def _outcome_kind(y: pd.Series, kind: str, col: str) -> str:
    """``"binary"`` or ``"continuous"``; a binary outcome is checked with :func:`check_binary`."""
    is_binary = set(pd.unique(y.dropna())) <= {0, 1}
    if kind == "binary" and not is_binary:
        check_binary(f"column '{col}'", y)      # raises, naming the column and a bad value
    if kind == "auto":
        return "binary" if is_binary else "continuous"
    return kind


class _Measures:
    """A result holding a tidy ``effects`` table (``arm, measure, estimate, ci_low, ci_high, ...``)."""

    effects: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The tidy effects table (a copy)."""
        return self.effects.copy()

    def measure(self, name: str) -> pd.DataFrame:
        """The rows of measure ``name``, indexed by arm (``estimate``, ``ci_low``, ``ci_high``, ...)."""
        table = self.to_frame()
        check_option("name", name, pd.unique(table["measure"]))
        return table[table["measure"] == name].drop(columns="measure").set_index("arm")


# --- comparing arms --------------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class ArmComparison(_Measures, Result):
    """Each treated arm against the control: absolute and relative lift with intervals and p-values.

    Attributes
    ----------
    effects : DataFrame
        Tidy: one row per treated arm and measure, columns ``arm``, ``measure``
        (``"lift"``: treated minus control; ``"relative_lift"``: treated / control - 1),
        ``estimate``, ``ci_low``, ``ci_high``, ``pvalue`` (the test of no difference, the
        same for both measures of an arm) and ``pvalue_holm`` (Holm's adjustment across the
        treated arms).
    arms : DataFrame
        Per arm (index ``arm``, control first): ``n`` and ``rate`` (binary outcome) or
        ``mean`` (continuous outcome).
    kind : str
        ``"binary"`` or ``"continuous"``.
    ci : float
        Confidence level of the intervals.
    control : str
        The control arm.
    outcome_col : str
        The outcome compared.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": ["control"] * 100 + ["mail"] * 100,
    ...                    "kept": [1] * 10 + [0] * 90 + [1] * 20 + [0] * 80})
    >>> res = compare_arms(df, outcome_col="kept")
    >>> res.lift.loc["mail", ["estimate", "ci_low", "ci_high"]].round(3).tolist()
    [0.1, 0.0, 0.199]
    """

    effects: pd.DataFrame
    arms: pd.DataFrame
    kind: str
    ci: float
    control: str
    outcome_col: str

    @property
    def lift(self) -> pd.DataFrame:
        """Absolute lifts, indexed by arm: ``estimate, ci_low, ci_high, pvalue, pvalue_holm``."""
        return self.measure("lift")

    @property
    def relative_lift(self) -> pd.DataFrame:
        """Relative lifts (ratio - 1), indexed by arm."""
        return self.measure("relative_lift")


def _binary_effects(yt, yc, ci, control, arm):
    """Lift (Newcombe), ratio - 1 (Katz log interval) and the Miettinen-Nurminen score test's p."""
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    alpha = 1 - ci
    ct, cc = yt.sum(), yc.sum()
    with np.errstate(divide="ignore", invalid="ignore"):    # statsmodels also forms the ratio, 0 / 0 when a rate is 0
        lo, hi = confint_proportions_2indep(ct, len(yt), cc, len(yc), method="newcomb", compare="diff", alpha=alpha)
    if ct + cc in (0, len(yt) + len(yc)):
        # every outcome in both arms is the same value: the score test is 0 / 0. With these
        # margins the observed table is the only possible one, so Fisher's exact p is 1.
        warnings.warn(f"compare_arms: every outcome in arms {control!r} and {arm!r} is {int(yt[0])}; the "
                      f"score test is undefined (no variance), so pvalue is set to 1 (Fisher's exact test) "
                      f"and the ratio interval to NaN.", UserWarning, stacklevel=3)
        rlo, rhi, p = np.nan, np.nan, 1.0
    else:
        if cc > 0 and ct > 0:
            rlo, rhi = confint_proportions_2indep(ct, len(yt), cc, len(yc), method="log", compare="ratio", alpha=alpha)
        else:
            rlo, rhi = np.nan, np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            p = test_proportions_2indep(ct, len(yt), cc, len(yc), method="score", compare="diff").pvalue
    rel = yt.mean() / yc.mean() - 1 if yc.mean() > 0 else np.nan
    return (lo, hi), (rel, rlo - 1, rhi - 1), float(p)


def _continuous_effects(yt, yc, ci, control, arm):
    """Welch's interval and test for the difference; the delta method on the log of the ratio of means."""
    if np.ptp(np.r_[yt, yc]) == 0:
        # one value everywhere: Welch's t is 0 / 0; every reassignment of the arms gives the same
        # difference (0), so the permutation p-value is 1
        warnings.warn(f"compare_arms: every outcome in arms {control!r} and {arm!r} is {yt[0]:g}; Welch's t-test "
                      f"is undefined (no variance), so pvalue is set to 1 (a permutation test) and the "
                      f"intervals to NaN.", UserWarning, stacklevel=3)
        return (np.nan, np.nan), (0.0 if yc.mean() != 0 else np.nan, np.nan, np.nan), 1.0
    test = stats.ttest_ind(yt, yc, equal_var=False)
    lo, hi = test.confidence_interval(ci)
    rel = yt.mean() / yc.mean() - 1 if yc.mean() != 0 else np.nan
    if yt.mean() > 0 and yc.mean() > 0:
        z = ci_z(ci)
        se_log = np.sqrt(yt.var(ddof=1) / (len(yt) * yt.mean() ** 2) + yc.var(ddof=1) / (len(yc) * yc.mean() ** 2))
        rlo, rhi = np.exp(np.log(yt.mean() / yc.mean()) + np.array([-z, z]) * se_log) - 1
    else:
        rlo, rhi = np.nan, np.nan
    return (lo, hi), (rel, rlo, rhi), float(test.pvalue)


@keyword_only_since("arm_col", "outcome_col", "control", "ci")
def compare_arms(df: pd.DataFrame, *, outcome_col: str, arm_col: str = "arm", control: str = "control",
                 ci: float = 0.95, kind: str = "auto") -> ArmComparison:
    """Each arm against the control: absolute and relative lift, intervals and p-values.

    Parameters
    ----------
    df : DataFrame
        One row per customer of the experiment.
    outcome_col : str
        A 0/1 outcome (e.g. ``active_90d``) or a number (e.g. ``revenue_90d``).
    arm_col : str, default="arm"
        The randomized arm of each customer.
    control : str, default="control"
        The arm every other arm is compared with.
    ci : float, default=0.95
        Confidence level of the intervals.
    kind : {"auto", "binary", "continuous"}, default="auto"
        ``"auto"`` treats 0/1 (or True/False) outcomes as binary.

    Returns
    -------
    ArmComparison
        ``.to_frame()``: one row per treated arm and measure (``lift``, ``relative_lift``)
        with ``estimate, ci_low, ci_high, pvalue, pvalue_holm``; ``.arms``: ``n`` and
        ``rate`` (or ``mean``) per arm; ``.lift`` and ``.relative_lift`` by arm.

    Raises
    ------
    ValueError
        A missing column or outcome, a control arm without customers, a single arm, or a
        non-0/1 outcome with ``kind="binary"``.

    See Also
    --------
    adjusted_effect : the same effects with narrower intervals from pre-period covariates.
    fidelia_kit.verdict.effect_sign : the sentence an interval supports.

    Notes
    -----
    Binary outcomes: Newcombe's hybrid score interval for the difference of proportions
    (Newcombe 1998, method 10), the log (Katz) interval for the ratio, and the p-value of the
    Miettinen-Nurminen (1985) score test of a zero difference, with its variance correction
    N / (N - 1) (statsmodels' ``test_proportions_2indep(method="score")``), all from
    statsmodels. The interval and the test are not inverses of each other, so near the
    boundary (p close to 1 - ci) the interval can include 0 while p < 1 - ci, or the reverse.
    Continuous outcomes: Welch's t interval and test for the difference, and the delta method
    on the log of the ratio of means,

    .. math:: \\log\\frac{\\bar y_t}{\\bar y_c} \\pm z \\sqrt{\\frac{s_t^2}{n_t \\bar y_t^2}
              + \\frac{s_c^2}{n_c \\bar y_c^2}}.

    When every outcome in both arms is the same (all 0 or all 1) the score test is 0 / 0: the
    p-value is then 1 (Fisher's exact test, as the observed table is the only one with those
    margins), the ratio interval NaN, and a UserWarning says so; likewise for a continuous
    outcome with one value everywhere (p = 1, intervals NaN).

    A small experiment that happens to come out significant overstates the effect (the
    winner's curse): condition on significance only with the power in view
    (:func:`~fidelia_kit.retention.power_curve`).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17(8), 873-890.
    Miettinen, O. & Nurminen, M. (1985). Comparative analysis of two rates. Statistics in
    Medicine 4(2), 213-226.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": ["control"] * 100 + ["mail"] * 100,
    ...                    "kept": [1] * 10 + [0] * 90 + [1] * 20 + [0] * 80})
    >>> res = compare_arms(df, outcome_col="kept")
    >>> res.arms["rate"].tolist()
    [0.1, 0.2]
    >>> res.to_frame()[["arm", "measure", "estimate"]]
        arm        measure  estimate
    0  mail           lift       0.1
    1  mail  relative_lift       1.0
    """
    from statsmodels.stats.multitest import multipletests

    check_frame("df", df, [arm_col, outcome_col])
    ci = check_ci(ci)
    check_option("kind", kind, ["auto", "binary", "continuous"])
    treated = _arms(df, arm_col, control)
    y_all = df[outcome_col]
    if y_all.isna().any():
        raise ValueError(f"column '{outcome_col}' has {int(y_all.isna().sum())} missing outcome(s).")
    kind = _outcome_kind(y_all, kind, outcome_col)
    y_all = y_all.astype(float)
    yc = y_all[df[arm_col] == control].to_numpy()
    label = "rate" if kind == "binary" else "mean"
    arm_rows = [{"arm": control, "n": len(yc), label: yc.mean()}]
    rows = []
    effects_of = _binary_effects if kind == "binary" else _continuous_effects
    for arm in treated:
        yt = y_all[df[arm_col] == arm].to_numpy()
        arm_rows.append({"arm": arm, "n": len(yt), label: yt.mean()})
        (lo, hi), (rel, rlo, rhi), p = effects_of(yt, yc, ci, control, arm)
        rows.append({"arm": arm, "measure": "lift", "estimate": yt.mean() - yc.mean(), "ci_low": lo, "ci_high": hi,
                     "pvalue": p})
        rows.append({"arm": arm, "measure": "relative_lift", "estimate": rel, "ci_low": rlo, "ci_high": rhi,
                     "pvalue": p})
    effects = pd.DataFrame(rows)
    holm = dict(zip(treated, multipletests([effects.loc[2 * i, "pvalue"] for i in range(len(treated))],
                                           method="holm")[1]))
    effects["pvalue_holm"] = effects["arm"].map(holm).astype(float)
    for c in ("estimate", "ci_low", "ci_high", "pvalue"):
        effects[c] = effects[c].astype(float)
    return ArmComparison(effects=effects, arms=pd.DataFrame(arm_rows).set_index("arm"), kind=kind, ci=ci,
                         control=control, outcome_col=outcome_col)


# --- covariate adjustment --------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class AdjustedEffect(Result):
    """Treatment effects sharpened with pre-period covariates (regression adjustment or CUPED).

    Attributes
    ----------
    table : DataFrame
        Per treated arm (index ``arm``): ``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``pvalue``, the plain difference's ``unadjusted_estimate`` and ``unadjusted_se``,
        and ``variance_reduction`` = 1 - se^2 / unadjusted_se^2.
    method : str
        ``"regression adjustment (Lin 2013)"`` or ``"CUPED (Deng et al. 2013)"``.
    covariates : tuple of str
        The pre-period columns used.
    ci : float
        Confidence level of the intervals.
    theta : float or None
        CUPED's pooled slope cov(X, Y) / var(X); None for regression adjustment.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": ["control"] * 3 + ["mail"] * 3, "pre": [1.0, 2, 3, 2, 3, 4],
    ...                    "post": [2.0, 3, 5, 4, 6, 7]})
    >>> res = cuped(df, outcome_col="post", covariate="pre")
    >>> round(res.theta, 4), round(float(res.table.loc["mail", "estimate"]), 4)
    (1.7273, 0.6061)
    """

    table: pd.DataFrame
    method: str
    covariates: tuple
    ci: float
    theta: float | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per treated arm: ``arm``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``pvalue``, ..."""
        return self.table.reset_index()


def _effect_row(arm, est, se, z, p, raw, raw_se) -> dict:
    return {"arm": arm, "estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se, "pvalue": p,
            "unadjusted_estimate": raw, "unadjusted_se": raw_se,
            "variance_reduction": 1 - se**2 / raw_se**2 if raw_se > 0 else np.nan}


@keyword_only_since("arm_col", "outcome_col", "covariates", "control", "ci")
def adjusted_effect(df: pd.DataFrame, *, outcome_col: str, covariates: str | Sequence[str], arm_col: str = "arm",
                    control: str = "control", ci: float = 0.95) -> AdjustedEffect:
    """Treatment effects adjusted for pre-period covariates: Lin's (2013) interacted regression.

    Parameters
    ----------
    df : DataFrame
        One row per customer of the experiment.
    outcome_col : str
        The outcome (e.g. ``revenue_90d``).
    covariates : str or list of str
        Numeric pre-period columns, unaffected by the treatment.
    arm_col : str, default="arm"
        The randomized arm of each customer.
    control : str, default="control"
        The arm every other arm is compared with.
    ci : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    AdjustedEffect
        ``.table`` per treated arm: ``estimate``, ``se``, ``ci_low``, ``ci_high``
        (normal, ``estimate +- z se``), ``pvalue`` (normal), ``unadjusted_estimate`` and
        ``unadjusted_se`` (OLS on the arms alone, HC2) and ``variance_reduction``.

    Raises
    ------
    ValueError
        A missing column, missing values, a non-numeric covariate, or no control arm.

    See Also
    --------
    cuped : CUPED proper, one pre-period covariate with the pooled slope theta = cov / var.

    Notes
    -----
    Fits, by OLS, ``outcome ~ arms + centred covariates + arms x centred covariates`` with
    HC2 robust standard errors:

    .. math:: Y_i = \\alpha + \\sum_a \\tau_a D_{ai} + \\beta'(X_i - \\bar X)
              + \\sum_a \\gamma_a' D_{ai} (X_i - \\bar X) + \\varepsilon_i

    The arm coefficients tau estimate the same average effects as the plain difference in
    means, with narrower intervals when the covariates predict the outcome. This is
    regression adjustment, not CUPED: each arm gets its own slope on each covariate (the
    interaction terms), several covariates are allowed, and the SE is HC2, a sandwich
    (Huber-White) SE, which Lin shows is consistent or conservative under randomization.
    CUPED (Deng et al. 2013, :func:`cuped`) instead subtracts ``theta (X - mean X)`` with one
    slope ``theta = cov(X, Y) / var(X)`` pooled over the arms; with one covariate and similar
    slopes in the arms the two give nearly the same effect and SE.

    References
    ----------
    Lin, W. (2013). Agnostic notes on regression adjustments to experimental data:
    reexamining Freedman's critique. Annals of Applied Statistics 7(1), 295-318.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(50, 10, 400)
    >>> t = np.arange(400) % 2
    >>> df = pd.DataFrame({"arm": np.where(t == 1, "call", "control"), "x": x,
    ...                    "y": 5 + 3.0 * t + 0.8 * x + rng.normal(0, 4, 400)})
    >>> res = adjusted_effect(df, outcome_col="y", covariates="x")
    >>> bool(res.table.loc["call", "se"] < res.table.loc["call", "unadjusted_se"])
    True
    """
    from .. import _sm as sm

    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    check_frame("df", df, [arm_col, outcome_col] + covariates)
    ci = check_ci(ci)
    z = ci_z(ci)
    treated = _arms(df, arm_col, control)
    data = df[[arm_col, outcome_col] + covariates].copy()
    if data.isna().any().any():
        raise ValueError(f"`df` has missing values in {data.columns[data.isna().any()].tolist()}.")
    for c in covariates:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise ValueError(f"covariate '{c}' must be numeric; got {data[c].dtype}.")
    y = data[outcome_col].astype(float)
    Xc = data[covariates].astype(float) - data[covariates].astype(float).mean()
    cols = {}
    for arm in treated:
        d = (data[arm_col] == arm).astype(float)
        cols[f"arm[{arm}]"] = d
        for c in covariates:
            cols[f"arm[{arm}]:{c}"] = d * Xc[c]
    X = sm.add_constant(pd.concat([pd.DataFrame(cols), Xc], axis=1))
    fit = sm.OLS(y, X).fit(cov_type="HC2")
    dummies = pd.DataFrame({f"arm[{a}]": (data[arm_col] == a).astype(float) for a in treated})
    plain = sm.OLS(y, sm.add_constant(dummies)).fit(cov_type="HC2")
    rows = [_effect_row(arm, float(fit.params[f"arm[{arm}]"]), float(fit.bse[f"arm[{arm}]"]), z,
                        float(fit.pvalues[f"arm[{arm}]"]), float(plain.params[f"arm[{arm}]"]),
                        float(plain.bse[f"arm[{arm}]"])) for arm in treated]
    return AdjustedEffect(table=pd.DataFrame(rows).set_index("arm"), method="regression adjustment (Lin 2013)",
                          covariates=tuple(covariates), ci=ci)


@keyword_only_since("arm_col", "outcome_col", "covariate")
def cuped(df: pd.DataFrame, *, outcome_col: str, covariate: str, arm_col: str = "arm", control: str = "control",
          ci: float = 0.95) -> AdjustedEffect:
    """Treatment effects with CUPED: the outcome less its part predicted by a pre-period covariate.

    Parameters
    ----------
    df : DataFrame
        One row per customer of the experiment.
    outcome_col : str
        The outcome Y (e.g. revenue in the 90 days after the campaign).
    covariate : str
        One pre-period measure X unaffected by the treatment (e.g. ``monetary_90d``, the
        amount paid in the 90 days before; typically the outcome itself, measured earlier).
    arm_col : str, default="arm"
        The randomized arm of each customer.
    control : str, default="control"
        The arm every other arm is compared with.
    ci : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    AdjustedEffect
        ``.table`` per treated arm: ``estimate`` (difference in means of the adjusted
        outcome), ``se``, ``ci_low``, ``ci_high``, ``pvalue``, ``unadjusted_estimate``,
        ``unadjusted_se``, ``variance_reduction``; ``.theta``.

    Raises
    ------
    ValueError
        A missing or non-numeric column, missing values, a constant covariate, or an arm
        with fewer than 2 customers.

    See Also
    --------
    adjusted_effect : Lin's (2013) regression adjustment, several covariates, one slope per arm.

    Notes
    -----
    .. math:: Y^{cv}_i = Y_i - \\theta (X_i - \\bar X), \\qquad
              \\theta = \\frac{\\operatorname{cov}(X, Y)}{\\operatorname{var}(X)}

    with theta and the mean of X computed over all customers (every arm pooled, so the same
    adjustment applies to each arm and the effect stays unbiased). The effect is the
    difference in means of Y^cv, with the unpooled (Welch) SE
    ``sqrt(s_t^2 / n_t + s_c^2 / n_c)`` of Y^cv, a normal interval and p-value; the estimation
    of theta is ignored, as in Deng et al. Var(Y^cv) = (1 - rho^2) Var(Y), rho the correlation
    of X and Y, so ``variance_reduction`` is about rho^2.

    References
    ----------
    Deng, A., Xu, Y., Kohavi, R. & Walker, T. (2013). Improving the sensitivity of online
    controlled experiments by utilizing pre-experiment data. WSDM '13, 123-132.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": ["control"] * 3 + ["mail"] * 3, "pre": [1.0, 2, 3, 2, 3, 4],
    ...                    "post": [2.0, 3, 5, 4, 6, 7]})
    >>> res = cuped(df, outcome_col="post", covariate="pre")
    >>> res.method, round(float(res.table.loc["mail", "unadjusted_estimate"]), 4)
    ('CUPED (Deng et al. 2013)', 2.3333)
    """
    check_frame("df", df, [arm_col, outcome_col, covariate])
    ci = check_ci(ci)
    z = ci_z(ci)
    treated = _arms(df, arm_col, control)
    for c in (outcome_col, covariate):
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise ValueError(f"column '{c}' must be numeric; got {df[c].dtype}.")
        if df[c].isna().any():
            raise ValueError(f"column '{c}' has {int(df[c].isna().sum())} missing value(s).")
    x = df[covariate].to_numpy(float)
    y = df[outcome_col].to_numpy(float)
    dx = x - x.mean()
    if not (dx @ dx > 0):
        raise ValueError(f"covariate '{covariate}' is constant; CUPED needs a pre-period measure that varies.")
    theta = float(dx @ (y - y.mean()) / (dx @ dx))
    y_cv = y - theta * dx
    arms = df[arm_col].to_numpy()

    def diff(v, arm):
        vt, vc = v[arms == arm], v[arms == control]
        if min(len(vt), len(vc)) < 2:
            raise ValueError(f"arms {arm!r} and {control!r} need at least 2 customers each.")
        return vt.mean() - vc.mean(), math.sqrt(vt.var(ddof=1) / len(vt) + vc.var(ddof=1) / len(vc))

    rows = []
    for arm in treated:
        eff, se = diff(y_cv, arm)
        raw, raw_se = diff(y, arm)
        p = float(2 * stats.norm.sf(abs(eff) / se)) if se > 0 else (1.0 if eff == 0 else 0.0)
        rows.append(_effect_row(arm, eff, se, z, p, raw, raw_se))
    return AdjustedEffect(table=pd.DataFrame(rows).set_index("arm"), method="CUPED (Deng et al. 2013)",
                          covariates=(covariate,), ci=ci, theta=theta)


# --- return on investment --------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class CampaignROI(_Measures, Result):
    """What each treatment returned: incremental value, profit and ROI with intervals.

    Attributes
    ----------
    effects : DataFrame
        Tidy: one row per treated arm and measure, columns ``arm``, ``measure``
        (``"incremental_value"``, ``"profit"``, ``"roi"``), ``estimate``, ``ci_low``,
        ``ci_high``.
    arms : DataFrame
        Per treated arm (index ``arm``): ``n``, ``cost`` (the arm's total cost) and, when
        an outcome was given, ``incremental_customers``.
    margin : float
        Share of the value column that is profit.
    ci : float
        Confidence level of the intervals.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": ["control"] * 4 + ["call"] * 4, "revenue": [0, 40, 0, 0, 50, 30, 0, 40],
    ...                    "cost": [0] * 4 + [6] * 4})
    >>> res = campaign_roi(df, value_col="revenue", margin=0.5)
    >>> round(float(res.roi.loc["call", "estimate"]), 4)
    0.6667
    """

    effects: pd.DataFrame
    arms: pd.DataFrame
    margin: float
    ci: float

    @property
    def roi(self) -> pd.DataFrame:
        """ROI by arm: ``estimate, ci_low, ci_high`` (0.25 is 25%; 0 is break-even)."""
        return self.measure("roi")

    @property
    def profit(self) -> pd.DataFrame:
        """Profit by arm (EUR): ``estimate, ci_low, ci_high``."""
        return self.measure("profit")


@keyword_only_since("arm_col", "outcome_col", "value_col", "cost_col", "control")
def campaign_roi(df: pd.DataFrame, *, value_col: str, arm_col: str = "arm", outcome_col: str | None = None,
                 cost_col: str = "cost", control: str = "control", margin: float = 1.0,
                 ci: float = 0.95) -> CampaignROI:
    """What each treatment returned: incremental value, profit and ROI, with intervals.

    Parameters
    ----------
    df : DataFrame
        One row per customer of the experiment.
    value_col : str
        What each customer brought in after assignment (e.g. ``revenue_90d``, or a gross
        margin column with ``margin=1``), in EUR.
    arm_col : str, default="arm"
        The randomized arm of each customer.
    outcome_col : str, optional
        A 0/1 outcome (e.g. ``active_90d``) to count incremental customers.
    cost_col : str, default="cost"
        What treating the customer cost (EUR); must not repeat what ``value_col`` already
        nets out (a discount already deducted from revenue is not a cost again).
    control : str, default="control"
        The arm every other arm is compared with.
    margin : float, default=1.0
        Share of ``value_col`` that is profit (gross margin rate; 1 when ``value_col`` is a
        margin already).
    ci : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    CampaignROI
        ``.to_frame()``: per treated arm, ``incremental_value``, ``profit`` and ``roi``
        with ``estimate, ci_low, ci_high``; ``.arms``: ``n``, ``cost`` and
        ``incremental_customers``; ``.roi`` and ``.profit`` by arm.

    Raises
    ------
    ValueError
        A missing column, negative or missing amounts, a non-0/1 outcome, or no control.

    See Also
    --------
    fidelia_kit.verdict.roi_sign : the sentence an ROI interval supports.

    Notes
    -----
    Per treated arm with n customers and total cost C:

    .. math:: \\Delta V = n (\\bar v_t - \\bar v_c), \\quad
              \\text{profit} = m \\, \\Delta V - C, \\quad \\text{ROI} = \\text{profit} / C

    The interval of ``incremental_value`` is Welch's for the difference in means, times n;
    it is carried to profit and ROI, which are linear in it (the cost is known).
    ``incremental_customers`` = n (rate_t - rate_c).

    References
    ----------
    Blattberg, R. C., Kim, B.-D. & Neslin, S. A. (2008). Database Marketing: Analyzing and
    Managing Customers, chapter 24 (the economics of retention campaigns). Springer.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": ["control"] * 4 + ["call"] * 4, "active": [0, 1, 0, 0, 1, 1, 0, 1],
    ...                    "revenue": [0, 40, 0, 0, 50, 30, 0, 40], "cost": [0] * 4 + [6] * 4})
    >>> res = campaign_roi(df, value_col="revenue", outcome_col="active", margin=0.5)
    >>> float(res.profit.loc["call", "estimate"]), float(res.arms.loc["call", "incremental_customers"])
    (16.0, 2.0)
    """
    check_frame("df", df, [arm_col, value_col, cost_col] + ([outcome_col] if outcome_col else []))
    margin = check_number("margin", margin, 0, 1)
    ci = check_ci(ci)
    treated = _arms(df, arm_col, control)
    as_amounts("df", value_col, df[value_col], allow_negative=True)     # a margin can be negative
    as_amounts("df", cost_col, df[cost_col])
    if outcome_col:
        check_binary(f"column '{outcome_col}'", df[outcome_col])
    c = df[df[arm_col] == control]
    rows, arms = [], []
    for arm in treated:
        t = df[df[arm_col] == arm]
        n = len(t)
        test = stats.ttest_ind(t[value_col].astype(float), c[value_col].astype(float), equal_var=False)
        lo, hi = test.confidence_interval(ci)
        diff = float(t[value_col].mean() - c[value_col].mean())
        cost = float(t[cost_col].sum())
        arm_row = {"arm": arm, "n": n, "cost": cost}
        if outcome_col:
            arm_row["incremental_customers"] = n * (t[outcome_col].astype(float).mean()
                                                    - c[outcome_col].astype(float).mean())
        arms.append(arm_row)
        values = np.array([diff, lo, hi]) * n
        profit = margin * values - cost
        roi = profit / cost if cost > 0 else np.full(3, np.nan)
        for measure, (est, low, high) in (("incremental_value", values), ("profit", profit), ("roi", roi)):
            rows.append({"arm": arm, "measure": measure, "estimate": float(est), "ci_low": float(low),
                         "ci_high": float(high)})
    return CampaignROI(effects=pd.DataFrame(rows), arms=pd.DataFrame(arms).set_index("arm"), margin=margin, ci=ci)


# --- one decision rule for a campaign's return, in the short and the long run --------------------------

#: The two readings of :func:`campaign_return`, and how a sentence names them.
READINGS = {"short_run": "on the margin of the outcome window",
            "long_run": "counting the value of the extra customers kept beyond the window"}


@dataclass(frozen=True, repr=False)
class CampaignReturn(_Measures, Result):
    """A campaign's return read two ways from the same components: the outcome window alone, and the long run.

    Attributes
    ----------
    effects : DataFrame
        Tidy: one row per treated arm, reading (``"short_run"``, ``"long_run"``) and measure:
        ``incremental_margin`` (the gross margin the arm brought in the window beyond the
        control's, discount included), ``incremental_customers`` (extra customers active in
        the window), ``value_after`` (``incremental_customers x value_per_kept``; 0 in the
        short run), ``cost`` (the contact's, known), ``profit`` and ``roi``, each with
        ``estimate``, ``ci_low``, ``ci_high``.
    value_per_kept : float
        The value beyond the window of one more customer kept (EUR).
    ci : float
        Confidence level of the intervals.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": ["control"] * 4 + ["mail"] * 4, "margin": [0, 10, 0, 0, 8, 10, 0, 12],
    ...                    "active": [0, 1, 0, 0, 1, 1, 0, 1], "cost": [0] * 4 + [1] * 4})
    >>> res = campaign_return(df, margin_col="margin", outcome_col="active", value_per_kept=15.0)
    >>> res.profit["estimate"].tolist()
    [16.0, 46.0]
    """

    effects: pd.DataFrame
    value_per_kept: float
    ci: float

    def measure(self, name: str) -> pd.DataFrame:
        """The rows of measure ``name``, indexed by ``(arm, reading)``: ``estimate``, ``ci_low``, ``ci_high``."""
        table = self.to_frame()
        check_option("name", name, pd.unique(table["measure"]))
        return table[table["measure"] == name].drop(columns="measure").set_index(["arm", "reading"])

    @property
    def roi(self) -> pd.DataFrame:
        """ROI by ``(arm, reading)`` (0.25 is 25%; 0 is break-even)."""
        return self.measure("roi")

    @property
    def profit(self) -> pd.DataFrame:
        """Profit by ``(arm, reading)``, EUR."""
        return self.measure("profit")

    def verdict(self, arm: str, reading: str) -> Verdict:
        """The sentence the ROI interval of ``arm`` in ``reading`` supports (:func:`~fidelia_kit.verdict.roi_sign`)."""
        from ..verdict import roi_sign

        check_option("reading", reading, list(READINGS))
        arms = pd.unique(self.effects["arm"])
        check_option("arm", arm, arms)
        row = self.roi.loc[(arm, reading)]
        return roi_sign(f"{arm} {READINGS[reading]}", row["estimate"], (row["ci_low"], row["ci_high"]), level=self.ci)

    def compare_readings(self, arm: str) -> str:
        """Whether the two readings of ``arm`` reach the same verdict, and whether their estimates share a sign.

        The same verdict does not mean the same estimate: two intervals across break-even both
        say "cannot tell" while one estimate is a loss and the other a gain; the sentence then
        says so.

        Examples
        --------
        >>> df = pd.DataFrame({"arm": ["control"] * 4 + ["mail"] * 4, "margin": [0, 10, 0, 0, 8, 10, 0, 12],
        ...                    "active": [0, 1, 0, 0, 1, 1, 0, 1], "cost": [0] * 4 + [1] * 4})
        >>> campaign_return(df, margin_col="margin", outcome_col="active", value_per_kept=15.0).compare_readings("mail")
        'Both readings reach the same verdict (cannot tell), and their estimates have the same sign.'
        """
        short, long = self.verdict(arm, "short_run"), self.verdict(arm, "long_run")
        if short.outcome != long.outcome:
            return "The two readings reach different verdicts."
        words = {"pays": "it pays", "loses": "it loses money", "inconclusive": "cannot tell", "undefined": "undefined"}
        head = f"Both readings reach the same verdict ({words[short.outcome]})"
        if np.sign(short.estimate) * np.sign(long.estimate) < 0:
            return (f"{head}, though their estimates differ in sign: {short.estimate:+.0%} in the short run, "
                    f"{long.estimate:+.0%} in the long run.")
        return f"{head}, and their estimates have the same sign."

    def explain(self, arm: str) -> str:
        """Both verdicts of ``arm``, whether they agree (:meth:`compare_readings`) and, where they differ, why.

        Examples
        --------
        >>> df = pd.DataFrame({"arm": ["control"] * 4 + ["mail"] * 4, "margin": [0, 10, 0, 0, 8, 10, 0, 12],
        ...                    "active": [0, 1, 0, 0, 1, 1, 0, 1], "cost": [0] * 4 + [1] * 4})
        >>> res = campaign_return(df, margin_col="margin", outcome_col="active", value_per_kept=15.0)
        >>> res.explain("mail").split(". ")[-1]
        'Both readings reach the same verdict (cannot tell), and their estimates have the same sign.'
        """
        short, long = self.verdict(arm, "short_run"), self.verdict(arm, "long_run")
        text = f"{short.sentence} {long.sentence} {self.compare_readings(arm)}"
        if short.outcome == long.outcome:
            return text
        def get(measure):
            return float(self.measure(measure).loc[(arm, "long_run"), "estimate"])

        return (text + f" They differ because the long run adds {get('incremental_customers'):,.1f} extra active "
                f"customers x {self.value_per_kept:,.2f} EUR each = {get('value_after'):+,.0f} EUR to the "
                f"{get('incremental_margin'):+,.0f} EUR of margin observed in the window, for a cost of "
                f"{get('cost'):,.0f} EUR; that sum holds only if every extra buyer is a customer kept.")


def campaign_return(df: pd.DataFrame, *, margin_col: str, outcome_col: str, value_per_kept: float,
                    arm_col: str = "arm", cost_col: str = "cost", control: str = "control",
                    ci: float = 0.95) -> CampaignReturn:
    """A campaign's return in the short and the long run, built from the same components.

    One decision rule with two horizons: the incremental gross margin observed in the outcome
    window (which already nets any discount, on the purchases of customers who would have
    bought anyway too), plus, for the long run, the value beyond the window of the extra
    customers kept, minus the contact's cost.

    Parameters
    ----------
    df : DataFrame
        One row per customer of the experiment.
    margin_col : str
        Each customer's gross margin in the outcome window (EUR; e.g. from :func:`outcome_totals`).
    outcome_col : str
        Whether the customer was active in the window (0/1).
    value_per_kept : float
        The value beyond the window of one more customer kept (EUR of margin, discounted;
        e.g. :func:`kept_customer_value`). 0 gives the short-run reading twice.
    arm_col : str, default="arm"
        The randomized arm of each customer.
    cost_col : str, default="cost"
        The contact's cost per customer (EUR), without a discount already out of the margin.
    control : str, default="control"
        The arm every other arm is compared with.
    ci : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    CampaignReturn
        ``.effects`` per arm, reading and measure; ``.roi`` and ``.profit`` by ``(arm, reading)``;
        ``.verdict(arm, reading)`` and ``.explain(arm)`` write the sentences.

    Raises
    ------
    TypeError, ValueError
        A missing column, a non-0/1 outcome, a negative cost or ``value_per_kept``, no control.

    See Also
    --------
    campaign_roi : the return on any one value column.
    kept_customer_value : the value beyond the window of a customer kept.

    Notes
    -----
    For a treated arm of n customers with total cost C, :math:`\\Delta m` the difference in
    mean margin and :math:`\\Delta p` the difference in the active rate (arm minus control),
    and V the value of a customer kept beyond the window:

    .. math:: \\text{profit}_{short} = n \\Delta m - C, \\qquad
              \\text{profit}_{long} = n \\Delta m + n \\Delta p \\, V - C,
              \\qquad \\text{ROI} = \\text{profit} / C.

    The long-run interval is Welch's for the difference in the mean of the per-customer sum
    :math:`m_i + V y_i`, so the covariance of margin and activity is counted; V is taken as
    known (its own uncertainty is not in the interval). ``incremental_customers`` carries
    Newcombe's interval (:func:`compare_arms`), times n.

    References
    ----------
    Blattberg, R. C., Kim, B.-D. & Neslin, S. A. (2008). Database Marketing: Analyzing and
    Managing Customers, chapter 24 (the economics of retention campaigns). Springer.

    Examples
    --------
    Control: margins 0, 10, 0, 0 (one active); e-mail: 8, 10, 0, 12 (three active), cost 1 each.
    Incremental margin 4 x (7.5 - 2.5) = 20, extra customers 4 x (0.75 - 0.25) = 2, so the
    short-run profit is 20 - 4 = 16 and the long run adds 2 x 15 = 30: 46.

    >>> df = pd.DataFrame({"arm": ["control"] * 4 + ["mail"] * 4, "margin": [0, 10, 0, 0, 8, 10, 0, 12],
    ...                    "active": [0, 1, 0, 0, 1, 1, 0, 1], "cost": [0] * 4 + [1] * 4})
    >>> res = campaign_return(df, margin_col="margin", outcome_col="active", value_per_kept=15.0)
    >>> res.roi["estimate"].tolist()
    [4.0, 11.5]
    """
    check_frame("df", df, [arm_col, margin_col, outcome_col, cost_col])
    value_per_kept = check_number("value_per_kept", value_per_kept, 0.0, 1e9)
    ci = check_ci(ci)
    check_binary(f"column '{outcome_col}'", df[outcome_col])
    as_amounts("df", margin_col, df[margin_col], allow_negative=True)
    combined = "__margin_and_kept_value"
    frame = df.assign(**{combined: df[margin_col].astype(float) + value_per_kept * df[outcome_col].astype(float)})
    short = campaign_roi(frame, value_col=margin_col, arm_col=arm_col, outcome_col=outcome_col, cost_col=cost_col,
                         control=control, ci=ci)
    long = campaign_roi(frame, value_col=combined, arm_col=arm_col, outcome_col=outcome_col, cost_col=cost_col,
                        control=control, ci=ci)
    customers = compare_arms(df, outcome_col=outcome_col, arm_col=arm_col, control=control, ci=ci,
                             kind="binary").lift
    rows = []
    for arm in short.arms.index:
        n, cost = float(short.arms.loc[arm, "n"]), float(short.arms.loc[arm, "cost"])
        extra = n * customers.loc[arm, ["estimate", "ci_low", "ci_high"]].to_numpy(float)
        margin = short.measure("incremental_value").loc[arm, ["estimate", "ci_low", "ci_high"]].to_numpy(float)
        for reading, result, v in (("short_run", short, 0.0), ("long_run", long, value_per_kept)):
            measures = {"incremental_margin": margin, "incremental_customers": extra, "value_after": extra * v,
                        "cost": np.full(3, cost),
                        "profit": result.profit.loc[arm, ["estimate", "ci_low", "ci_high"]].to_numpy(float),
                        "roi": result.roi.loc[arm, ["estimate", "ci_low", "ci_high"]].to_numpy(float)}
            rows += [{"arm": arm, "reading": reading, "measure": name, "estimate": est, "ci_low": lo, "ci_high": hi}
                     for name, (est, lo, hi) in measures.items()]
    return CampaignReturn(effects=pd.DataFrame(rows), value_per_kept=value_per_kept, ci=ci)


@dataclass(frozen=True, repr=False)
class KeptCustomerValue(Result):
    """What one more customer kept is worth beyond an outcome window, from the kit's CLV.

    Attributes
    ----------
    value : float
        The mean over the customers of ``value_after`` (EUR).
    table : DataFrame
        Per customer (index: customer id): ``clv`` (to ``horizon_days``), ``clv_window`` (to
        ``window_days``), ``p_alive``, and ``value_after`` = (clv - clv_window) / p_alive, the
        discounted margin from the window's end to the horizon of a customer known to be alive.
    window_days, horizon_days : int
    discount_rate : float

    Examples
    --------
    >>> from fidelia_kit import generate_world
    >>> tx = generate_world(n_customers=500, seed=1).tables["transactions"]
    >>> kept = kept_customer_value(tx, tx["customer_id"].unique()[:50], as_of="2025-07-01")
    >>> bool(kept.value > 0), kept.horizon_days
    (True, 365)
    """

    value: float
    table: pd.DataFrame
    window_days: int
    horizon_days: int
    discount_rate: float

    def to_frame(self) -> pd.DataFrame:
        """The per-customer table, with the customer id as a column."""
        return self.table.reset_index()


def kept_customer_value(transactions: pd.DataFrame, customers: ArrayLike, *, as_of: DateLike, window_days: int = 90,
                        horizon_days: int = 365, discount_rate: float = 0.10, customer_col: str = "customer_id",
                        date_col: str = "date", value_col: str = "amount",
                        margin_col: str = "gross_margin") -> KeptCustomerValue:
    """The value beyond an outcome window of one more customer kept: the CLV of a customer known to be alive.

    The kit's CLV (:func:`fidelia_kit.clv.customer_value`) already weighs each customer's
    future by the chance that they are still alive, ``p_alive``; a customer a campaign keeps is
    alive, so their value is the CLV divided by ``p_alive``. The margin of the outcome window
    itself is measured by the experiment, so only what comes after it is counted.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase, with ``customer_col``, ``date_col``, ``value_col`` and ``margin_col``.
    customers : array-like
        The customers the campaign targets (e.g. the experiment's ``customer_id``); each must
        have bought before ``as_of``.
    as_of : date-like
        The day of the contact (exclusive: purchases before it are the history).
    window_days : int, default=90
        The outcome window the experiment measures.
    horizon_days : int, default=365
        The CLV horizon, from ``as_of``; must exceed ``window_days``.
    discount_rate : float, default=0.10
        Yearly discount rate.
    customer_col, date_col, value_col, margin_col : str
        Column names.

    Returns
    -------
    KeptCustomerValue
        ``.value`` (mean EUR) and the per-customer ``.table``.

    Raises
    ------
    ValueError
        ``horizon_days <= window_days``, a customer without a purchase before ``as_of``, or
        what :func:`~fidelia_kit.clv.customer_value` refuses.

    See Also
    --------
    campaign_return : uses this value for the long-run reading of a campaign.

    Notes
    -----
    With :math:`CLV_i(t)` the kit's discounted margin over the next t days and
    :math:`P_i(\\text{alive})` from BG/NBD, both given the history,

    .. math:: V_i = \\frac{CLV_i(H) - CLV_i(W)}{P_i(\\text{alive})},

    exact for BG/NBD, whose expected purchases are :math:`P(\\text{alive})` times those of a
    customer alive. The mean over the targeted customers stands for the customers a
    campaign moves, who may be worth more or less than the average.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way:
    an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> from fidelia_kit import generate_world
    >>> tx = generate_world(n_customers=500, seed=1).tables["transactions"]
    >>> kept = kept_customer_value(tx, tx["customer_id"].unique()[:50], as_of="2025-07-01")
    >>> bool((kept.table["value_after"] >= kept.table["clv"] - kept.table["clv_window"]).all())
    True
    """
    from ..clv import customer_value

    window_days = check_int("window_days", window_days, 1, 36_524)
    horizon_days = check_int("horizon_days", horizon_days, 2, 36_525)
    if horizon_days <= window_days:
        raise ValueError(f"`horizon_days` ({horizon_days}) must exceed `window_days` ({window_days}): the value "
                         f"counted is what comes after the window.")
    ids = pd.Index(pd.unique(np.asarray(customers)))
    kw = dict(as_of=as_of, discount_rate=discount_rate, customer_col=customer_col, date_col=date_col,
              value_col=value_col, margin_col=margin_col)
    long = customer_value(transactions, horizon_days=horizon_days, **kw).table
    short = customer_value(transactions, horizon_days=window_days, **kw).table
    missing = ids.difference(long.index)
    if len(missing):
        raise ValueError(f"`customers`: {len(missing)} customer(s) have no purchase before as_of "
                         f"(e.g. {list(missing[:3])}); a kept customer's value needs a history.")
    table = pd.DataFrame({"clv": long["clv"], "clv_window": short["clv"], "p_alive": long["p_alive"]}).loc[ids]
    alive = table["p_alive"].to_numpy(float)
    after = (table["clv"] - table["clv_window"]).to_numpy(float)
    table["value_after"] = np.divide(after, alive, out=np.full(len(table), np.nan), where=alive > 0)
    return KeptCustomerValue(value=float(table["value_after"].mean()), table=table, window_days=window_days,
                             horizon_days=horizon_days, discount_rate=float(discount_rate))


# --- what the experiment's customers did, from the transactions ------------------------------------------

def _purchases(transactions, customer_col, date_col, value_col=None):
    need = [customer_col, date_col] + ([value_col] if value_col else [])
    check_frame("transactions", transactions, need)
    out = pd.DataFrame({"customer": transactions[customer_col].to_numpy(),
                        "date": as_dates("transactions", date_col, transactions[date_col]).to_numpy()})
    if value_col:
        out["value"] = as_amounts("transactions", value_col, transactions[value_col], allow_negative=True).to_numpy()
    return out


def outcome_totals(experiment: pd.DataFrame, transactions: pd.DataFrame, *, value_col: str = "gross_margin",
                   days: int = 90, offset_days: int = 0, customer_col: str = "customer_id", date_col: str = "date",
                   start_col: str = "assigned_date") -> pd.Series:
    """Each experiment customer's total of ``value_col`` in the ``days`` after assignment (or after a later start).

    Parameters
    ----------
    experiment : DataFrame
        One row per customer, with ``customer_col`` and the assignment day ``start_col``.
    transactions : DataFrame
        One row per receipt, with ``customer_col``, ``date_col`` and ``value_col``.
    value_col : str, default="gross_margin"
        What to add up (``"gross_margin"`` for the margin, ``"amount"`` for revenue).
    days : int, default=90
        Length of the outcome window.
    offset_days : int, default=0
        Days from assignment to the window's first day: ``offset_days=90, days=90`` is a
        follow-up window, days 90-179, that shows whether extra buyers kept buying.
    customer_col, date_col, start_col : str
        Column names (defaults: the world's tables).

    Returns
    -------
    Series
        Aligned with ``experiment``'s rows (same index), 0 for customers without a receipt in
        their window ``[start + offset_days, start + offset_days + days)``.

    Raises
    ------
    ValueError
        Missing columns, dates that are not dates, or ``days`` outside 1..3650.

    See Also
    --------
    campaign_roi : the return computed on such a total.

    Notes
    -----
    .. math:: V_i = \\sum_{j:\\, c_j = i,\\; s_i \\le d_j < s_i + \\text{days}} v_j

    The world's ``revenue_90d`` is this total of ``amount``; ROI belongs on the margin
    (``gross_margin``), what the firm keeps of a sale.

    References
    ----------
    Blattberg, R. C., Kim, B.-D. & Neslin, S. A. (2008). Database Marketing: Analyzing and
    Managing Customers, chapter 24. Springer.

    Examples
    --------
    >>> e = pd.DataFrame({"customer_id": [1, 2], "assigned_date": pd.to_datetime(["2025-01-01"] * 2)})
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "gross_margin": [3.0, 4.0, 5.0],
    ...                    "date": pd.to_datetime(["2024-12-31", "2025-01-05", "2025-04-01"])})
    >>> outcome_totals(e, tx).tolist()          # 2025-04-01 is day 90: outside [day 0, day 90)
    [4.0, 0.0]
    >>> outcome_totals(e, tx, offset_days=90).tolist()     # ... and inside the follow-up [day 90, day 180)
    [0.0, 5.0]
    """
    check_frame("experiment", experiment, [customer_col, start_col])
    days = check_int("days", days, 1, 3650)
    offset_days = check_int("offset_days", offset_days, 0, 3650)
    tx = _purchases(transactions, customer_col, date_col, value_col)
    start = pd.Series((as_dates("experiment", start_col, experiment[start_col])
                       + pd.Timedelta(days=offset_days)).to_numpy(),
                      index=experiment[customer_col].to_numpy())
    start = start[~start.index.duplicated()]
    tx = tx[tx["customer"].isin(start.index)]
    s = start.reindex(tx["customer"]).to_numpy()
    inside = (tx["date"].to_numpy() >= s) & (tx["date"].to_numpy() < s + np.timedelta64(days, "D"))
    totals = tx[inside].groupby("customer")["value"].sum()
    return pd.Series(totals.reindex(experiment[customer_col].to_numpy()).fillna(0.0).to_numpy(),
                     index=experiment.index, name=value_col)


def baseline_rate(transactions: pd.DataFrame, *, as_of: DateLike, days: int = 90, recency_days: tuple = (45, 240),
                  min_purchase_days: int = 2, customer_col: str = "customer_id", date_col: str = "date") -> float:
    """The rate a retention experiment's control arm can be expected to have, from the period before it.

    Applies the at-risk rule one outcome window earlier, at ``as_of - days``, and returns the
    share of those customers who bought in the ``days`` that followed (which all end before
    ``as_of``). This is the base rate to plan the sample size with: known before the
    experiment, unlike its control arm's observed rate.

    Parameters
    ----------
    transactions : DataFrame
        One row per receipt, with ``customer_col`` and ``date_col``.
    as_of : date-like
        The experiment's assignment day: the first day not used (exclusive, as everywhere).
    days : int, default=90
        The outcome window, in days.
    recency_days : (int, int), default=(45, 240)
        At risk: last purchase between these many days before the day of judgement (inclusive).
    min_purchase_days : int, default=2
        At risk: at least this many distinct purchase days before the day of judgement.
    customer_col, date_col : str
        Column names.

    Returns
    -------
    float
        The share of the earlier at-risk customers who bought within ``days``.

    Raises
    ------
    ValueError
        Missing columns, a bad date, or no customer at risk at ``as_of - days``.

    See Also
    --------
    fidelia_kit.retention.sample_size : plans with this rate.

    Notes
    -----
    With :math:`d_0` = as_of - days, the rate is

    .. math:: \\hat p_0 = \\frac{|\\{i \\in R(d_0): i \\text{ buys in } [d_0, d_0 + \\text{days})\\}|}{|R(d_0)|}

    with R(d) the customers at risk on day d. Seasonality and a drifting customer base make
    it an approximation: plan with some margin.

    References
    ----------
    Kohavi, R., Tang, D. & Xu, Y. (2020). Trustworthy Online Controlled Experiments,
    chapter 17 (statistics behind online controlled experiments). Cambridge University Press.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 2, 2, 3],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-02-01", "2024-07-01",
    ...                                            "2024-10-15", "2024-07-01"])})
    >>> baseline_rate(tx, as_of="2024-12-29")   # at risk on 2024-09-30: customers 1 and 2; 2 bought
    0.5
    """
    as_of = as_date("as_of", as_of)
    days = check_int("days", days, 1, 3650)
    min_purchase_days = check_int("min_purchase_days", min_purchase_days, 1, 10_000)
    low, high = (check_int("recency_days", int(v), 0, 36_500) for v in recency_days)
    tx = _purchases(transactions, customer_col, date_col)
    d0 = as_of - pd.Timedelta(days=days)
    before = tx[tx["date"] < d0].groupby("customer")["date"]
    since = (d0 - before.max()).dt.days
    at_risk = since.index[(before.nunique() >= min_purchase_days) & since.between(low, high)]
    if len(at_risk) == 0:
        raise ValueError(f"no customer was at risk on {d0.date()} (as_of - days): baseline_rate needs history "
                         f"before the experiment; give the base rate by hand.")
    window = tx[(tx["date"] >= d0) & (tx["date"] < as_of)]
    return float(np.isin(at_risk, window["customer"].unique()).mean())
