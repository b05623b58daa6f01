"""Retention: randomized experiments, uplift targeting, survival, cohorts and early warning of churn.

Test a retention action before rolling it out (:func:`compare_arms`, :func:`adjusted_effect`,
:func:`cuped`, :func:`sample_size`), target it at the customers it helps (:func:`fit_uplift`,
:func:`qini_curve`, :func:`targeting_policy`), see how long customers stay
(:func:`kaplan_meier`, :func:`cox`, :func:`cohort_table`), spot those starting to leave
(:func:`churn_dataset`, :func:`evaluate_churn`) and judge each step by its return
(:func:`campaign_roi`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import (
    as_amounts,
    as_date,
    as_dates,
    check_frame,
    check_int,
    check_number,
    check_option,
    check_probability,
)

__all__ = [
    "compare_arms",
    "adjusted_effect",
    "cuped",
    "sample_size",
    "power_curve",
    "minimum_detectable_effect",
    "campaign_roi",
    "UpliftModel",
    "fit_uplift",
    "qini_curve",
    "uplift_curve",
    "uplift_at_k",
    "TargetingPolicy",
    "targeting_policy",
    "kaplan_meier",
    "logrank",
    "cox",
    "cohort_table",
    "churn_dataset",
    "ChurnEvaluation",
    "evaluate_churn",
    "referral_programme",
    "service_recovery",
]


# --- experiments ----------------------------------------------------------------------------------------

def _arms(df: pd.DataFrame, arm_col: str, control: str) -> list:
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
    values = set(pd.unique(y.dropna()))
    is_binary = values <= {0, 1}
    if kind == "binary" and not is_binary:
        raise ValueError(f"column '{col}' must hold 0/1 (or True/False) for a binary outcome; "
                         f"found values such as {sorted(map(str, values - {0, 1}))[:3]}.")
    if kind == "auto":
        return "binary" if is_binary else "continuous"
    return kind


def compare_arms(df: pd.DataFrame, arm_col: str, outcome_col: str, control: str = "control", ci: float = 0.95, *,
                 kind: str = "auto") -> pd.DataFrame:
    """Each arm against the control: rate (or mean), absolute and relative lift, CIs and p-values.

    Parameters
    ----------
    df : DataFrame
    arm_col : str
        The randomized arm of each customer.
    outcome_col : str
        A 0/1 outcome (e.g. retained) or a number (e.g. revenue).
    control : str, default="control"
    ci : float, default=0.95
    kind : {"auto", "binary", "continuous"}
        ``"auto"`` treats 0/1 (or True/False) outcomes as binary.

    Returns
    -------
    DataFrame
        One row per arm (control first): ``n``, ``rate`` or ``mean``, and for each treated
        arm ``lift`` (difference with control) with ``lift_low``/``lift_high``, ``rel_lift``
        (ratio - 1) with ``rel_low``/``rel_high``, ``pvalue`` and ``pvalue_holm`` (Holm's
        adjustment across the treated arms).

    Notes
    -----
    Binary outcomes: Newcombe's hybrid score interval for the difference of proportions
    (Newcombe 1998, method 10), the log (Katz) interval for the ratio, and the p-value of the
    Miettinen-Nurminen (1985) score test of a zero difference, with its variance correction
    N / (N - 1) (statsmodels' ``test_proportions_2indep(method="score")``), all from
    statsmodels. The interval and the test are not inverses of each other, so near the
    boundary (p close to 1 - ci) the interval can include 0 while p < 1 - ci, or the reverse.
    Continuous outcomes: Welch's t interval and test for the difference, and the delta method
    on the log of the ratio of means. When every outcome in both arms is the same (all 0 or
    all 1) the score test is 0 / 0: the p-value is then 1 (Fisher's exact test, as the observed
    table is the only one with those margins), the ratio interval NaN, and a UserWarning says
    so; likewise for a continuous outcome with one value everywhere (p = 1, intervals NaN).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17(8), 873-890.
    Miettinen, O. & Nurminen, M. (1985). Comparative analysis of two rates. Statistics in
    Medicine 4(2), 213-226.
    """
    import warnings

    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    check_frame("df", df, [arm_col, outcome_col])
    ci = check_number("ci", ci, 0.5, 0.9999)
    check_option("kind", kind, ["auto", "binary", "continuous"])
    treated = _arms(df, arm_col, control)
    y_all = df[outcome_col]
    if y_all.isna().any():
        raise ValueError(f"column '{outcome_col}' has {int(y_all.isna().sum())} missing outcome(s).")
    kind = _outcome_kind(y_all, kind, outcome_col)
    y_all = y_all.astype(float)
    alpha = 1 - ci
    z = stats.norm.isf(alpha / 2)
    yc = y_all[df[arm_col] == control].to_numpy()
    label = "rate" if kind == "binary" else "mean"
    rows = [{"arm": control, "n": len(yc), label: yc.mean()}]
    for arm in treated:
        yt = y_all[df[arm_col] == arm].to_numpy()
        row = {"arm": arm, "n": len(yt), label: yt.mean(), "lift": yt.mean() - yc.mean()}
        if kind == "binary":
            ct, cc = yt.sum(), yc.sum()
            lo, hi = confint_proportions_2indep(ct, len(yt), cc, len(yc), method="newcomb", compare="diff", alpha=alpha)
            if ct + cc in (0, len(yt) + len(yc)):
                # every outcome in both arms is the same value: the score test is 0 / 0. With these
                # margins the observed table is the only possible one, so Fisher's exact p is 1.
                warnings.warn(f"compare_arms: every outcome in arms {control!r} and {arm!r} is {int(yt[0])}; the "
                              f"score test is undefined (no variance), so pvalue is set to 1 (Fisher's exact test) "
                              f"and the ratio interval to NaN.", UserWarning, stacklevel=2)
                rlo, rhi, p = np.nan, np.nan, 1.0
            else:
                if cc > 0 and ct > 0:
                    rlo, rhi = confint_proportions_2indep(ct, len(yt), cc, len(yc), method="log", compare="ratio", alpha=alpha)
                else:
                    rlo, rhi = np.nan, np.nan
                p = test_proportions_2indep(ct, len(yt), cc, len(yc), method="score", compare="diff").pvalue
            row.update(lift_low=lo, lift_high=hi, rel_lift=yt.mean() / yc.mean() - 1 if yc.mean() > 0 else np.nan,
                       rel_low=rlo - 1, rel_high=rhi - 1, pvalue=p)
        elif np.ptp(np.r_[yt, yc]) == 0:
            # one value everywhere: Welch's t is 0 / 0; every reassignment of the arms gives the same
            # difference (0), so the permutation p-value is 1
            warnings.warn(f"compare_arms: every outcome in arms {control!r} and {arm!r} is {yt[0]:g}; Welch's t-test "
                          f"is undefined (no variance), so pvalue is set to 1 (a permutation test) and the "
                          f"intervals to NaN.", UserWarning, stacklevel=2)
            row.update(lift_low=np.nan, lift_high=np.nan, rel_lift=0.0 if yc.mean() != 0 else np.nan,
                       rel_low=np.nan, rel_high=np.nan, pvalue=1.0)
        else:
            test = stats.ttest_ind(yt, yc, equal_var=False)
            lo, hi = test.confidence_interval(ci)
            rel = yt.mean() / yc.mean() - 1 if yc.mean() != 0 else np.nan
            if yt.mean() > 0 and yc.mean() > 0:
                se_log = np.sqrt(yt.var(ddof=1) / (len(yt) * yt.mean() ** 2) + yc.var(ddof=1) / (len(yc) * yc.mean() ** 2))
                rlo, rhi = np.exp(np.log(yt.mean() / yc.mean()) + np.array([-z, z]) * se_log) - 1
            else:
                rlo, rhi = np.nan, np.nan
            row.update(lift_low=lo, lift_high=hi, rel_lift=rel, rel_low=rlo, rel_high=rhi, pvalue=test.pvalue)
        rows.append(row)
    out = pd.DataFrame(rows).set_index("arm")
    treated_rows = out.index != control
    out["pvalue_holm"] = np.nan
    out.loc[treated_rows, "pvalue_holm"] = multipletests(out.loc[treated_rows, "pvalue"], method="holm")[1]
    out.attrs.update(kind=kind, ci=ci, control=control)
    return out


def adjusted_effect(df: pd.DataFrame, arm_col: str, outcome_col: str, covariates, control: str = "control",
                    ci: float = 0.95) -> pd.DataFrame:
    """Treatment effects adjusted for pre-period covariates: Lin's (2013) interacted regression.

    Fits, by OLS, ``outcome ~ arms + centred covariates + arms x centred covariates`` (Lin
    2013) with HC2 robust standard errors. The arm coefficients estimate the same average
    effects as the plain difference in means, with narrower intervals when the covariates
    predict the outcome.

    Returns
    -------
    DataFrame
        Per treated arm: ``effect``, ``se``, ``ci_low``, ``ci_high`` (normal, ``effect +- z se``),
        ``pvalue`` (normal, from statsmodels), the plain difference's ``unadjusted_effect`` and
        ``unadjusted_se`` (OLS on the arms alone, HC2) and
        ``variance_reduction`` = 1 - se^2 / unadjusted_se^2.

    See Also
    --------
    cuped : CUPED proper, one pre-period covariate with the pooled slope theta = cov / var.

    Notes
    -----
    This is regression adjustment, not CUPED: each arm gets its own slope on each covariate
    (the interaction terms), several covariates are allowed, and the SE is HC2, a sandwich
    (Huber-White) SE, which Lin shows is consistent or conservative under randomization.
    CUPED (Deng et al. 2013, :func:`cuped`) instead subtracts ``theta (X - mean X)`` with one
    slope ``theta = cov(X, Y) / var(X)`` pooled over the arms; with one covariate and similar
    slopes in the arms the two give nearly the same effect and SE.

    References
    ----------
    Lin, W. (2013). Agnostic notes on regression adjustments to experimental data:
    reexamining Freedman's critique. Annals of Applied Statistics 7(1), 295-318.
    """
    from . import _sm as sm

    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    check_frame("df", df, [arm_col, outcome_col] + covariates)
    ci = check_number("ci", ci, 0.5, 0.9999)
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
    plain = sm.OLS(y, sm.add_constant(pd.DataFrame({f"arm[{a}]": (data[arm_col] == a).astype(float) for a in treated}))).fit(cov_type="HC2")
    z = stats.norm.isf((1 - ci) / 2)
    rows = []
    for arm in treated:
        name = f"arm[{arm}]"
        eff, se = fit.params[name], fit.bse[name]
        rows.append({"arm": arm, "effect": eff, "se": se, "ci_low": eff - z * se, "ci_high": eff + z * se,
                     "pvalue": fit.pvalues[name], "unadjusted_effect": plain.params[name],
                     "unadjusted_se": plain.bse[name], "variance_reduction": 1 - se**2 / plain.bse[name] ** 2})
    return pd.DataFrame(rows).set_index("arm")


def cuped(df: pd.DataFrame, arm_col: str, outcome_col: str, covariate: str, *, control: str = "control",
          ci: float = 0.95) -> pd.DataFrame:
    """Treatment effects with CUPED: the outcome less its part predicted by a pre-period covariate.

    Parameters
    ----------
    df : DataFrame
    arm_col : str
        The randomized arm of each customer.
    outcome_col : str
        The outcome Y (e.g. revenue in the 90 days after the campaign).
    covariate : str
        One pre-period measure X unaffected by the treatment (e.g. revenue in the 90 days
        before it; typically the outcome itself, measured earlier).
    control : str, default="control"
    ci : float, default=0.95

    Returns
    -------
    DataFrame
        Per treated arm: ``effect`` (difference in means of the adjusted outcome), ``se``,
        ``ci_low``, ``ci_high``, ``pvalue``, ``unadjusted_effect``, ``unadjusted_se``,
        ``variance_reduction`` = 1 - se^2 / unadjusted_se^2 and ``theta``; ``df.attrs["theta"]``.

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

    See Also
    --------
    adjusted_effect : Lin's (2013) regression adjustment, several covariates, one slope per arm.

    References
    ----------
    Deng, A., Xu, Y., Kohavi, R. & Walker, T. (2013). Improving the sensitivity of online
    controlled experiments by utilizing pre-experiment data. WSDM '13, 123-132.
    """
    check_frame("df", df, [arm_col, outcome_col, covariate])
    ci = check_number("ci", ci, 0.5, 0.9999)
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
    z = stats.norm.isf((1 - ci) / 2)

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
        rows.append({"arm": arm, "effect": eff, "se": se, "ci_low": eff - z * se, "ci_high": eff + z * se,
                     "pvalue": p, "unadjusted_effect": raw, "unadjusted_se": raw_se,
                     "variance_reduction": 1 - se**2 / raw_se**2 if raw_se > 0 else np.nan, "theta": theta})
    out = pd.DataFrame(rows).set_index("arm")
    out.attrs["theta"] = theta
    return out


def _h(p1, p0):
    return 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p0))


def _test_levels(alpha, power=None) -> tuple[float, float | None]:
    """Check a two-sided test's significance level and (optionally) its power."""
    alpha = check_probability("alpha", alpha, what="a significance level")
    if power is not None:
        power = check_probability("power", power)
        if power <= alpha:
            raise ValueError(f"`power` must exceed `alpha` ({alpha:g}), the power of the test when there is "
                             f"no effect at all; got power={power:g}.")
    return alpha, power


def sample_size(base_rate: float, min_lift: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0) -> int:
    """Customers needed in the control arm to detect an absolute lift in a rate (Cohen's h).

    Parameters
    ----------
    base_rate : float
        The control arm's rate (e.g. 0.10 retained).
    min_lift : float
        The smallest absolute lift worth detecting (0.02 = two points).
    alpha, power : float
        Two-sided significance level and power, each strictly between 0 and 1, with
        ``power > alpha``.
    ratio : float, default=1.0
        Treated per control customer; the treated arm needs ``ratio`` times this number.

    Returns
    -------
    int, rounded up. 10% -> 12% at alpha 0.05 and power 0.8 needs 3,835 per arm.

    Raises
    ------
    ValueError
        A rate outside (0, 1), a zero lift, or a lift so small that it would need more
        than 10^12 customers (the message names ``min_lift``).

    Notes
    -----
    statsmodels' ``NormalIndPower`` (two-sided z-test) with Cohen's effect size
    h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0)), p1 = base_rate + min_lift, which makes the
    variance of each arm 1/n whatever the rate:

    .. math:: n = \\left(1 + \\frac{1}{ratio}\\right)
              \\left(\\frac{z_{1-\\alpha/2} + z_{power}}{h}\\right)^2

    (solved exactly, counting the far tail). It plans for that arcsine z-test;
    :func:`compare_arms` analyses with the Miettinen-Nurminen score test, whose power is
    close to it except for rates near 0 or 1 and small arms.

    References
    ----------
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.,
    chapter 6. Lawrence Erlbaum.
    """
    from statsmodels.stats.power import NormalIndPower

    p0 = check_number("base_rate", base_rate, 1e-9, 1 - 1e-9)
    lift = check_number("min_lift", min_lift, -1, 1)
    if lift == 0 or not (0 < p0 + lift < 1):
        raise ValueError(f"`min_lift` must be non-zero with base_rate + min_lift in (0, 1); got {lift!r}.")
    alpha, power = _test_levels(alpha, power)
    ratio = check_number("ratio", ratio, 1e-3, 1e3)
    h = abs(_h(p0 + lift, p0))
    rough = (1 + 1 / ratio) * ((stats.norm.isf(alpha / 2) + stats.norm.isf(1 - power)) / h) ** 2
    if not rough <= 1e12:
        raise ValueError(f"`min_lift`={lift!r} is too small to detect over base_rate={p0:g}: it would need "
                         f"about {rough:.2g} customers in the control arm (more than 10^12).")
    n = NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power, ratio=ratio)
    return int(np.ceil(n))


