"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005b; Colombo & Jiang 1999).

Each customer's transaction values are Gamma(p, nu); across customers nu ~ Gamma(q, v).
Fitted on customers with at least one repeat purchase, from their number of repeat
purchases x and mean repeat spend m.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import digamma, gammaln

from .._results import Result
from .._validation import check_weights, ci_z
from ._base import BaseModel, _vector, compress, maximize

if TYPE_CHECKING:
    from .._typing import ArrayLike


__all__ = ["GammaGammaModel", "IndependenceCheck"]


def _spend_inputs(frequency, monetary_value, weights=None):
    x, m = _vector("frequency", frequency), _vector("monetary_value", monetary_value)
    if len(x) != len(m):
        raise ValueError(f"`frequency` and `monetary_value` must have the same length; got {len(x)} and {len(m)}.")
    if (x <= 0).any():
        raise ValueError(f"the Gamma-Gamma model needs customers with at least one repeat purchase; "
                         f"{int((x <= 0).sum())} have frequency 0 (select summary[summary.frequency > 0]).")
    if (m <= 0).any():
        raise ValueError(f"`monetary_value` must be > 0 (the model describes positive spend); "
                         f"{int((m <= 0).sum())} customers have spend <= 0.")
    w = np.ones_like(x) if weights is None else check_weights("weights", weights, len(x), per="customer")
    return x, m, w


