"""WorldConfig: every knob of the synthetic world, with its default, range and meaning."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .._validation import check_int, check_number

__all__ = ["WorldConfig"]


def _knob(default, low, high, doc):
    return field(default=default, metadata={"range": (low, high), "doc": doc})


@dataclass(frozen=True)
class WorldConfig:
    """The settings of a synthetic Fidelia world; every knob is validated on creation.

    A bad value raises ValueError (TypeError for a wrong type) naming the knob and
    its allowed range. ``WorldConfig.knobs()`` lists all knobs as a table.

    Parameters
    ----------
{parameters}

    Raises
    ------
    TypeError
        For a knob of the wrong type (a float where an integer is needed, ...).
    ValueError
        For a knob outside its range, or ``membership_first_year`` after the window's last year.

    See Also
    --------
    fidelia_kit.synth.generate_world : the world these settings make.

    Notes
    -----
    Purchases follow the BG/NBD model per week (Fader, Hardie & Lee 2005), amounts the
    Gamma-Gamma model, the paid membership the shifted-beta-geometric model (Fader &
    Hardie 2007); the truth file repeats every knob under ``config``.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the
       easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.
    .. [2] Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
       Journal of Interactive Marketing 21(1), 76-90.

    Examples
    --------
    >>> WorldConfig(n_customers=2_000, seed=7).n_years
    2
    >>> WorldConfig(prospect_share=2)
    Traceback (most recent call last):
    ...
    ValueError: `prospect_share` must be in [0.0, 0.9]; got 2.
    """

    # who
    n_customers: int = _knob(10_000, 50, 10_000_000, "Registered loyalty-card holders, prospects included.")
    seed: int = _knob(2026, 0, 2**63 - 1, "Seed of every random draw; the same seed gives byte-identical files.")
    start_date: str = _knob("2024-01-01", "2000-01-01", "2099-01-01", "First day of the window (the loyalty card's launch), ISO date.")
    n_years: int = _knob(2, 1, 5, "Length of the observation window in calendar years.")
    prospect_share: float = _knob(0.12, 0.0, 0.9, "Share of card holders who register without buying (the 'potential customer' rung); the welcome trial converts some later.")
    launch_share: float = _knob(0.30, 0.0, 1.0, "Share of card holders who register in the launch campaign (first 8 weeks).")
    market_size_factor: float = _knob(4.0, 1.0, 100.0, "People in the market per card holder; the rest are 'possible customers'.")
    referral_share: float = _knob(0.10, 0.0, 0.5, "Share of buyers acquired through member-get-member referral.")
    # purchases: BG/NBD, time unit one week
    purchase_r: float = _knob(0.85, 0.05, 20.0, "BG/NBD: shape r of the gamma distribution of purchase rates (per week).")
    purchase_alpha: float = _knob(6.0, 0.1, 1000.0, "BG/NBD: rate alpha of the gamma distribution of purchase rates, in weeks.")
    dropout_a: float = _knob(0.8, 0.05, 20.0, "BG/NBD: a of the beta distribution of the dropout probability.")
    dropout_b: float = _knob(5.0, 0.05, 50.0, "BG/NBD: b of the beta distribution of the dropout probability.")
    satisfaction_dropout_link: float = _knob(0.5, 0.0, 0.95, "Gaussian-copula correlation between low satisfaction and the dropout probability.")
    # spend: Gamma-Gamma
    spend_p: float = _knob(6.0, 0.5, 50.0, "Gamma-Gamma: shape p of the amount per purchase.")
    spend_q: float = _knob(4.0, 1.05, 50.0, "Gamma-Gamma: shape q of the customers' scale nu (q > 1 so the mean exists).")
    spend_v: float = _knob(22.0, 0.1, 100_000.0, "Gamma-Gamma: rate v of the customers' scale nu (EUR).")
    # card tiers: a purchase made while silver (gold) is (1 + effect) times its Gamma-Gamma amount
    tier_effect_silver: float = _knob(0.10, -0.5, 1.0, "Card tiers: relative change of the amount of each purchase made while silver (spend in the 365 days before it >= 400 EUR).")
    tier_effect_gold: float = _knob(0.15, -0.5, 1.0, "Card tiers: relative change of the amount of each purchase made while gold (spend in the 365 days before it >= 1,200 EUR).")
    # survey
    survey_share: float = _knob(0.80, 0.01, 1.0, "Share of active customers invited to the satisfaction survey.")
    response_rate: float = _knob(0.45, 0.01, 1.0, "Response rate of an average invited customer.")
    nonresponse_satisfaction: float = _knob(0.5, 0.0, 3.0, "Log-odds of responding per standard deviation of satisfaction (non-response bias).")
    item_missing_rate: float = _knob(0.03, 0.0, 0.5, "Chance that any one answer of a respondent is left blank (missing at random).")
    wallet_report_bias: float = _knob(8.0, -50.0, 50.0, "Share of wallet as answered: points (of 100) a respondent adds on average to their true share (overstating their loyalty to the store that asks) before the answer is clipped to 0-100 and rounded to steps of 5.")
    wallet_report_sd: float = _knob(12.0, 0.0, 50.0, "Share of wallet as answered: standard deviation (points) of a respondent's reporting error around the bias, drawn anew in every survey wave (0 with a zero bias: the true share, rounded).")
    # retention experiment
    email_effect: float = _knob(0.05, -0.5, 0.5, "Average effect of the discount e-mail on the 90-day purchase probability, before customer differences.")
    call_effect: float = _knob(0.09, -0.5, 0.5, "Average effect of the personal call on the 90-day purchase probability, before customer differences.")
    call_effect_spread: float = _knob(1.0, 0.0, 4.0, "Scale of the customer differences in the call's effect (spend rank, profile) around its average over the at-risk customers: 0 gives everyone the average effect, 2 doubles the spread; the average stays put.")
    # welcome contact
    welcome_effect: float = _knob(0.12, 0.0, 0.5, "Effect of the welcome contact on a prospect's probability of a first purchase within 90 days (4% without it).")
    # contact plan
    contact_random_share: float = _knob(0.30, 0.0, 1.0, "Share of the cross-sell offers whose category and channel are drawn at random (uniformly) instead of by the firm's rule, so their effect can be learned without bias.")
    # memberships: sBG
    membership_cohort_share: float = _knob(0.03, 0.0, 0.5, "New Fidelia Plus members per year, as a share of n_customers.")
    membership_first_year: int = _knob(2016, 1990, 2099, "First signup year of the paid membership (before the window: it predates the card).")
    membership_alpha: float = _knob(0.8, 0.05, 50.0, "sBG: alpha of the beta distribution of the yearly cancellation probability.")
    membership_beta: float = _knob(2.5, 0.05, 50.0, "sBG: beta of the beta distribution of the yearly cancellation probability.")
    # complaints
    complaint_rate_leaving: float = _knob(0.25, 0.0, 1.0, "Chance of a complaint about the purchase after which a customer leaves.")
    complaint_rate_staying: float = _knob(0.02, 0.0, 1.0, "Chance of a complaint about any other repeat purchase.")
    complaint_tolerance_days: float = _knob(6.0, 0.0, 30.0, "Days to resolve a complaint that customers tolerate: up to it the odds of leaving do not depend on the days; beyond it they rise by a fixed factor per day (0: from the first day).")

    def __post_init__(self):
        for f in dataclasses.fields(self):
            low, high = f.metadata["range"]
            value = getattr(self, f.name)
            if f.type == "int":
                check_int(f.name, value, low, high)
            elif f.name == "start_date":
                self._check_date(value, low, high)
            else:
                check_number(f.name, value, low, high)
        if self.membership_first_year > self.start.year + self.n_years - 1:
            raise ValueError(
                f"`membership_first_year` must be <= the last year of the window "
                f"({self.start.year + self.n_years - 1}); got {self.membership_first_year}; "
                f"set an earlier `membership_first_year` or a later `start_date`."
            )

    @staticmethod
    def _check_date(value, low, high):
        try:
            day = dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValueError(f"`start_date` must be an ISO date 'YYYY-MM-DD' in [{low}, {high}]; got {value!r}.") from None
        if not (dt.date.fromisoformat(low) <= day <= dt.date.fromisoformat(high)):
            raise ValueError(f"`start_date` must be in [{low}, {high}]; got {value!r}.")

    # derived dates -------------------------------------------------------------
    @property
    def start(self) -> dt.date:
        """First day of the window."""
        return dt.date.fromisoformat(self.start_date)

    @property
    def end(self) -> dt.date:
        """Last day of the window (inclusive)."""
        s = self.start  # counted from the 1st of the month, so 29 February ends on the 28th
        first = dt.date(s.year + self.n_years, s.month, 1)
        return first + dt.timedelta(days=s.day - 2)

    @property
    def n_days(self) -> int:
        """Days in the window."""
        return (self.end - self.start).days + 1

    @property
    def survey_day(self) -> int:
        """Day (from the start) the survey is sent: 60% into the window."""
        return int(round(0.60 * self.n_days))

    @property
    def first_wave_day(self) -> int:
        """Day (from the start) the first, shorter survey wave is sent: 30% into the window,
        before its middle (where notebook 02 compares the loyalty ladder with the end)."""
        return int(round(0.30 * self.n_days))

    @property
    def experiment_day(self) -> int:
        """Day (from the start) of the retention experiment: 75% into the window."""
        return int(round(0.75 * self.n_days))

    def to_dict(self) -> dict:
        """The knobs as a plain dict (JSON-ready)."""
        return dataclasses.asdict(self)

    @classmethod
    def knobs(cls) -> pd.DataFrame:
        """A table of every knob: name, default, allowed range and meaning."""
        rows = [
            {"knob": f.name, "default": f.default, "low": f.metadata["range"][0],
             "high": f.metadata["range"][1], "meaning": f.metadata["doc"]}
            for f in dataclasses.fields(cls)
        ]
        return pd.DataFrame(rows)


def _parameters_section() -> str:
    """The numpydoc Parameters entries of every knob, from the knobs' own metadata."""
    lines = []
    for f in dataclasses.fields(WorldConfig):
        low, high = f.metadata["range"]
        lines.append(f"    {f.name} : {f.type}, default={f.default!r}")
        lines.append(f"        {f.metadata['doc']} Range [{low}, {high}].")
    return "\n".join(lines)


WorldConfig.__doc__ = WorldConfig.__doc__.replace("{parameters}", _parameters_section())