def power_curve(base_rate: float, lifts, n, *, alpha: float = 0.05, ratio: float = 1.0) -> pd.DataFrame:
    """Power to detect each lift (rows) with each control-arm size (columns).

    Parameters
    ----------
    base_rate : float
        The control arm's rate.
    lifts : array-like
        Absolute lifts; each ``base_rate + lift`` must be a rate strictly between 0 and 1.
    n : array-like
        Customers in the control arm (each > 1); the treated arm has ``ratio * n``.
    alpha : float, default=0.05
        Two-sided significance level, strictly between 0 and 1.
    ratio : float, default=1.0
        Treated per control customer.

    Returns
    -------
    DataFrame
        Power, indexed by ``lift``; the columns are the control arm's size, named
        ``"n per arm"`` when ``ratio == 1`` (both arms that size) and ``"n_control"``
        otherwise, with the treated arm's sizes in ``df.attrs["n_treatment"]``.

    Notes
    -----
    Power of the two-sided z-test on Cohen's h, as in :func:`sample_size` (statsmodels'
    ``NormalIndPower``): ``Phi(|h| sqrt(n / (1 + 1/ratio)) - z_{1-alpha/2})`` plus the
    (tiny) probability of rejecting in the wrong direction.
    """
    from statsmodels.stats.power import NormalIndPower

    p0 = check_number("base_rate", base_rate, 1e-9, 1 - 1e-9)
    alpha, _ = _test_levels(alpha)
    ratio = check_number("ratio", ratio, 1e-3, 1e3)
    lifts = np.atleast_1d(np.asarray(lifts, dtype=float))
    ns = np.atleast_1d(np.asarray(n, dtype=float))
    if not np.isfinite(lifts).all():
        raise ValueError("`lifts` has missing or infinite values.")
    outside = lifts[~((p0 + lifts > 0) & (p0 + lifts < 1))]
    if len(outside):
        raise ValueError(f"`lifts`: base_rate + lift must be a rate strictly between 0 and 1; "
                         f"{len(outside)} lift(s) are not (base_rate={p0:g}, lifts {outside[:3].tolist()}).")
    if not np.isfinite(ns).all() or (ns <= 1).any():
        raise ValueError("`n` must be > 1 customers.")
    power = NormalIndPower()
    table = [[power.power(effect_size=abs(_h(p0 + lift, p0)), nobs1=k, alpha=alpha, ratio=ratio) for k in ns] for lift in lifts]
    name = "n per arm" if ratio == 1 else "n_control"
    out = pd.DataFrame(table, index=pd.Index(lifts, name="lift"), columns=pd.Index(ns.astype(int), name=name))
    out.attrs.update(ratio=ratio, n_treatment=ns * ratio, alpha=alpha, base_rate=p0)
    return out