class GammaGammaModel(BaseModel):
    """Gamma-Gamma spend model (params p, q, v).

    Parameters
    ----------
    penalizer : float, default=0.0
        L2 penalty on the parameters added to the mean negative log-likelihood (as lifetimes).
    max_iter : int, default=500
        Iterations of each optimiser run.

    Attributes
    ----------
    params_ : Series
        The estimates (p, q, v).
    std_errors_ : Series
        From the Hessian of the log-likelihood at the optimum.
    covariance_ : DataFrame
        The inverse of the observed information.
    log_likelihood_ : float
        Total log-likelihood at the optimum.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves
    for customer base analysis. Journal of Marketing Research 42(4), 415-430; and
    'The Gamma-Gamma model of monetary value', http://brucehardie.com/notes/025/

    Examples
    --------
    >>> x = [1, 1, 2, 2, 3, 5, 6, 8, 1, 3, 10, 4]
    >>> m = [12.0, 60.0, 18.0, 95.0, 22.0, 140.0, 28.0, 45.0, 8.0, 50.0, 24.0, 31.0]
    >>> gg = GammaGammaModel().fit(x, m)
    >>> spend = gg.expected_spend([1, 10], [60.0, 60.0])
    >>> bool(spend[1] > spend[0])    # ten purchases at 60 are more convincing than one
    True
    """

    _estimate_names = ("p", "q", "v")

    @staticmethod
    def _ll_grad(params, x, m):
        p, q, v = params
        px = p * x
        ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(m)
              + px * np.log(x) - (px + q) * np.log(x * m + v))
        d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - np.log(x * m + v))
        d_q = digamma(px + q) - digamma(q) + np.log(v) - np.log(x * m + v)
        d_v = q / v - (px + q) / (x * m + v)
        return ll, np.vstack([d_p, d_q, d_v])

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike, *, weights: ArrayLike | None = None) -> Self:
        """Fit on customers with frequency > 0; returns self."""
        self._check_settings()
        x, m, w = _spend_inputs(frequency, monetary_value, weights)
        self._check_histories({"frequency": x, "monetary_value": m}, w)
        xc, mc, wc = compress(x, m, weights=w)
        total = wc.sum()

        def objective(u):
            p = np.exp(u)
            ll, g = self._ll_grad(p, xc, mc)
            return -(wc @ ll) / total + self._penalty(p), -(g @ wc) / total * p + 2 * self.penalizer * p**2

        mbar = float(np.average(m, weights=w))
        starts = [(1.0, 2.0, mbar), (5.0, 3.0, 2 * mbar), (0.5, 1.5, 0.5 * mbar)]
        res = maximize(objective, starts, names=self._estimate_names, model="GammaGammaModel", max_iter=self.max_iter)
        self._store(np.exp(res.x), lambda p: float(wc @ self._ll_grad(p, xc, mc)[0]), total)
        return self

    def expected_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> np.ndarray:
        """E[spend per transaction | x, m] = p (v + x m) / (p x + q - 1): a weighted mean of the
        population mean p v / (q - 1) and the customer's own mean m, more of m the more they bought.
        Customers with frequency 0 get the population mean."""
        self._check_fitted()
        p, q, v = self.params_
        x, m = _vector("frequency", frequency), _vector("monetary_value", monetary_value)
        out = p * (v + x * m) / (p * x + q - 1)
        return np.where(x > 0, out, p * v / (q - 1))

    def check_independence(
        self,
        frequency: ArrayLike,
        monetary_value: ArrayLike,
        *,
        ci: float = 0.95,
    ) -> IndependenceCheck:
        """Test the model's assumption that spend per purchase does not depend on frequency.

        Parameters
        ----------
        frequency, monetary_value : array-like
            Repeat purchases and mean repeat spend of customers with frequency > 0.
        ci : float, default=0.95
            Confidence level of the interval for the correlation.

        Returns
        -------
        IndependenceCheck
            Pearson's r (``estimate``) with ``ci_low``, ``ci_high`` (Fisher z), ``pvalue``
            (H0: r = 0) and ``n``.

        Notes
        -----
        A clear correlation (say \\|r\\| > 0.3) is a warning that the model's CLV will be biased;
        a tiny one can be "significant" on thousands of customers and still harmless, so
        read the size, not only the p-value. The interval is
        :math:`\\tanh(\\operatorname{atanh}(r) \\pm z / \\sqrt{n - 3})`.

        Examples
        --------
        >>> gg = GammaGammaModel()
        >>> chk = gg.check_independence([1, 2, 3, 4, 5, 6], [10.0, 12.0, 9.0, 11.0, 10.5, 9.5])
        >>> round(chk.estimate, 3), chk.n
        (-0.247, 6)
        """
        x, m, _ = _spend_inputs(frequency, monetary_value)
        z = ci_z(ci)
        res = stats.pearsonr(x, m)
        r = float(res.statistic)
        half = z / np.sqrt(len(x) - 3) if len(x) > 3 else np.inf
        return IndependenceCheck(estimate=r, ci_low=float(np.tanh(np.arctanh(r) - half)),
                                 ci_high=float(np.tanh(np.arctanh(r) + half)), pvalue=float(res.pvalue), n=len(x),
                                 ci=float(ci))


@dataclass(frozen=True, repr=False)
class IndependenceCheck(Result):
    """The correlation between frequency and mean spend, which the Gamma-Gamma model assumes is 0.

    Attributes
    ----------
    estimate : float
        Pearson's r.
    ci_low, ci_high : float
        Its interval (Fisher z transform).
    pvalue : float
        Two-sided test of r = 0.
    n : int
        Customers (frequency > 0).
    ci : float
        Confidence level.
    method : str
        "pearson".

    Examples
    --------
    >>> IndependenceCheck(0.1, -0.05, 0.25, 0.2, 150, 0.95)
    IndependenceCheck(estimate=0.1, ci_low=-0.05, ci_high=0.25, pvalue=0.2, n=150, ci=0.95, method='pearson')
    """

    estimate: float
    ci_low: float
    ci_high: float
    pvalue: float
    n: int
    ci: float
    method: str = "pearson"

    def to_frame(self) -> pd.DataFrame:
        """One row: ``estimate, ci_low, ci_high, pvalue, n, method``."""
        return pd.DataFrame([{"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high,
                              "pvalue": self.pvalue, "n": self.n, "method": self.method}])
