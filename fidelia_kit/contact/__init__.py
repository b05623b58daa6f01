"""fidelia_kit.contact — interacting with customers: the contact plan, its responses, the next-best offer.

The source material's plan has three phases: *reaffirm* the choice of the new customer
(welcome), *refresh* the relationship of the regular one (cross-sell, up-grade, a satisfaction
questionnaire), and *enrich* it with the most loyal and valuable (member-get-member referral
rewards for both sides, loyalty points).

- :mod:`.plan`: the phases (:data:`CONTACT_PHASES`, :func:`contact_plan` per cluster,
  :func:`phase_summary` per customer) and the member-get-member accounts
  (:func:`referral_programme`).
- :mod:`.response`: the contact history (:func:`contact_history`), response rates with
  intervals (:func:`contact_rates`), recent contacts and fatigue (:func:`recent_contacts`,
  :func:`contact_fatigue`).
- :mod:`.offer`: the next-best offer learned on randomized offers (:class:`NextBestOffer`),
  the value of an offer's purchase (:func:`offer_values`), the plans it is compared with and
  their profit on the truth (:func:`choose_offers`, :func:`uniform_offer`, :func:`rule_offers`,
  :func:`compare_offer_plans`).
"""
from __future__ import annotations

from .offer import (
    NextBestOffer,
    OfferComparison,
    PlanDifference,
    choose_offers,
    compare_offer_plans,
    contact_profit,
    offer_grid,
    offer_probabilities,
    offer_values,
    profit_difference,
    refit_difference,
    rule_offers,
    uniform_offer,
)
from .plan import (
    CONTACT_PHASES,
    ReferralResult,
    ReferrerResult,
    contact_plan,
    phase_summary,
    referral_programme,
    referrers_by_nps,
)
from .response import (
    ContactHistory,
    FatigueResult,
    contact_fatigue,
    contact_history,
    contact_rates,
    recent_contacts,
)

__all__ = [
    "CONTACT_PHASES", "contact_plan", "phase_summary", "ReferralResult", "referral_programme",
    "ReferrerResult", "referrers_by_nps",
    "ContactHistory", "contact_history", "contact_rates", "recent_contacts", "FatigueResult", "contact_fatigue",
    "offer_values", "offer_grid", "offer_probabilities", "NextBestOffer", "choose_offers", "uniform_offer", "rule_offers",
    "OfferComparison", "compare_offer_plans", "contact_profit", "PlanDifference", "profit_difference",
    "refit_difference",
]