def minimum_detectable_effect(n: int, base_rate: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0) -> float:
    """The smallest absolute lift over ``base_rate`` detectable with ``n`` control customers.

    Inverts :func:`sample_size`: statsmodels' ``NormalIndPower`` gives the detectable Cohen's
    h for ``n`` control and ``ratio * n`` treated customers, and the lift is
    ``sin(asin(sqrt(p0)) + h / 2)^2 - p0`` (an increase in the rate), which has exactly the
    requested ``power``.

    Returns
    -------
    float
        The lift, or NaN with a UserWarning when no rise of the rate reaches ``power``:
        Cohen's h cannot exceed ``pi - 2 asin(sqrt(base_rate))`` (a rise to a rate of 1), so
        with too few customers or a base rate near 1 no lift is detectable.
    """
    import warnings

    from statsmodels.stats.power import NormalIndPower

    n = check_number("n", n, 2, 1e9)
    p0 = check_number("base_rate", base_rate, 1e-9, 1 - 1e-9)
    alpha, power = _test_levels(alpha, power)
    ratio = check_number("ratio", ratio, 1e-3, 1e3)
    solver = NormalIndPower()
    h = solver.solve_power(nobs1=n, alpha=alpha, power=power, ratio=ratio)
    h_max = np.pi - 2 * np.arcsin(np.sqrt(p0))
    if not h < h_max:
        best = solver.power(effect_size=h_max, nobs1=n, alpha=alpha, ratio=ratio)
        warnings.warn(f"no lift over base_rate={p0:g} reaches power {power:g} with n={n:g} control customers: "
                      f"even a rise to a rate of 1 has power {best:.2f}; returning NaN. Use a larger `n` or a "
                      f"lower `power`.", UserWarning, stacklevel=2)
        return float("nan")
    p1 = np.sin(np.arcsin(np.sqrt(p0)) + h / 2) ** 2
    return float(p1 - p0)


