"""fidelia_kit.retention — keeping customers: experiments, uplift, survival, churn and recovery.

Test a retention action before rolling it out (:mod:`.experiments`: :func:`compare_arms`,
:func:`adjusted_effect`, :func:`cuped`, :func:`campaign_roi`; its return in the short and the long
run with :func:`campaign_return` and :func:`kept_customer_value`), plan it (:mod:`.power`:
:func:`sample_size`, :func:`power_curve`), target it
at the customers it helps (:mod:`.uplift`: :class:`UpliftModel`, :func:`qini_curve`,
:func:`targeting_policy`), see how long customers stay (:mod:`.survival`:
:func:`kaplan_meier`, :func:`cox`, :func:`cohort_table`), spot those starting to leave
(:mod:`.churn`: :func:`churn_dataset`, :class:`ChurnModel`, :func:`evaluate_churn`, and whom to reactivate:
:func:`reactivation_list`, judged by :func:`reactivation_check`) and win back those a service
failure upset (:mod:`.recovery`: :func:`service_recovery`). The contact plan and the
member-get-member programme live in :mod:`fidelia_kit.contact`.
"""
from __future__ import annotations

from ..contact import ReferralResult, referral_programme
from .churn import (
    AUCOptimism,
    ChurnEvaluation,
    ChurnModel,
    alive_on,
    auc_optimism,
    churn_dataset,
    evaluate_churn,
    reactivation_check,
    reactivation_list,
    winnable_probability,
)
from .experiments import (
    AdjustedEffect,
    ArmComparison,
    CampaignReturn,
    CampaignROI,
    KeptCustomerValue,
    adjusted_effect,
    baseline_rate,
    campaign_return,
    campaign_roi,
    compare_arms,
    cuped,
    kept_customer_value,
    outcome_totals,
)
from .power import Retrodesign, minimum_detectable_effect, power_curve, retrodesign, sample_size
from .recovery import (
    HANDLING_LABELS,
    RecoveryResult,
    ToleranceResult,
    handling_label,
    leaving_by_day,
    odds_ratio_sign,
    service_recovery,
    service_tolerance,
)
from .survival import CohortTable, CoxResult, LogrankResult, cohort_table, cox, kaplan_meier, logrank
from .uplift import (
    EXPERIMENT_FEATURES,
    TargetingPolicy,
    UpliftCurve,
    UpliftModel,
    cross_predict_uplift,
    fit_uplift,
    qini_curve,
    targeting_policy,
    uplift_at_k,
    uplift_curve,
)

__all__ = [
    "compare_arms",
    "ArmComparison",
    "adjusted_effect",
    "cuped",
    "AdjustedEffect",
    "sample_size",
    "power_curve",
    "minimum_detectable_effect",
    "campaign_roi",
    "CampaignROI",
    "campaign_return",
    "CampaignReturn",
    "kept_customer_value",
    "KeptCustomerValue",
    "outcome_totals",
    "baseline_rate",
    "retrodesign",
    "Retrodesign",
    "EXPERIMENT_FEATURES",
    "UpliftModel",
    "fit_uplift",
    "cross_predict_uplift",
    "qini_curve",
    "uplift_curve",
    "UpliftCurve",
    "uplift_at_k",
    "TargetingPolicy",
    "targeting_policy",
    "kaplan_meier",
    "LogrankResult",
    "logrank",
    "CoxResult",
    "cox",
    "CohortTable",
    "cohort_table",
    "churn_dataset",
    "ChurnModel",
    "ChurnEvaluation",
    "evaluate_churn",
    "AUCOptimism",
    "auc_optimism",
    "alive_on",
    "winnable_probability",
    "reactivation_list",
    "reactivation_check",
    "ReferralResult",
    "referral_programme",
    "RecoveryResult",
    "service_recovery",
    "HANDLING_LABELS",
    "handling_label",
    "odds_ratio_sign",
    "leaving_by_day",
    "ToleranceResult",
    "service_tolerance",
]
