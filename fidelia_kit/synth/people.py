"""Card holders and their latent traits: profile, satisfaction, purchase and spend parameters.

Every BTYD quantity is drawn from exactly the mixing distribution the truth file names
(gamma for the purchase rate, beta for the dropout probability, gamma for the spend
scale), so the CLV models have a known right answer. Satisfaction is tied to dropout
by ranks (a Gaussian copula): the beta draws are handed out in the order of
``-rho * satisfaction + noise``, which keeps their beta distribution exact while the
least satisfied customers get the highest dropout probabilities.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schema import ACQUISITION_CHANNELS, AGE_BANDS, CONSTRUCTS, PROFILES
from .config import WorldConfig
from .welcome import Welcome, welcome_trial

__all__ = ["People", "make_people", "PROFILE_TRAITS", "DRIVER_WEIGHTS"]

#: True weights of the perceived-value constructs in latent satisfaction.
DRIVER_WEIGHTS = {"staff": 0.40, "accessibility": 0.28, "communication": 0.18,
                  "added_services": 0.11, "participation": 0.03}
CONSTRUCT_CORRELATION = 0.25
#: Relative chance of being picked as a referrer by NPS group (recommend 9-10, 7-8, 0-6).
REFERRAL_WEIGHTS = {"promoter": 4.0, "passive": 1.0, "detractor": 0.25}
REGION_SHIFT = {"North": 0.25, "South": -0.30, "East": 0.10, "West": 0.0, "Central": -0.05}
AGE_SHIFT = dict(zip(AGE_BANDS, (-0.5, -0.3, -0.1, 0.1, 0.3, 0.5)))
AGE_PROBS = (0.10, 0.20, 0.22, 0.20, 0.15, 0.13)
REGION_PROBS = (0.20, 0.25, 0.15, 0.15, 0.25)

#: How each latent profile shops. Channel probabilities follow SALES_CHANNELS
#: (store, online, app), payment PAYMENT_METHODS (card, cash, mobile), category
#: weights CATEGORIES (grocery, household, kids, fashion, beauty, electronics, home, sports).
PROFILE_TRAITS = {
    "family": dict(channel=(0.75, 0.10, 0.15), payment=(0.75, 0.15, 0.10), discount=0.15,
                   extra_lines=2.5, extra_qty=0.8, redeemer=0.7,
                   categories=(0.35, 0.20, 0.25, 0.05, 0.05, 0.02, 0.05, 0.03)),
    "premium": dict(channel=(0.45, 0.15, 0.40), payment=(0.85, 0.02, 0.13), discount=0.05,
                    extra_lines=1.2, extra_qty=0.2, redeemer=0.3,
                    categories=(0.05, 0.05, 0.03, 0.20, 0.10, 0.30, 0.20, 0.07)),
    "bargain": dict(channel=(0.10, 0.60, 0.30), payment=(0.40, 0.05, 0.55), discount=0.70,
                    extra_lines=1.0, extra_qty=0.5, redeemer=0.9,
                    categories=(0.10, 0.10, 0.05, 0.35, 0.25, 0.05, 0.03, 0.07)),
    "convenience": dict(channel=(0.92, 0.05, 0.03), payment=(0.30, 0.65, 0.05), discount=0.10,
                        extra_lines=0.4, extra_qty=0.2, redeemer=0.4,
                        categories=(0.45, 0.15, 0.02, 0.03, 0.15, 0.02, 0.03, 0.15)),
}
AFFINITY_CONCENTRATION = 20.0


@dataclass
class People:
    """Everyone who registered, in customer_id order (index i is customer_id i + 1)."""

    first_day: np.ndarray      # day of registration, from the window's start
    buyer: np.ndarray          # bool: makes a first purchase in the window (at registration, or after it: welcome)
    welcome: Welcome           # the welcome trial among prospects; welcome.first_purchase is each buyer's first day
    region: np.ndarray         # index into REGIONS
    age: np.ndarray            # index into AGE_BANDS
    channel: np.ndarray        # index into ACQUISITION_CHANNELS
    referred_by: np.ndarray    # customer_id or 0
    profile: np.ndarray        # index into PROFILES
    constructs: np.ndarray     # (n, 5) perceived value, columns in CONSTRUCTS order
    satisfaction: np.ndarray   # standardised over buyers; NaN for prospects
    recommend: np.ndarray      # 0-10 answer to the NPS question; -1 for prospects
    share_of_wallet: np.ndarray
    lam: np.ndarray            # purchases per week while alive; NaN for prospects
    p: np.ndarray              # dropout probability after each repeat purchase
    nu: np.ndarray             # Gamma-Gamma scale; mean spend = spend_p / nu
    affinity: np.ndarray       # (n, 8) category weights
    redeemer: np.ndarray       # bool: redeems points when a block of 500 is reached

    @property
    def n(self) -> int:
        return len(self.first_day)


def _choice(rng, probs, n):
    """Categorical draws from one probability vector, as indices."""
    return np.searchsorted(np.cumsum(probs), rng.random(n) * np.sum(probs), side="right").clip(0, len(probs) - 1)


def _rank01(x):
    """Ranks of x scaled to (0, 1)."""
    r = np.empty(len(x))
    r[np.argsort(x, kind="stable")] = np.arange(len(x))
    return (r + 0.5) / max(len(x), 1)


def make_people(cfg: WorldConfig, rng: np.random.Generator, welcome_rng: np.random.Generator) -> People:
    """Draw every card holder's observed attributes and latent traits.

    ``welcome_rng`` draws the welcome trial among the prospects (who did not buy at
    registration); those it converts become buyers like the others.
    """
    n, days = cfg.n_customers, cfg.n_days
    launch = rng.random(n) < cfg.launch_share
    first_day = np.where(launch, rng.integers(0, min(56, days), n), rng.integers(0, days, n))
    first_day = np.sort(first_day)  # ids follow the order of registration
    prospect = rng.random(n) < cfg.prospect_share  # no purchase on the day of registration
    welcome = welcome_trial(cfg, first_day, prospect, welcome_rng)
    buyer = ~prospect | welcome.converted
    region = _choice(rng, REGION_PROBS, n)
    age = _choice(rng, AGE_PROBS, n)

    # perceived value -> satisfaction (buyers only: prospects have no experience yet)
    k = len(CONSTRUCTS)
    corr = np.full((k, k), CONSTRUCT_CORRELATION) + (1 - CONSTRUCT_CORRELATION) * np.eye(k)
    z = rng.standard_normal((n, k)) @ np.linalg.cholesky(corr).T
    shift = np.array(list(REGION_SHIFT.values()))[region] + np.array(list(AGE_SHIFT.values()))[age]
    constructs = z + shift[:, None]
    weights = np.array([DRIVER_WEIGHTS[c] for c in CONSTRUCTS])
    s_raw = constructs @ weights + 0.5 * rng.standard_normal(n)
    nb = int(buyer.sum())
    sat = np.full(n, np.nan)
    sb = s_raw[buyer]
    sat[buyer] = (sb - sb.mean()) / (sb.std() if nb > 1 and sb.std() > 0 else 1.0)

    # BTYD latents: exact gamma / beta marginals
    lam = np.full(n, np.nan)
    p = np.full(n, np.nan)
    nu = np.full(n, np.nan)
    lam[buyer] = rng.gamma(cfg.purchase_r, 1.0 / cfg.purchase_alpha, nb)
    nu[buyer] = rng.gamma(cfg.spend_q, 1.0 / cfg.spend_v, nb)
    rho = cfg.satisfaction_dropout_link
    order_key = -rho * sat[buyer] + np.sqrt(1 - rho**2) * rng.standard_normal(nb)
    p_draws = np.sort(rng.beta(cfg.dropout_a, cfg.dropout_b, nb))
    pb = np.empty(nb)
    pb[np.argsort(order_key, kind="stable")] = p_draws
    p[buyer] = pb

    # latent profile: frequent buyers lean 'family', big spenders 'premium', ...
    u_lam = np.where(buyer, 0.5, 0.0)
    u_nu = np.where(buyer, 0.5, 0.0)
    u_lam[buyer] = _rank01(lam[buyer])
    u_nu[buyer] = 1 - _rank01(nu[buyer])  # small nu = large mean spend
    u_lam[~buyer] = rng.random(n - nb)
    u_nu[~buyer] = rng.random(n - nb)
    young, mid, older = age <= 1, (age >= 1) & (age <= 2), age >= 4
    util = np.column_stack([
        2.5 * u_lam + 1.0 * mid,                     # family
        3.0 * u_nu - 0.5 + 0.5 * (age == 3) + 0.5 * (age == 4),  # premium
        1.5 * (1 - u_nu) - 0.3 + 1.0 * young,        # bargain
        2.0 * (1 - u_lam) - 0.3 + 1.0 * older,       # convenience
    ]) + rng.gumbel(size=(n, len(PROFILES)))
    profile = util.argmax(axis=1)

    traits = [PROFILE_TRAITS[name] for name in PROFILES]
    cat_means = np.array([t["categories"] for t in traits])
    affinity = rng.gamma(AFFINITY_CONCENTRATION * cat_means[profile])
    affinity /= affinity.sum(axis=1, keepdims=True)
    redeemer = rng.random(n) < np.array([t["redeemer"] for t in traits])[profile]

    # recommendation and share of wallet follow satisfaction
    recommend = np.full(n, -1, dtype=np.int64)
    recommend[buyer] = np.clip(np.rint(7.6 + 1.9 * sat[buyer] + 1.1 * rng.standard_normal(nb)), 0, 10).astype(np.int64)
    sow = np.full(n, np.nan)
    log_lam = np.log(lam[buyer])
    zl = (log_lam - log_lam.mean()) / (log_lam.std() if nb > 1 and log_lam.std() > 0 else 1.0)
    sow[buyer] = np.round(100 / (1 + np.exp(-(-0.2 + 0.7 * sat[buyer] + 0.8 * zl + 0.6 * rng.standard_normal(nb)))), 1)

    # acquisition: prospects come online; some buyers through member-get-member, recommended by
    # a buyer who had bought before they registered (so not by a prospect who converted later)
    channel = np.where(~prospect, _choice(rng, (0.45, 0.20, 0.12, 0.13, 0.0), n), _choice(rng, (0.0, 0.45, 0.35, 0.20, 0.0), n))
    referred_by = np.zeros(n, dtype=np.int64)
    ids = np.arange(1, n + 1)
    wants = ~prospect & (rng.random(n) < cfg.referral_share) & (first_day > 0)
    buyer_ids = ids[buyer]
    weight = np.select([recommend[buyer] >= 9, recommend[buyer] >= 7],
                       [REFERRAL_WEIGHTS["promoter"], REFERRAL_WEIGHTS["passive"]],
                       REFERRAL_WEIGHTS["detractor"]) * ~prospect[buyer]
    cum = np.cumsum(weight)
    n_before = np.searchsorted(first_day[buyer], first_day[wants], side="left")  # buyers registered earlier
    ok = (n_before > 0) & (cum[np.maximum(n_before, 1) - 1] > 0) if len(cum) else n_before > 0
    draws = rng.random(int(wants.sum()))
    target = draws[ok] * cum[n_before[ok] - 1]
    pick = np.minimum(np.searchsorted(cum, target, side="right"), n_before[ok] - 1)
    who = np.flatnonzero(wants)[ok]
    referred_by[who] = buyer_ids[pick]
    channel[who] = ACQUISITION_CHANNELS.index("referral")

    return People(first_day=first_day, buyer=buyer, welcome=welcome, region=region, age=age, channel=channel,
                  referred_by=referred_by, profile=profile, constructs=constructs,
                  satisfaction=sat, recommend=recommend, share_of_wallet=sow, lam=lam, p=p,
                  nu=nu, affinity=affinity, redeemer=redeemer)