def campaign_roi(df: pd.DataFrame, arm_col: str, outcome_col: str, value_col: str, cost_col: str, control: str = "control",
                 *, margin: float = 1.0, ci: float = 0.95) -> pd.DataFrame:
    """What each treatment returned: incremental customers, revenue and profit, and ROI.

    Per treated arm with n customers: ``incremental_customers`` = n x (rate - control rate);
    ``incremental_revenue`` = n x (mean value - control mean value), with Welch's interval;
    ``cost`` = the arm's total cost; ``profit`` = margin x incremental revenue - cost and
    ``roi`` = profit / cost, with intervals carried from the revenue's (cost is known).
    """
    check_frame("df", df, [arm_col, outcome_col, value_col, cost_col])
    margin = check_number("margin", margin, 0, 1)
    ci = check_number("ci", ci, 0.5, 0.9999)
    treated = _arms(df, arm_col, control)
    for col in (value_col, cost_col):
        as_amounts("df", col, df[col])
    _outcome_kind(df[outcome_col], "binary", outcome_col)
    c = df[df[arm_col] == control]
    rows = []
    for arm in treated:
        t = df[df[arm_col] == arm]
        n = len(t)
        test = stats.ttest_ind(t[value_col].astype(float), c[value_col].astype(float), equal_var=False)
        lo, hi = test.confidence_interval(ci)
        diff = t[value_col].mean() - c[value_col].mean()
        cost = float(t[cost_col].sum())
        profit = margin * n * diff - cost
        rows.append({
            "arm": arm, "n": n,
            "incremental_customers": n * (t[outcome_col].astype(float).mean() - c[outcome_col].astype(float).mean()),
            "incremental_revenue": n * diff, "revenue_low": n * lo, "revenue_high": n * hi,
            "cost": cost, "profit": profit, "profit_low": margin * n * lo - cost, "profit_high": margin * n * hi - cost,
            "roi": profit / cost if cost > 0 else np.nan,
            "roi_low": (margin * n * lo - cost) / cost if cost > 0 else np.nan,
            "roi_high": (margin * n * hi - cost) / cost if cost > 0 else np.nan,
        })
    return pd.DataFrame(rows).set_index("arm")


# --- uplift ----------------------------------------------------------------------------------------------

def _xy(X, treatment, outcome):
    if isinstance(X, pd.DataFrame):
        if X.isna().any().any():
            raise ValueError(f"`X` has missing values in {X.columns[X.isna().any()].tolist()}.")
        Xa = X.to_numpy(dtype=float)
    else:
        Xa = np.asarray(X, dtype=float)
    t = np.asarray(treatment)
    if not set(np.unique(t)) <= {0, 1}:
        raise ValueError("`treatment` must be 0/1 (or True/False): one treatment against its control.")
    t = t.astype(int)
    y = np.asarray(outcome, dtype=float)
    if not (len(Xa) == len(t) == len(y)):
        raise ValueError(f"`X`, `treatment` and `outcome` must have the same length; got {len(Xa)}, {len(t)}, {len(y)}.")
    if t.sum() == 0 or t.sum() == len(t):
        raise ValueError("`treatment` needs both treated (1) and control (0) customers.")
    return Xa, t, y


@dataclass
class UpliftModel:
    """A fitted uplift model; ``predict(X)`` returns each customer's estimated effect."""

    method: str
    binary: bool
    models: dict
    propensity: float

    def _predict_outcome(self, model, X):
        return model.predict_proba(X)[:, 1] if self.binary and hasattr(model, "predict_proba") else model.predict(X)

    def predict(self, X) -> np.ndarray:
        """Estimated effect of treatment on the outcome for each customer (e.g. change in P(retained))."""
        Xa = X.to_numpy(dtype=float) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)
        m = self.models
        if self.method == "two_model":
            return self._predict_outcome(m["treated"], Xa) - self._predict_outcome(m["control"], Xa)
        if self.method == "transformed_outcome":
            return m["tau"].predict(Xa)
        e = self.propensity
        return e * m["tau_control"].predict(Xa) + (1 - e) * m["tau_treated"].predict(Xa)


def fit_uplift(X, treatment, outcome, method: str = "two_model", estimator=None, *, regressor=None, rng=0) -> UpliftModel:
    """Fit an uplift (heterogeneous treatment effect) model on a randomized experiment.

    Parameters
    ----------
    X : DataFrame or array
        Pre-treatment features.
    treatment : array of 0/1
    outcome : array
        0/1 (retained) or a number (revenue).
    method : {"two_model", "transformed_outcome", "x_learner"}
        - ``two_model`` (T-learner): one outcome model per arm; effect = difference.
        - ``transformed_outcome`` (Athey & Imbens 2015): regress
          ``Z = Y (T - e) / (e (1 - e))``, whose mean given X is the effect.
        - ``x_learner`` (Kunzel et al. 2019): imputed effects from the two-model fits,
          regressed on X in each arm and blended with the propensity e.
    estimator : scikit-learn estimator, optional
        Outcome model (classifier for 0/1 outcomes); default HistGradientBoosting.
    regressor : scikit-learn regressor, optional
        Effect model for the transformed outcome and X-learner; default HistGradientBoostingRegressor.
    rng : int, Generator or None
        Seed of the default estimators.
    """
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    check_option("method", method, ["two_model", "transformed_outcome", "x_learner"])
    Xa, t, y = _xy(X, treatment, outcome)
    binary = set(np.unique(y)) <= {0.0, 1.0}
    seed = int(np.random.default_rng(rng).integers(2**31 - 1))
    if estimator is None:
        estimator = (HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, random_state=seed)
                     if binary else HistGradientBoostingRegressor(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, random_state=seed))
    if regressor is None:
        regressor = HistGradientBoostingRegressor(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, random_state=seed)
    e = float(t.mean())
    model = UpliftModel(method=method, binary=binary, models={}, propensity=e)
    if method in ("two_model", "x_learner"):
        model.models["treated"] = clone(estimator).fit(Xa[t == 1], y[t == 1])
        model.models["control"] = clone(estimator).fit(Xa[t == 0], y[t == 0])
    if method == "transformed_outcome":
        z = y * (t - e) / (e * (1 - e))
        model.models["tau"] = clone(regressor).fit(Xa, z)
    elif method == "x_learner":
        mu0 = model._predict_outcome(model.models["control"], Xa)
        mu1 = model._predict_outcome(model.models["treated"], Xa)
        model.models["tau_treated"] = clone(regressor).fit(Xa[t == 1], (y - mu0)[t == 1])
        model.models["tau_control"] = clone(regressor).fit(Xa[t == 0], (mu1 - y)[t == 0])
    return model


