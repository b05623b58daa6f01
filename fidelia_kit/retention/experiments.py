"""Randomized retention experiments: effects with intervals, covariate adjustment, power and ROI."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import (
    as_amounts,
    check_frame,
    check_number,
    check_option,
    check_probability,
)

__all__ = ["compare_arms", "adjusted_effect", "cuped", "sample_size", "power_curve", "minimum_detectable_effect", "campaign_roi"]

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
    from .. import _sm as sm

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


