"""fidelia_kit.contact: the contact plan's phase rule and the member-get-member accounts, by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fidelia_kit.contact import CONTACT_PHASES, ReferralResult, contact_plan, referral_programme


def test_contact_plan_rule_hand_worked():
    # value per customer = receipts x mean receipt: 36, 160, 540, 60; cluster 0 is new (1.2 < 2);
    # the median of the regulars (160, 540, 60) is 160, so only 540 is above it
    profile = pd.DataFrame({"n_receipts": [1.2, 4.0, 9.0, 3.0], "avg_basket": [30.0, 40.0, 60.0, 20.0]})
    plan = contact_plan(profile)
    assert plan["phase"].tolist() == ["reaffirm", "refresh", "enrich", "refresh"]
    assert plan["value_per_customer"].tolist() == pytest.approx([36.0, 160.0, 540.0, 60.0])
    assert plan.loc[0, "action"] == "welcome" and plan.loc[2, "action"] == "member-get-member"
    assert set(plan["phase"]) <= set(CONTACT_PHASES["phase"])


def test_contact_plan_does_not_move_regulars_when_newcomer_clusters_are_added():
    regulars = pd.DataFrame({"n_receipts": [4.0, 9.0, 3.0], "avg_basket": [40.0, 60.0, 20.0]})
    newcomers = pd.DataFrame({"n_receipts": [1.0, 1.5, 1.1], "avg_basket": [5.0, 8.0, 9.0]}, index=[10, 11, 12])
    alone = contact_plan(regulars)["phase"]
    mixed = contact_plan(pd.concat([regulars, newcomers]))["phase"]
    pd.testing.assert_series_equal(mixed.loc[regulars.index], alone)
    assert (mixed.loc[newcomers.index] == "reaffirm").all()


def test_contact_plan_takes_the_callers_column_names_and_names_missing_ones():
    profile = pd.DataFrame({"visits": [1.0, 5.0, 8.0], "basket": [10.0, 20.0, 30.0]})
    plan = contact_plan(profile, frequency_col="visits", value_col="basket")
    assert plan["phase"].tolist() == ["reaffirm", "refresh", "enrich"]
    with pytest.raises(ValueError, match=r"`profile` has no column\(s\) \['n_receipts'\]"):
        contact_plan(profile.rename(columns={"basket": "avg_basket"}))


def _referrals():
    customers = pd.DataFrame({"customer_id": [1, 2, 3, 4], "acquisition_channel": ["store", "referral", "referral", "web"],
                              "referred_by": pd.array([None, 1, 1, None], dtype="Int64")})
    tx = pd.DataFrame({"customer_id": [1, 2, 2, 4], "amount": [100.0, 50.0, 30.0, 10.0],
                       "gross_margin": [25.0, 20.0, 12.0, 3.0]})
    return customers, tx


def test_referral_programme_hand_worked_with_a_margin_rate():
    customers, tx = _referrals()
    out = referral_programme(customers, tx, reward=10, margin=0.5)
    assert isinstance(out, ReferralResult)
    t = out.table
    # one referred buyer (2): rewards 2 x 10; margin brought 0.5 x 80 = 40; ROI (40 - 20) / 20
    assert t.loc["referred", "buyers"] == 1 and t.loc["referred", "monetary_per_buyer"] == pytest.approx(80.0)
    assert out.rewards_paid == 20 and out.margin_brought == pytest.approx(40.0) and out.roi == pytest.approx(1.0)
    assert out.break_even_share == pytest.approx(0.5)     # half the margin must be incremental to break even
    assert t.loc["other channels", "monetary_per_buyer"] == pytest.approx(55.0)
    assert out.referrers == 1 and out.referred_buyers == 1


def test_referral_programme_reads_the_margin_from_the_data_by_default():
    customers, tx = _referrals()
    out = referral_programme(customers, tx, reward=10)
    # customer 2's recorded margin: 20 + 12 = 32; ROI (32 - 20) / 20 = 0.6; break-even share 20 / 32
    assert out.margin_brought == pytest.approx(32.0) and out.roi == pytest.approx(0.6)
    assert out.break_even_share == pytest.approx(20 / 32)
    assert out.table.loc["other channels", "margin_per_buyer"] == pytest.approx(14.0)
    with pytest.raises(ValueError, match=r"`transactions` has no column\(s\) \['gross_margin'\]"):
        referral_programme(customers, tx.drop(columns="gross_margin"))


def test_referral_programme_without_referred_buyers_has_no_roi():
    customers, tx = _referrals()
    out = referral_programme(customers, tx[tx["customer_id"] != 2], reward=10)
    assert out.rewards_paid == 0 and np.isnan(out.roi) and out.break_even_share == np.inf