def _curve_inputs(uplift, treatment, outcome):
    u = np.asarray(uplift, dtype=float)
    t = np.asarray(treatment).astype(int)
    y = np.asarray(outcome, dtype=float)
    if not (len(u) == len(t) == len(y)):
        raise ValueError("`uplift`, `treatment` and `outcome` must have the same length.")
    if not set(np.unique(t)) <= {0, 1}:
        raise ValueError("`treatment` must be 0/1.")
    return u, t, y


def _thresholds(score, t, y):
    """Cumulative counts after each distinct score, best first: customers with tied scores enter
    together, so their order in the data does not matter (scikit-uplift; sklearn's roc_curve).
    Returns n, N_t, N_c, Y_t, Y_c at 0 and after each group of ties."""
    order = np.argsort(-score, kind="stable")
    s, t, y = score[order], t[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]   # last row of each group of ties
    n = np.r_[0, last + 1].astype(float)
    nt = np.r_[0, np.cumsum(t)[last]].astype(float)
    yt = np.r_[0, np.cumsum(y * t)[last]]
    yc = np.r_[0, np.cumsum(y * (1 - t))[last]]
    return n, nt, n - nt, yt, yc


def _ratio(a, b):
    return np.divide(a, b, out=np.zeros_like(a, dtype=float), where=b != 0)


def _qini_values(n, nt, nc, yt, yc):
    return yt - yc * _ratio(nt, nc)


def _uplift_values(n, nt, nc, yt, yc):
    return (_ratio(yt, nt) - _ratio(yc, nc)) * n


def _curve(values_fn, score, t, y):
    """The curve at every count 0..N: its values after each group of ties, joined by straight lines."""
    counts = _thresholds(score, t, y)
    return np.interp(np.arange(len(score) + 1), counts[0], values_fn(*counts))


def _normalized_area(values_fn, u, t, y):
    n = len(u)
    x = np.arange(n + 1) / n
    model = _curve(values_fn, u, t, y)
    random = np.linspace(0, model[-1], n + 1)
    # perfect ranking (scikit-uplift's perfect_qini_curve): treated responders first, control responders last
    perfect = _curve(values_fn, y * t - y * (1 - t), t, y)
    area = lambda v: np.trapezoid(v, x)  # noqa: E731
    denom = area(perfect) - area(random)
    return x, model, random, perfect, (area(model) - area(random)) / denom if denom != 0 else np.nan


def qini_curve(uplift, treatment, outcome) -> pd.DataFrame:
    """The Qini curve of a ranking by predicted uplift (Radcliffe 2007).

    For the top share phi of customers, ``Qini(phi) = Y_t(phi) - Y_c(phi) N_t(phi) / N_c(phi)``:
    the incremental outcomes (e.g. retained customers) gained by treating them, in counts
    (Y: sum of outcomes, N: customers, in the treated t and control c arms; the second term
    is 0 while no control is in the top share).

    Returns
    -------
    DataFrame with ``share_targeted`` (0, 1/N, ..., 1), ``model``, ``random`` and ``perfect``;
    the normalized area ``(model - random) / (perfect - random)`` (areas under the curves,
    trapezoidal rule) is in ``df.attrs["auc"]``: 0 for a random ranking, 1 for the perfect one.

    Notes
    -----
    Ties: customers with the same predicted uplift have no order among them, so the curve is
    computed only after each group of tied scores and drawn as a straight line across the group,
    as scikit-uplift's ``qini_curve`` does with the distinct score thresholds (like sklearn's
    ``roc_curve``); the result does not depend on the order of the rows.

    ``random`` is the straight line from 0 to the curve's final value (everyone treated).
    ``perfect`` is the same curve for the score ``y t - y (1 - t)``: treated responders first,
    then everyone else as one tied group, then control responders (scikit-uplift's
    ``perfect_qini_curve`` with ``negative_effect=True``), so ``df.attrs["auc"]`` equals
    scikit-uplift's ``qini_auc_score``. Libraries differ here (causalml reports unnormalized
    areas), so compare scores only across one definition.

    References
    ----------
    Radcliffe, N. J. (2007). Using control groups to target on predicted lift: building and
    assessing uplift models. Direct Marketing Analytics Journal 1, 14-21.
    """
    u, t, y = _curve_inputs(uplift, treatment, outcome)
    x, model, random, perfect, auc = _normalized_area(_qini_values, u, t, y)
    out = pd.DataFrame({"share_targeted": x, "model": model, "random": random, "perfect": perfect})
    out.attrs["auc"] = auc
    return out


def uplift_curve(uplift, treatment, outcome) -> pd.DataFrame:
    """The uplift curve: ``(Y_t/N_t - Y_c/N_c)(phi) x N(phi)`` for the top share phi (a mean is 0
    while its arm is empty), with tied scores grouped, the ``random`` and ``perfect`` rankings and
    the normalized area in ``df.attrs["auc"]`` built as in :func:`qini_curve`. (scikit-uplift's
    ``perfect_uplift_curve`` uses another perfect ranking, so its ``uplift_auc_score`` differs.)"""
    u, t, y = _curve_inputs(uplift, treatment, outcome)
    x, model, random, perfect, auc = _normalized_area(_uplift_values, u, t, y)
    out = pd.DataFrame({"share_targeted": x, "model": model, "random": random, "perfect": perfect})
    out.attrs["auc"] = auc
    return out


