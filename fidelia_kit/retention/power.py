"""Planning an experiment: sample size, power and the minimum detectable effect for a rate.

Power analysis is the one place where the kit speaks of a test size ``alpha`` rather than a
confidence level ``ci``: a two-sided test at size ``alpha`` rejects exactly when the
``ci = 1 - alpha`` interval excludes zero, so ``alpha = 1 - ci`` (0.05 for the 95% intervals
of :func:`~fidelia_kit.retention.compare_arms`).

The planning must use a base rate known *before* the experiment (last year's rate, a pilot,
a comparable campaign): the control arm's observed rate, plugged in afterwards, makes the
"power" a function of the very data it should judge.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from .._deprecation import keyword_only_since
from .._results import Result
from .._validation import check_number, check_probability

if TYPE_CHECKING:
    from .._typing import ArrayLike


__all__ = ["sample_size", "power_curve", "minimum_detectable_effect", "Retrodesign", "retrodesign"]


def _h(p1, p0):
    """Cohen's effect size for two proportions: the difference of their arcsine square roots, doubled."""
    return 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p0))


def _test_levels(alpha, power=None) -> tuple[float, float | None]:
    """Check a two-sided test's size ``alpha`` (= 1 - ci) and (optionally) its power."""
    alpha = check_probability("alpha", alpha, what="a significance level")
    if power is not None:
        power = check_probability("power", power)
        if power <= alpha:
            raise ValueError(f"`power` must exceed `alpha` ({alpha:g}), the power of the test when there is "
                             f"no effect at all; got power={power:g}.")
    return alpha, power


@keyword_only_since("alpha", "power", "ratio")
def sample_size(base_rate: float, min_lift: float, *, alpha: float = 0.05, power: float = 0.8,
                ratio: float = 1.0) -> int:
    """Customers needed in the control arm to detect an absolute lift in a rate (Cohen's h).

    Parameters
    ----------
    base_rate : float
        The control arm's rate, known before the experiment (e.g. 0.10 retained).
    min_lift : float
        The smallest absolute lift worth detecting (0.02 = two points).
    alpha : float, default=0.05
        Size of the two-sided test, strictly between 0 and 1: ``alpha = 1 - ci``.
    power : float, default=0.8
        Probability of detecting ``min_lift``; must exceed ``alpha``.
    ratio : float, default=1.0
        Treated per control customer; the treated arm needs ``ratio`` times this number.

    Returns
    -------
    int
        Customers in the control arm, rounded up.

    Raises
    ------
    ValueError
        A rate outside (0, 1), a zero lift, or a lift so small that it would need more
        than 10^12 customers (the message names ``min_lift``).
    TypeError
        ``alpha`` or ``power`` not a number.

    See Also
    --------
    power_curve : the power of several lifts and sizes.
    minimum_detectable_effect : the inverse question.

    Notes
    -----
    statsmodels' ``NormalIndPower`` (two-sided z-test) with Cohen's effect size
    h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0)), p1 = base_rate + min_lift, which makes the
    variance of each arm 1/n whatever the rate:

    .. math:: n = \\left(1 + \\frac{1}{ratio}\\right)
              \\left(\\frac{z_{1-\\alpha/2} + z_{power}}{h}\\right)^2

    (solved exactly, counting the far tail). It plans for that arcsine z-test;
    :func:`~fidelia_kit.retention.compare_arms` analyses with the Miettinen-Nurminen score
    test, whose power is close to it except for rates near 0 or 1 and small arms.

    References
    ----------
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.,
    chapter 6. Lawrence Erlbaum.

    Examples
    --------
    >>> sample_size(0.10, 0.02)          # 10% -> 12% at alpha 0.05 and power 0.8, per arm
    3835
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


def power_curve(
    base_rate: float,
    lifts: ArrayLike,
    n: ArrayLike,
    *,
    alpha: float = 0.05,
    ratio: float = 1.0,
) -> pd.DataFrame:
    """Power to detect each lift with each size of the control arm, as a tidy table.

    Parameters
    ----------
    base_rate : float
        The control arm's rate, known before the experiment.
    lifts : array-like
        Absolute lifts; each ``base_rate + lift`` must be a rate strictly between 0 and 1.
    n : array-like
        Customers in the control arm (each > 1); the treated arm has ``ratio * n``.
    alpha : float, default=0.05
        Size of the two-sided test, strictly between 0 and 1: ``alpha = 1 - ci``.
    ratio : float, default=1.0
        Treated per control customer.

    Returns
    -------
    DataFrame
        One row per lift and size: ``lift``, ``n_control``, ``n_treated``
        (= ``ratio * n_control``) and ``power``. The same columns whatever the ratio.

    Raises
    ------
    ValueError
        A rate outside (0, 1), a lift that leaves (0, 1), sizes <= 1, or a bad ``alpha``.

    See Also
    --------
    sample_size : the size that reaches a given power.

    Notes
    -----
    Power of the two-sided z-test on Cohen's h, as in :func:`sample_size` (statsmodels'
    ``NormalIndPower``):

    .. math:: \\Phi\\left(|h| \\sqrt{n / (1 + 1/ratio)} - z_{1-\\alpha/2}\\right)

    plus the (tiny) probability of rejecting in the wrong direction.

    References
    ----------
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.,
    chapter 6. Lawrence Erlbaum.

    Examples
    --------
    >>> pc = power_curve(0.10, [0.02], [1000, 3835])
    >>> pc.round(3)
       lift  n_control  n_treated  power
    0  0.02       1000       1000  0.299
    1  0.02       3835       3835  0.800
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
    solver = NormalIndPower()
    rows = [{"lift": lift, "n_control": int(k), "n_treated": int(round(k * ratio)),
             "power": float(solver.power(effect_size=abs(_h(p0 + lift, p0)), nobs1=k, alpha=alpha, ratio=ratio))}
            for lift in lifts for k in ns]
    return pd.DataFrame(rows, columns=["lift", "n_control", "n_treated", "power"])


