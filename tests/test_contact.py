"""fidelia_kit.contact: the contact plan's phase rule and the member-get-member accounts, by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

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


# --- cross-selling: category affinity, its interval and differences between groups ----------------------

def test_category_affinity_interval_hand_worked():
    from fidelia_kit.segmentation import category_affinity

    # 4 baskets: bread in 3, butter in 2, both in 2: lift 4/3; var(log lift) = (1/0.5 - 1/0.75 - 1/0.5 + 2 x 4/3 - 1) / 4
    items = pd.DataFrame({"transaction_id": [1, 1, 2, 2, 3, 4], "category": ["bread", "butter", "bread", "butter",
                                                                             "bread", "jam"]})
    row = category_affinity(items).set_index(["antecedent", "consequent"]).loc[("bread", "butter")]
    se = np.sqrt((2 - 4 / 3 - 2 + 8 / 3 - 1) / 4)
    assert row["se_log_lift"] == pytest.approx(se)
    assert [row["ci_low"], row["ci_high"]] == pytest.approx([4 / 3 * np.exp(-1.959964 * se), 4 / 3 * np.exp(1.959964 * se)])


def test_category_affinity_standard_error_matches_a_simulation(rng):
    from fidelia_kit.segmentation import category_affinity

    # baskets hold a with 0.3, b with 0.2, both with 0.1 (lift 1.67): the delta method's se of log lift against the
    # spread of 400 simulated log lifts (n = 2,000 baskets); 400 draws estimate an SD within about 7% (2 SE)
    n, cells = 2_000, np.array([0.1, 0.2, 0.1, 0.6])          # ab, a only, b only, neither
    logs, ses = [], []
    for _ in range(400):
        kind = rng.choice(4, size=n, p=cells)
        basket = np.arange(n)
        lines = [(basket[kind <= 1], "a"), (basket[(kind == 0) | (kind == 2)], "b"), (basket[kind == 3], "c")]
        items = pd.DataFrame({"transaction_id": np.concatenate([b for b, _ in lines]),
                              "category": np.concatenate([[c] * len(b) for b, c in lines])})
        row = category_affinity(items).set_index(["antecedent", "consequent"]).loc[("a", "b")]
        logs.append(np.log(row["lift"]))
        ses.append(row["se_log_lift"])
    assert np.mean(ses) == pytest.approx(np.std(logs, ddof=1), rel=0.1)


def test_affinity_differences_hand_worked_and_holm():
    from fidelia_kit.segmentation import affinity_differences

    # pair a & b: log lifts log 2 and 0 with se 0.5 each -> Q = 4 (log 2 / 2)^2 x 2; pair a & c in one group only
    table = pd.DataFrame({"group": ["x", "x", "y", "y", "y"], "antecedent": ["a", "b", "a", "b", "a"],
                          "consequent": ["b", "a", "b", "a", "c"], "lift": [2.0, 2.0, 1.0, 1.0, 3.0],
                          "se_log_lift": [0.5, 0.5, 0.5, 0.5, 0.1]})
    out = affinity_differences(table)
    assert out["pair"].tolist() == ["a & b"]                    # a pair and its reverse counted once; a & c untestable
    q = 2 * 4 * (np.log(2) / 2) ** 2
    assert out.loc[0, "q"] == pytest.approx(q) and out.loc[0, "df"] == 1
    assert out.loc[0, "pvalue"] == pytest.approx(stats.chi2.sf(q, 1))
    assert not out.loc[0, "differs"]                            # p = 0.33
    # far apart with small errors, the lift differs; Holm multiplies the smaller p by the number of pairs
    sharp = table.assign(se_log_lift=0.05)
    sharp = pd.concat([sharp, sharp.assign(antecedent="c", consequent="d", lift=[1.1, 1.1, 1.0, 1.0, 1.0])])
    res = affinity_differences(sharp).set_index("pair")
    assert res.loc["a & b", "differs"] and res.loc["a & b", "pvalue_holm"] == pytest.approx(
        min(1.0, 2 * res.loc["a & b", "pvalue"]))
    with pytest.raises(ValueError, match=r"`by_group` has no column\(s\) \['group'\]"):
        affinity_differences(table.drop(columns="group"))
