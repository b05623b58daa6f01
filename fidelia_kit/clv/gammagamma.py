"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005b; Colombo & Jiang 1999).

Each customer's transaction values are Gamma(p, nu); across customers nu ~ Gamma(q, v).
Fitted on customers with at least one repeat purchase, from their number of repeat
purchases x and mean repeat spend m.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import digamma, gammaln

from .._validation import check_weights
from ._base import BaseModel, _vector, compress, maximize

__all__ = ["GammaGammaModel"]


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

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves
    for customer base analysis. Journal of Marketing Research 42(4), 415-430; and
    'The Gamma-Gamma model of monetary value', http://brucehardie.com/notes/025/
    """

    _param_names = ("p", "q", "v")

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

    def fit(self, frequency, monetary_value, *, weights=None):
        """Fit on customers with frequency > 0; returns self."""
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
        res = maximize(objective, starts, names=self._param_names, model="GammaGammaModel", max_iter=self.max_iter)
        self._store(np.exp(res.x), lambda p: float(wc @ self._ll_grad(p, xc, mc)[0]), total)
        return self

    def expected_spend(self, frequency, monetary_value):
        """E[spend per transaction | x, m] = p (v + x m) / (p x + q - 1): a weighted mean of the
        population mean p v / (q - 1) and the customer's own mean m, more of m the more they bought.
        Customers with frequency 0 get the population mean."""
        self._check_fitted()
        p, q, v = self.params_
        x, m = _vector("frequency", frequency), _vector("monetary_value", monetary_value)
        out = p * (v + x * m) / (p * x + q - 1)
        return np.where(x > 0, out, p * v / (q - 1))

    def check_independence(self, frequency, monetary_value) -> pd.Series:
        """The correlation between frequency and mean spend that the model assumes is zero.

        Returns Pearson's r with its p-value and n (customers with frequency > 0). A clear
        correlation (say |r| > 0.3) is a warning that the model's CLV will be biased.
        """
        x, m, _ = _spend_inputs(frequency, monetary_value)
        r, p = stats.pearsonr(x, m)
        return pd.Series({"pearson_r": float(r), "pvalue": float(p), "n": len(x)})