def minimum_detectable_effect(n: int, base_rate: float, *, alpha: float = 0.05, power: float = 0.8,
                              ratio: float = 1.0) -> float:
    """The smallest absolute lift over ``base_rate`` detectable with ``n`` control customers.

    Parameters
    ----------
    n : int
        Customers in the control arm (>= 2); the treated arm has ``ratio * n``.
    base_rate : float
        The control arm's rate, known before the experiment.
    alpha : float, default=0.05
        Size of the two-sided test: ``alpha = 1 - ci``.
    power : float, default=0.8
        Required probability of detecting the lift.
    ratio : float, default=1.0
        Treated per control customer.

    Returns
    -------
    float
        The lift, or NaN with a UserWarning when no rise of the rate reaches ``power``:
        Cohen's h cannot exceed ``pi - 2 asin(sqrt(base_rate))`` (a rise to a rate of 1), so
        with too few customers or a base rate near 1 no lift is detectable.

    Raises
    ------
    ValueError
        A size below 2, a rate outside (0, 1), or bad levels.

    See Also
    --------
    sample_size : the inverse question.

    Notes
    -----
    Inverts :func:`sample_size`: statsmodels' ``NormalIndPower`` gives the detectable Cohen's
    h for ``n`` control and ``ratio * n`` treated customers, and the lift is

    .. math:: \\sin^2\\left(\\arcsin\\sqrt{p_0} + h / 2\\right) - p_0

    (an increase in the rate), which has exactly the requested ``power``.

    References
    ----------
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.,
    chapter 6. Lawrence Erlbaum.

    Examples
    --------
    >>> round(minimum_detectable_effect(3835, 0.10), 4)
    0.02
    """
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


@dataclass(frozen=True, repr=False)
class Retrodesign(Result):
    """What a test of a given precision does to an assumed true effect: power, sign and size errors.

    Attributes
    ----------
    effect : float
        The assumed true effect D.
    se : float
        The estimate's standard error s.
    alpha : float
        Size of the two-sided test (``alpha = 1 - ci``).
    power : float
        Probability that the estimate is significant.
    type_s : float
        Probability that a significant estimate has the wrong sign.
    exaggeration : float
        Expected ``|estimate| / |D|`` among significant estimates (the type M error).

    Examples
    --------
    >>> r = retrodesign(0.05, 0.05)
    >>> round(r.power, 3), round(r.exaggeration, 2)
    (0.17, 2.49)
    """

    effect: float
    se: float
    alpha: float
    power: float
    type_s: float
    exaggeration: float


def retrodesign(effect: float, se: float, *, alpha: float = 0.05) -> Retrodesign:
    """Power, type S and type M (exaggeration) errors of a test with standard error ``se``.

    Parameters
    ----------
    effect : float
        A plausible true effect (non-zero), from outside the data: the effect planned for,
        a published one, or the world's truth; never the estimate itself.
    se : float
        The standard error of the estimate (> 0), e.g. the half-width of a 95% interval / 1.96.
    alpha : float, default=0.05
        Size of the two-sided test: ``alpha = 1 - ci``.

    Returns
    -------
    Retrodesign
        ``power``, ``type_s`` and ``exaggeration``.

    Raises
    ------
    ValueError
        A zero effect, a standard error <= 0, or a bad ``alpha``.

    See Also
    --------
    power_curve : power over sizes before the experiment.

    Notes
    -----
    With :math:`\\lambda = D / s`, the estimate is :math:`N(D, s^2)` and significant when
    :math:`|\\hat D| > z s`, :math:`z = z_{1-\\alpha/2}`:

    .. math:: \\text{power} = \\Phi(-z - \\lambda) + 1 - \\Phi(z - \\lambda), \\qquad
              \\text{type S} = \\Phi(-z - |\\lambda|) / \\text{power}

    and the exaggeration ratio is :math:`E[|\\hat D| \\mid |\\hat D| > z s] / |D|`, from the
    truncated normal's means. An underpowered test that comes out significant overstates the
    effect (the winner's curse): at power 0.2 a significant estimate is on average about
    twice the truth.

    References
    ----------
    Gelman, A. & Carlin, J. (2014). Beyond power calculations: assessing type S (sign) and
    type M (magnitude) errors. Perspectives on Psychological Science 9(6), 641-651.

    Examples
    --------
    >>> r = retrodesign(0.08, 0.055)           # a 150-per-arm test of an 8-point lift
    >>> round(r.power, 2), round(r.exaggeration, 2), round(r.type_s, 4)
    (0.31, 1.79, 0.001)
    """
    effect = check_number("effect", effect, -1e12, 1e12)
    if effect == 0:
        raise ValueError("`effect` must be non-zero: the exaggeration of a zero effect is undefined.")
    se = check_number("se", se, 0, 1e12)
    if se <= 0:
        raise ValueError(f"`se` must be > 0; got {se!r}.")
    alpha, _ = _test_levels(alpha)
    z = float(stats.norm.isf(alpha / 2))
    d = abs(effect)
    lam = d / se
    hi, lo = stats.norm.sf(z - lam), stats.norm.cdf(-z - lam)
    power = float(hi + lo)
    # E[|X|; |X| > z s] for X ~ N(d, s^2): the two tails' partial means
    upper = d * hi + se * stats.norm.pdf(z - lam)
    lower = -d * lo + se * stats.norm.pdf(-z - lam)
    return Retrodesign(effect=effect, se=se, alpha=alpha, power=power, type_s=float(lo / power),
                       exaggeration=float((upper + lower) / power / d))
