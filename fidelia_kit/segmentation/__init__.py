"""fidelia_kit.segmentation — value-based segmentation: the 'differentiate' step.

Customers are ranked by the value they bring now (:mod:`.rfm`: RFM/RFMT scores;
:mod:`.value`: customer profit, the Pareto curve) and will bring (value tiers), placed on
the loyalty ladder (:mod:`.ladder`), grouped by how they shop (:mod:`.clusters`) and by
what they buy together (:mod:`.affinity`), so a firm can decide whom to retain, develop or
stop serving at a loss. The contact plan lives in :mod:`fidelia_kit.contact`.

Column vocabulary: RFM tables use ``days_since_last``, ``n_purchases`` (distinct purchase
days), ``monetary_total``, ``tenure_days``; never ``recency``/``frequency``, which mean
something else in the CLV module. Behaviour features count receipts as ``n_receipts``.
"""
from __future__ import annotations

from ..contact import CONTACT_PHASES, contact_plan
from .affinity import affinity_differences, category_affinity
from .clusters import (
    ClusterResult,
    CustomerClusters,
    behaviour_features,
    cluster_customers,
    cluster_traits,
    silhouette_strength,
)
from .ladder import (
    LADDER_RULES,
    LADDER_RUNGS,
    LadderMoves,
    LoyaltyLadder,
    ladder_moves,
    ladder_transitions,
    loyalty_ladder,
)
from .lifecycle import LIFECYCLE_PHASES, contact_phases
from .rfm import (
    RFM_SEGMENTS,
    RankingChange,
    RFMWeights,
    ranking_change,
    rfm_scores,
    rfm_segments,
    rfm_table,
    rfm_weight_vector,
    rfm_weights,
    value_by_score_group,
    weighted_rfm_score,
)
from .value import TIERS, ParetoResult, customer_profit, future_profit, future_value_proxy, pareto_curve, value_tiers

__all__ = [
    "rfm_table",
    "rfm_scores",
    "rfm_segments",
    "weighted_rfm_score",
    "rfm_weight_vector",
    "RFMWeights",
    "rfm_weights",
    "value_by_score_group",
    "RankingChange",
    "ranking_change",
    "RFM_SEGMENTS",
    "customer_profit",
    "future_value_proxy",
    "future_profit",
    "value_tiers",
    "TIERS",
    "LADDER_RUNGS",
    "LADDER_RULES",
    "LoyaltyLadder",
    "loyalty_ladder",
    "ladder_transitions",
    "LadderMoves",
    "ladder_moves",
    "ParetoResult",
    "pareto_curve",
    "behaviour_features",
    "CustomerClusters",
    "ClusterResult",
    "cluster_customers",
    "silhouette_strength",
    "cluster_traits",
    "category_affinity",
    "affinity_differences",
    "LIFECYCLE_PHASES",
    "contact_phases",
    "CONTACT_PHASES",
    "contact_plan",
]
