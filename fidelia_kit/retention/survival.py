"""How long customers stay: Kaplan-Meier, the log-rank test, Cox regression and cohort tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import (
    as_amounts,
    as_dates,
    check_frame,
    check_number,
    check_option,
)

__all__ = ["kaplan_meier", "logrank", "cox", "cohort_table"]

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
    from .. import _sm as sm

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