def uplift_at_k(uplift, treatment, outcome, k: float = 0.3) -> float:
    """Observed uplift among the top ``k`` share by predicted uplift: mean outcome of the treated
    minus mean outcome of the controls in that group.

    Notes
    -----
    The group holds m = round(k N) customers (N customers in all; Python's ``round``, halves to
    even; at least 1); scikit-uplift's ``uplift_at_k(strategy="overall")`` takes int(k N) instead.
    Customers tied with the m-th score are counted with equal weight w = (places left) / (size
    of the tied group), the expected share of each under a random order of the ties, so the
    result does not depend on the order of the rows:

    .. math:: \\frac{\\sum_i w_i t_i y_i}{\\sum_i w_i t_i}
              - \\frac{\\sum_i w_i (1 - t_i) y_i}{\\sum_i w_i (1 - t_i)}

    with w_i = 1 above the cut and 0 below it. Without ties this is the plain difference of means.
    """
    u, t, y = _curve_inputs(uplift, treatment, outcome)
    k = check_number("k", k, 1e-9, 1.0)
    m = max(int(round(k * len(u))), 1)
    cut = np.sort(u)[::-1][m - 1]
    above, tied = u > cut, u == cut
    w = above + tied * (m - above.sum()) / tied.sum()
    wt, wc = w * t, w * (1 - t)
    if wt.sum() == 0 or wc.sum() == 0:
        raise ValueError(f"the top {k:.0%} holds only one arm; uplift cannot be measured there.")
    return float(wt @ y / wt.sum() - wc @ y / wc.sum())


@dataclass
class TargetingPolicy:
    """Whom to contact, and the expected profit as the targeted share grows."""

    contact: pd.Series          # True for customers worth contacting
    expected_profit: pd.Series  # per customer: uplift x value - cost
    curve: pd.DataFrame         # share_targeted, customers, expected_profit (cumulative)
    total: float                # expected profit of the policy


def targeting_policy(uplift, value, cost) -> TargetingPolicy:
    """Contact exactly the customers whose expected gain beats the cost.

    Expected profit of contacting customer i = ``uplift_i x value_i - cost_i`` (uplift in
    outcome units, e.g. change in P(retained); value = what keeping them is worth; cost per
    contact). Customers for whom contact backfires (negative uplift) never qualify. The
    curve ranks customers by expected profit and accumulates it.
    """
    u = pd.Series(np.asarray(uplift, dtype=float)) if not isinstance(uplift, pd.Series) else uplift.astype(float)
    v = pd.Series(np.broadcast_to(np.asarray(value, dtype=float), u.shape), index=u.index)
    c = pd.Series(np.broadcast_to(np.asarray(cost, dtype=float), u.shape), index=u.index)
    if u.isna().any() or v.isna().any() or c.isna().any():
        raise ValueError("`uplift`, `value` and `cost` must not have missing values.")
    gain = u * v - c
    contact = (gain > 0) & (u > 0)
    order = gain.sort_values(ascending=False)
    curve = pd.DataFrame({"share_targeted": np.arange(len(u) + 1) / len(u), "customers": np.arange(len(u) + 1),
                          "expected_profit": np.r_[0.0, order.cumsum().to_numpy()]})
    return TargetingPolicy(contact=contact, expected_profit=gain, curve=curve, total=float(gain[contact].sum()))


# --- survival and cohorts ---------------------------------------------------------------------------------

def _durations(durations, events):
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events)
    if len(d) != len(e):
        raise ValueError(f"`durations` and `events` must have the same length; got {len(d)} and {len(e)}.")
    if len(d) == 0:
        raise ValueError("`durations` is empty.")
    if np.isnan(d).any():
        raise ValueError("`durations` has missing values.")
    if (d < 0).any():
        raise ValueError(f"`durations` must be >= 0; {int((d < 0).sum())} are negative.")
    if not set(np.unique(e)) <= {0, 1}:
        raise ValueError("`events` must be 0/1 (1 = the customer left, 0 = still a customer: censored).")
    return d, e.astype(int)


