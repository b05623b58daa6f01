"""Service recovery: how the handling of a complaint changes whether the customer stays."""
from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._deprecation import renamed
from .._results import Result
from .._validation import check_binary, check_frame, check_option, ci_z
from ..exceptions import ConvergenceError

__all__ = ["RecoveryResult", "service_recovery", "HANDLING_UNITS"]

#: The unit of each handling column of the world's complaints table, as an odds ratio's "per" names it.
HANDLING_UNITS = {"days_to_resolve": "day to resolve", "n_handoffs": "hand-off", "compensation": "EUR of compensation"}

# --- service recovery -------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class RecoveryResult(Result):
    """A logistic regression of staying after a complaint, read as odds ratios.

    Attributes
    ----------
    table : DataFrame
        One row per predictor (severity dummies included, intercept left out):
        ``predictor``, ``per`` (the comparison one odds ratio makes: "one more day to
        resolve", "1 (yes) against 0 (no)", "severity 2 against severity 1"), ``coef``
        (log-odds of staying per unit), ``se``, ``estimate`` (the odds ratio of staying,
        ``exp(coef)``), ``ci_low``, ``ci_high`` (its Wald interval), ``pvalue``.
    scale : str
        What ``estimate`` measures, in words.
    outcome_col : str
        The 0/1 column modelled (1 = stayed).
    n : int
        Complaints in the fit (outcome known).
    n_unknown : int
        Complaints left out because their outcome is not known yet (too recent).
    ci : float
        Confidence level of the intervals.
    log_likelihood : float

    Examples
    --------
    >>> from fidelia_kit import generate_world
    >>> res = service_recovery(generate_world(n_customers=2000, seed=3).tables["complaints"])
    >>> res.scale
    'odds ratio of stayed_180d = 1 per unit of the predictor (above 1: more customers stay)'
    """

    table: pd.DataFrame
    scale: str
    outcome_col: str
    n: int
    n_unknown: int
    ci: float
    log_likelihood: float

    def odds_ratios(self, *, of: str = "staying") -> pd.DataFrame:
        """Odds ratios with intervals, indexed by predictor, of staying or of leaving.

        Parameters
        ----------
        of : {"staying", "leaving"}, default="staying"
            ``"leaving"`` inverts each odds ratio (and swaps its interval's ends): the odds
            ratio of leaving is ``1 / OR_staying``, the scale of a truth stated as log-odds of
            leaving (``exp`` of it).

        Returns
        -------
        DataFrame
            ``estimate`` (odds ratio), ``ci_low``, ``ci_high``, ``pvalue`` per predictor, and
            ``per`` (what one odds ratio compares) when the table has it.

        Examples
        --------
        >>> t = pd.DataFrame({"predictor": ["x"], "coef": [np.log(2.0)], "se": [0.1], "estimate": [2.0],
        ...                   "ci_low": [1.6], "ci_high": [2.5], "pvalue": [0.001]})
        >>> r = RecoveryResult(t, "odds ratio", "stayed", 100, 0, 0.95, -50.0)
        >>> r.odds_ratios(of="leaving").loc["x", ["estimate", "ci_low", "ci_high"]].tolist()
        [0.5, 0.4, 0.625]
        """
        check_option("of", of, ["staying", "leaving"])
        cols = ["estimate", "ci_low", "ci_high", "pvalue"] + (["per"] if "per" in self.table else [])
        t = self.table.set_index("predictor")[cols].copy()
        if of == "leaving":
            t = t.assign(estimate=1 / t["estimate"], ci_low=1 / t["ci_high"], ci_high=1 / t["ci_low"])
        return t

    def to_frame(self) -> pd.DataFrame:
        """The per-predictor table (odds ratio of staying as ``estimate``, with ``ci_low``/``ci_high``).

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> t = pd.DataFrame({"predictor": ["x"], "coef": [0.7], "se": [0.1], "estimate": [2.0],
        ...                   "ci_low": [1.6], "ci_high": [2.5], "pvalue": [0.001]})
        >>> RecoveryResult(t, "odds ratio", "stayed", 100, 0, 0.95, -50.0).to_frame().shape
        (1, 7)
        """
        return self.table.copy()


@renamed(predictors="predictor_cols", outcome="outcome_col")
def service_recovery(complaints: pd.DataFrame, *,
                     predictor_cols: Sequence[str] = ("resolved_front_line", "days_to_resolve", "n_handoffs",
                                                      "compensation"),
                     outcome_col: str = "stayed_180d", severity_col: str | None = "severity",
                     ci: float = 0.95, units: Mapping[str, str] | None = None) -> RecoveryResult:
    """Which parts of complaint handling keep customers: a logistic regression of staying.

    Parameters
    ----------
    complaints : DataFrame
        One row per complaint.
    predictor_cols : sequence of str
        Numeric (or bool) columns describing how the complaint was handled. (Formerly
        ``predictors``.)
    outcome_col : str, default="stayed_180d"
        0/1 (or bool) column, 1 when the customer stayed; missing when not known yet. Those
        complaints are left out and counted in ``n_unknown``. (Formerly ``outcome``.)
    severity_col : str or None, default="severity"
        A categorical column entered as dummies (its lowest level is the baseline); None
        leaves it out.
    ci : float, default=0.95
        Confidence level of the odds ratios' intervals.
    units : mapping, optional
        The unit of each numeric predictor, e.g. ``{"days_to_resolve": "day to resolve"}``,
        for the ``per`` column ("one more day to resolve"); default :data:`HANDLING_UNITS`,
        the world's columns. A 0/1 predictor is read "1 (yes) against 0 (no)"; a predictor
        without a unit "one more unit of <name>".

    Returns
    -------
    RecoveryResult
        ``table`` of odds ratios of staying (``estimate``, ``ci_low``, ``ci_high``,
        ``pvalue`` per predictor), ``odds_ratios(of="leaving")`` on the other scale,
        ``n`` and ``n_unknown``.

    Raises
    ------
    ValueError
        Missing columns, a non-numeric predictor, an outcome that is not 0/1, or no complaint
        with a known outcome.
    ConvergenceError
        When the maximum-likelihood fit does not converge or a standard error is infinite
        (a predictor separates stayers from leavers, or too few complaints); it carries
        statsmodels' ``mle_retvals``.

    See Also
    --------
    fidelia_kit.verdict.effect_sign : say whether an effect is distinguishable from zero.

    Notes
    -----
    .. math:: \\log\\frac{P(\\text{stay})}{1 - P(\\text{stay})} = \\beta_0 + \\sum_k \\beta_k x_k

    The odds ratio of a predictor is :math:`e^{\\beta_k}` with the Wald interval
    :math:`e^{\\beta_k \\pm z\\, se_k}`: the factor by which one more unit (a day, a hand-off;
    for a 0/1 flag, the flag) multiplies the odds of staying, the others held fixed. Leaving
    is the complement, so its log-odds slope is :math:`-\\beta_k` and its odds ratio
    :math:`e^{-\\beta_k}`. The estimates are associations in observational data: a handling
    feature that goes with other causes (hand-offs happen when the front line could not
    solve) shares their effect.

    References
    ----------
    Hosmer, D. W., Lemeshow, S. & Sturdivant, R. X. (2013). Applied Logistic Regression,
    3rd ed. Wiley, chapter 3 (interpreting odds ratios).

    Examples
    --------
    >>> from fidelia_kit import generate_world
    >>> res = service_recovery(generate_world(n_customers=2000, seed=3).tables["complaints"])
    >>> res.table["predictor"].tolist()
    ['resolved_front_line', 'days_to_resolve', 'n_handoffs', 'compensation', 'severity_2', 'severity_3']
    >>> bool(res.odds_ratios().loc["days_to_resolve", "estimate"] < 1)
    True
    """
    from .. import _sm as sm

    predictor_cols = [predictor_cols] if isinstance(predictor_cols, str) else list(predictor_cols)
    z = ci_z(ci)
    check_frame("complaints", complaints, predictor_cols + [outcome_col] + ([severity_col] if severity_col else []))
    bad = [c for c in predictor_cols if not (pd.api.types.is_numeric_dtype(complaints[c])
                                            or pd.api.types.is_bool_dtype(complaints[c]))]
    if bad:
        raise ValueError(f"`complaints`: predictor column(s) {bad} must be numeric or 0/1.")
    known = complaints[outcome_col].notna()
    df = complaints[known]
    if df.empty:
        raise ValueError(f"`complaints`: no complaint has a known '{outcome_col}'.")
    y = check_binary(f"complaints['{outcome_col}']", df[outcome_col].to_numpy()).astype(float)
    X = df[predictor_cols].astype(float)
    na = X.columns[X.isna().any()].tolist()
    if na:
        raise ValueError(f"`complaints`: predictor column(s) {na} have missing values.")
    if severity_col:
        for level in sorted(df[severity_col].dropna().unique())[1:]:
            X[f"{severity_col}_{level}"] = (df[severity_col] == level).astype(float)
    with warnings.catch_warnings(record=True) as caught:     # statsmodels warns; the kit raises instead
        warnings.simplefilter("always")
        try:
            fit = sm.Logit(y, sm.add_constant(X, has_constant="add")).fit(disp=False)
        except np.linalg.LinAlgError as exc:
            raise ConvergenceError(f"service_recovery: the logistic regression on {len(df)} complaints cannot be "
                                   f"fitted ({exc}); too few complaints, or predictors that duplicate each other.",
                                   None) from None
    messages = [str(w.message) for w in caught]
    problems = sorted({m.split(".")[0] for m in messages if "converge" in m.lower() or "separation" in m.lower()})
    converged = bool(fit.mle_retvals.get("converged", True)) and np.isfinite(np.asarray(fit.bse)).all()
    if problems or not converged:
        raise ConvergenceError(f"service_recovery: the logistic regression on {len(df)} complaints did not converge "
                               f"({'; '.join(problems) or 'infinite standard errors'}): some predictor (or severity "
                               f"level) separates those who stayed from those who left, or there are too few "
                               f"complaints for {X.shape[1] + 1} coefficients.", fit.mle_retvals)
    coef, se, p = (pd.Series(v, index=["const"] + list(X.columns)).drop("const") for v in
                   (np.asarray(fit.params), np.asarray(fit.bse), np.asarray(fit.pvalues)))
    table = pd.DataFrame({"predictor": coef.index, "coef": coef.to_numpy(), "se": se.to_numpy(),
                          "estimate": np.exp(coef.to_numpy()), "ci_low": np.exp((coef - z * se).to_numpy()),
                          "ci_high": np.exp((coef + z * se).to_numpy()), "pvalue": p.to_numpy()})
    units = {**HANDLING_UNITS, **dict(units or {})}
    per = []
    for name in coef.index:
        if name in predictor_cols and set(pd.unique(X[name])) <= {0.0, 1.0}:
            per.append("1 (yes) against 0 (no)")
        elif name in predictor_cols:
            per.append(f"one more {units[name]}" if name in units else f"one more unit of {name}")
        else:
            base = sorted(df[severity_col].dropna().unique())[0]
            per.append(f"{severity_col} {name[len(severity_col) + 1:]} against {severity_col} {base}")
    table.insert(1, "per", per)
    scale = f"odds ratio of {outcome_col} = 1 per unit of the predictor (above 1: more customers stay)"
    return RecoveryResult(table=table, scale=scale, outcome_col=outcome_col, n=len(df), n_unknown=int((~known).sum()),
                          ci=float(ci), log_likelihood=float(fit.llf))