def kaplan_meier(durations, events, groups=None, *, ci: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier survival curve(s) with pointwise confidence intervals.

    The estimate and its Greenwood standard error come from statsmodels' SurvfuncRight;
    the interval uses the log-log transform (as R's survival package with
    ``conf.type = "log-log"``): ``S^exp(+-z se / (S |log S|))``, which stays in [0, 1].

    Returns a long DataFrame: ``group`` (if given), ``time``, ``at_risk``, ``events``,
    ``survival``, ``ci_low``, ``ci_high``, one row per event time. A group with no events
    (every customer censored) has no event times; it gets instead the times 0 and each
    follow-up time, all at survival 1.0 with interval (1, 1) (as lifelines'
    ``KaplanMeierFitter`` gives), and a UserWarning says so.
    """
    import warnings

    from statsmodels.duration.survfunc import SurvfuncRight

    d, e = _durations(durations, events)
    ci = check_number("ci", ci, 0.5, 0.9999)
    z = stats.norm.isf((1 - ci) / 2)
    g = np.zeros(len(d), dtype=int) if groups is None else np.asarray(groups)
    if len(g) != len(d):
        raise ValueError("`groups` must have one value per customer.")
    parts = []
    for level in pd.unique(g):
        mask = g == level
        if not e[mask].any():
            # no events: statsmodels lists event times only, so it would return no rows at all
            times = np.unique(np.r_[0.0, d[mask]])
            where = "" if groups is None else f" in group '{level}'"
            warnings.warn(f"kaplan_meier: no events{where} (every customer censored); survival stays 1.0 through "
                          f"the last follow-up time ({times[-1]:g}), so that curve is flat at 1.", UserWarning, stacklevel=2)
            part = pd.DataFrame({"time": times, "at_risk": [(d[mask] >= t).sum() for t in times], "events": 0,
                                 "survival": 1.0, "ci_low": 1.0, "ci_high": 1.0})
            if groups is not None:
                part.insert(0, "group", level)
            parts.append(part)
            continue
        sf = SurvfuncRight(d[mask], e[mask])
        s, se = sf.surv_prob, sf.surv_prob_se
        with np.errstate(divide="ignore", invalid="ignore"):
            theta_se = se / (s * np.abs(np.log(s)))
            lo = np.where((s > 0) & (s < 1), s ** np.exp(z * theta_se), np.where(s >= 1, 1.0, 0.0))
            hi = np.where((s > 0) & (s < 1), s ** np.exp(-z * theta_se), np.where(s >= 1, 1.0, 0.0))
        part = pd.DataFrame({"time": sf.surv_times, "at_risk": sf.n_risk, "events": sf.n_events,
                             "survival": s, "ci_low": lo, "ci_high": hi})
        if groups is not None:
            part.insert(0, "group", level)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def logrank(durations, events, groups) -> pd.Series:
    """The log-rank test that survival is the same in every group (statsmodels ``survdiff``)."""
    from statsmodels.duration.survfunc import survdiff

    d, e = _durations(durations, events)
    g = np.asarray(groups)
    if len(pd.unique(g)) < 2:
        raise ValueError("`groups` needs at least two groups to compare.")
    chi2, p = survdiff(d, e, g)
    return pd.Series({"chi2": float(chi2), "df": len(pd.unique(g)) - 1, "pvalue": float(p)})


def cox(df: pd.DataFrame, duration_col: str, event_col: str, covariates, *, ties: str = "efron", ci: float = 0.95):
    """Cox proportional-hazards regression (statsmodels PHReg): hazard ratios with CIs.

    Returns a DataFrame per covariate: ``coef`` (log hazard ratio), ``se``, ``hazard_ratio``,
    ``hr_low``, ``hr_high``, ``pvalue``; ``df.attrs["result"]`` keeps the statsmodels result.
    A hazard ratio of 1.3 means a 30% higher rate of leaving at any moment.

    Notes
    -----
    Tied event times use Efron's (1977) approximation of the partial likelihood by default
    (``ties="efron"``, as in R's ``survival::coxph`` and lifelines); ``ties="breslow"`` gives
    Breslow's (1974) cruder one, the default of SAS and Stata. They differ only when many
    customers leave at the same recorded time (e.g. durations in whole months). Wald
    intervals and p-values, from the inverse Hessian (model-based SEs).

    References
    ----------
    Efron, B. (1977). The efficiency of Cox's likelihood function for censored data. Journal
    of the American Statistical Association 72(359), 557-565.
    """
    from . import _sm as sm

    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    check_frame("df", df, [duration_col, event_col] + covariates)
    check_option("ties", ties, ["efron", "breslow"])
    d, e = _durations(df[duration_col], df[event_col])
    X = df[covariates]
    bad = [c for c in covariates if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise ValueError(f"covariate(s) {bad} must be numeric (make dummies first).")
    fit = sm.PHReg(d, X.astype(float), status=e, ties=ties).fit()
    z = stats.norm.isf((1 - check_number("ci", ci, 0.5, 0.9999)) / 2)
    coef = pd.Series(fit.params, index=covariates)
    se = pd.Series(fit.bse, index=covariates)
    out = pd.DataFrame({"coef": coef, "se": se, "hazard_ratio": np.exp(coef), "hr_low": np.exp(coef - z * se),
                        "hr_high": np.exp(coef + z * se), "pvalue": pd.Series(fit.pvalues, index=covariates)})
    out.attrs["result"] = fit
    return out


def cohort_table(transactions: pd.DataFrame, period: str = "M", value: str = "customers", *,
                 customer_col: str = "customer_id", date_col: str = "date", value_col: str = "amount") -> dict:
    """The retention triangle: acquisition cohort (rows) x periods since acquisition (columns).

    ``value="customers"`` counts the cohort's customers who bought in each period;
    ``value="revenue"`` sums their spend. Returns ``{"counts": ..., "shares": ...}`` where
    shares divide each row by its period-0 value (the cohort size, or its first-period revenue).
    """
    check_option("period", period, ["W", "M", "Q"])
    check_option("value", value, ["customers", "revenue"])
    check_frame("transactions", transactions, [customer_col, date_col] + ([value_col] if value == "revenue" else []))
    dates = as_dates("transactions", date_col, transactions[date_col].reset_index(drop=True))
    p = dates.dt.to_period(period)
    df = pd.DataFrame({"c": transactions[customer_col].to_numpy(), "p": p.to_numpy()})
    if value == "revenue":
        df["v"] = as_amounts("transactions", value_col, transactions[value_col].reset_index(drop=True)).to_numpy()
    first = df.groupby("c")["p"].transform("min")
    df["cohort"] = first
    df["age"] = (df["p"] - df["cohort"]).map(lambda x: x.n)
    if value == "customers":
        counts = df.drop_duplicates(["c", "p"]).pivot_table(index="cohort", columns="age", values="c", aggfunc="count")
    else:
        counts = df.pivot_table(index="cohort", columns="age", values="v", aggfunc="sum")
    counts = counts.sort_index()
    counts.columns.name = "periods since first purchase"
    shares = counts.div(counts[0], axis=0)
    return {"counts": counts, "shares": shares}


# --- early warning of churn -------------------------------------------------------------------------------

def churn_dataset(transactions: pd.DataFrame, cutoff, horizon: int = 90, *, customer_col: str = "customer_id",
                  date_col: str = "date", value_col: str = "amount", complaints: pd.DataFrame | None = None,
                  min_tenure: int = 0) -> pd.DataFrame:
    """Features from before ``cutoff`` and a churn label from after it, one row per customer.

    Only transactions strictly before ``cutoff`` feed the features (and complaints dated
    before it); the label ``churned`` is 1 when the customer makes no purchase in the
    ``horizon`` days from ``cutoff`` on. Customers must have bought before the cutoff (and
    be at least ``min_tenure`` days old).

    Features: ``days_since_last``, ``tenure_days``, ``purchase_days``, ``purchases_90d``,
    ``purchases_prev_90d`` (days 90-180 before the cutoff), ``trend`` (recent minus
    previous quarter), ``spend_total``, ``spend_90d``, ``avg_basket``, ``mean_gap_days``
    (between purchase days), ``overdue`` (days since last / mean gap), and with
    transactions' ``channel``/``discount`` columns ``online_share`` and ``discount_share``;
    with complaints, ``complaints``.
    """
    check_frame("transactions", transactions, [customer_col, date_col, value_col])
    horizon = check_int("horizon", horizon, 1, 3650)
    cutoff = as_date("cutoff", cutoff)
    dates = as_dates("transactions", date_col, transactions[date_col].reset_index(drop=True))
    tx = transactions.reset_index(drop=True).assign(_d=dates)
    before = tx[tx["_d"] < cutoff]
    if before.empty:
        raise ValueError(f"no transactions before the cutoff {cutoff.date()}.")
    after = tx[(tx["_d"] >= cutoff) & (tx["_d"] < cutoff + pd.Timedelta(days=horizon))]
    g = before.groupby(customer_col)
    first, last = g["_d"].min(), g["_d"].max()
    days = before.drop_duplicates([customer_col, "_d"]).groupby(customer_col)["_d"]
    n_days = days.size()
    recent = before[before["_d"] >= cutoff - pd.Timedelta(days=90)]
    prev = before[(before["_d"] < cutoff - pd.Timedelta(days=90)) & (before["_d"] >= cutoff - pd.Timedelta(days=180))]
    out = pd.DataFrame({
        "days_since_last": (cutoff - last).dt.days,
        "tenure_days": (cutoff - first).dt.days,
        "purchase_days": n_days,
    })
    out["purchases_90d"] = recent.drop_duplicates([customer_col, "_d"]).groupby(customer_col).size().reindex(out.index).fillna(0)
    out["purchases_prev_90d"] = prev.drop_duplicates([customer_col, "_d"]).groupby(customer_col).size().reindex(out.index).fillna(0)
    out["trend"] = out["purchases_90d"] - out["purchases_prev_90d"]
    out["spend_total"] = g[value_col].sum()
    out["spend_90d"] = recent.groupby(customer_col)[value_col].sum().reindex(out.index).fillna(0.0)
    out["avg_basket"] = g[value_col].mean()
    gap = (last - first).dt.days / np.maximum(n_days - 1, 1)
    out["mean_gap_days"] = np.where(n_days > 1, gap, np.nan)
    out["mean_gap_days"] = out["mean_gap_days"].fillna(out["tenure_days"].clip(lower=1))
    out["overdue"] = out["days_since_last"] / out["mean_gap_days"].clip(lower=1)
    if "channel" in tx.columns:
        out["online_share"] = before.assign(_o=(before["channel"] != "store").astype(float)).groupby(customer_col)["_o"].mean()
    if "discount" in tx.columns:
        out["discount_share"] = before.assign(_o=(before["discount"] > 0).astype(float)).groupby(customer_col)["_o"].mean()
    if complaints is not None:
        check_frame("complaints", complaints, [customer_col, "date"])
        cd = pd.to_datetime(complaints["date"])
        out["complaints"] = complaints[cd < cutoff].groupby(customer_col).size().reindex(out.index).fillna(0)
    out = out[out["tenure_days"] >= min_tenure]
    out["churned"] = (~out.index.isin(after[customer_col].unique())).astype(int)
    out.attrs.update(cutoff=cutoff, horizon=horizon)
    return out


@dataclass
class ChurnEvaluation:
    """How well churn scores rank and how well they are calibrated."""

    auc: float
    brier: float
    lift: pd.DataFrame         # per decile (1 = highest scores): customers, churners, rate, lift, cumulative gains
    calibration: pd.DataFrame  # per bin: mean predicted, observed rate


def evaluate_churn(y_true, p_churn, *, n_bins: int = 10) -> ChurnEvaluation:
    """AUC, Brier score, a decile lift / cumulative-gains table and a calibration curve.

    Lift of a decile = its churn rate / the overall rate; cumulative gains = share of all
    churners found in the top deciles. Calibration: scikit-learn's ``calibration_curve``
    with quantile bins.
    """
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y = np.asarray(y_true, dtype=float)
    p = np.asarray(p_churn, dtype=float)
    if len(y) != len(p):
        raise ValueError("`y_true` and `p_churn` must have the same length.")
    if not set(np.unique(y)) <= {0.0, 1.0}:
        raise ValueError("`y_true` must be 0/1.")
    if len(np.unique(y)) < 2:
        raise ValueError("`y_true` holds one class only; AUC needs churners and stayers.")
    if ((p < 0) | (p > 1)).any() or np.isnan(p).any():
        raise ValueError("`p_churn` must be probabilities in [0, 1].")
    n_bins = check_int("n_bins", n_bins, 2, 100)
    order = np.argsort(-p, kind="stable")
    decile = np.empty(len(p), dtype=int)
    decile[order] = np.arange(len(p)) * n_bins // len(p) + 1
    df = pd.DataFrame({"decile": decile, "y": y})
    lift = df.groupby("decile").agg(customers=("y", "size"), churners=("y", "sum"))
    lift["rate"] = lift["churners"] / lift["customers"]
    lift["lift"] = lift["rate"] / y.mean()
    lift["cumulative_gains"] = lift["churners"].cumsum() / y.sum()
    lift["cumulative_lift"] = (lift["churners"].cumsum() / lift["customers"].cumsum()) / y.mean()
    obs, pred = calibration_curve(y, p, n_bins=n_bins, strategy="quantile")
    return ChurnEvaluation(auc=float(roc_auc_score(y, p)), brier=float(brier_score_loss(y, p)), lift=lift,
                           calibration=pd.DataFrame({"mean_predicted": pred, "observed_rate": obs}))


# --- member-get-member and service recovery ------------------------------------------------------------

def referral_programme(customers: pd.DataFrame, transactions: pd.DataFrame, *, reward: float = 10.0,
                       margin: float = 0.3, value_col: str = "amount") -> pd.DataFrame:
    """What the member-get-member programme cost and brought.

    Each referral that led to a purchase paid ``reward`` to both sides (2 x reward). Compares
    referred customers with customers acquired otherwise: how many, revenue and margin per
    customer so far, and the programme's return: (margin x revenue of referred customers -
    rewards) / rewards. (Some referred customers might have come anyway; the comparison with
    other channels is descriptive, not causal.)
    """
    check_frame("customers", customers, ["customer_id", "acquisition_channel", "referred_by"])
    check_frame("transactions", transactions, ["customer_id", value_col])
    reward = check_number("reward", reward, 0, 1e6)
    margin = check_number("margin", margin, 0, 1)
    spend = transactions.groupby("customer_id")[value_col].sum()
    c = customers.assign(revenue=customers["customer_id"].map(spend).fillna(0.0), bought=customers["customer_id"].isin(spend.index))
    c["referred"] = c["referred_by"].notna()
    rows = []
    for referred, part in c.groupby("referred"):
        buyers = part[part["bought"]]
        rows.append({"group": "referred" if referred else "other channels", "customers": len(part),
                     "buyers": len(buyers), "revenue_per_buyer": buyers["revenue"].mean() if len(buyers) else np.nan,
                     "margin_per_buyer": margin * buyers["revenue"].mean() if len(buyers) else np.nan})
    out = pd.DataFrame(rows).set_index("group")
    referred_buyers = c[c["referred"] & c["bought"]]
    cost = 2 * reward * len(referred_buyers)
    brought = margin * referred_buyers["revenue"].sum()
    out.attrs.update(rewards_paid=cost, margin_brought=brought, roi=(brought - cost) / cost if cost else np.nan,
                     referrers=int(c["referred_by"].nunique()))
    return out


def service_recovery(complaints: pd.DataFrame, *, predictors=("resolved_front_line", "days_to_resolve", "n_handoffs",
                                                             "compensation"), outcome: str = "stayed_180d"):
    """Which parts of complaint handling keep customers: a logistic regression of staying.

    Complaints without a known outcome (too recent) are left out. Severity enters as dummies
    (severity 1 is the baseline). Returns the fitted statsmodels result; its odds ratios
    (``np.exp(result.params)``) say how each handling feature changes the odds of staying.
    """
    from . import _sm as sm

    predictors = list(predictors)
    check_frame("complaints", complaints, predictors + [outcome, "severity"])
    df = complaints.dropna(subset=[outcome])
    if df.empty:
        raise ValueError(f"no complaint has a known '{outcome}'.")
    X = df[predictors].astype(float)
    for level in sorted(df["severity"].unique())[1:]:
        X[f"severity_{level}"] = (df["severity"] == level).astype(float)
    y = df[outcome].astype(float)
    return sm.Logit(y, sm.add_constant(X)).fit(disp=False)
