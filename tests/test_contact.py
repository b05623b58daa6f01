"""fidelia_kit.contact: the contact plan's phase rule and the member-get-member accounts, by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fidelia_kit.contact import CONTACT_PHASES, ReferralResult, contact_plan, referral_programme, referrers_by_nps


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


# --- referrers_by_nps ------------------------------------------------------------------------------

def _referral_tables(referrals_by_answer: dict[int, list[int]]):
    """customers + survey where the customer answering ``score`` referred ``k`` new customers, for each k listed."""
    rows, answers, next_id = [], [], 1
    for score, counts in referrals_by_answer.items():
        for k in counts:
            me = next_id
            answers.append({"customer_id": me, "response_date": "2024-05-01", "recommend": score})
            rows.append({"customer_id": me, "referred_by": pd.NA})
            next_id += 1
            for _ in range(k):
                rows.append({"customer_id": next_id, "referred_by": me})
                next_id += 1
    customers = pd.DataFrame(rows).astype({"referred_by": "Int64"})
    return customers, pd.DataFrame(answers)


def test_referrers_by_nps_hand_worked():
    # promoters refer 2, 1, 0, 0 (mean 0.75, share 0.5); passives 1, 0, 0, 0 (mean 0.25, share 0.25);
    # one detractor who refers nobody
    customers, survey = _referral_tables({10: [2, 1, 0, 0], 7: [1, 0, 0, 0], 2: [0]})
    r = referrers_by_nps(customers, survey)
    t = r.table
    assert t["customers"].tolist() == [1, 4, 4] and t["referrers"].tolist() == [0, 1, 2]
    assert t["referrals"].tolist() == [0, 1, 3]
    assert r.ratio == pytest.approx(3.0) and r.share_ratio == pytest.approx(2.0)
    # Katz: se(log RR) = sqrt(1/2 - 1/4 + 1/1 - 1/4) = 1
    assert r.share_ratio_ci == pytest.approx((2 * np.exp(-1.959964), 2 * np.exp(1.959964)), rel=1e-5)
    # delta method: s1^2 = 2.75/3, s0^2 = 0.75/3 -> se^2 = (11/12)/(4*0.5625) + (1/4)/(4*0.0625) = 0.407407 + 1
    se = np.sqrt(0.407407407 + 1.0)
    assert r.ci == pytest.approx((3 * np.exp(-1.959964 * se), 3 * np.exp(1.959964 * se)), rel=1e-5)
    # Wilson for 2 of 4 (Wilson 1927 score interval: 0.1500, 0.8500)
    assert (t.loc["promoter", "ci_low"], t.loc["promoter", "ci_high"]) == pytest.approx((0.15004, 0.84996), abs=1e-4)
    assert r.n == 9


def test_referrers_by_nps_uses_the_latest_answer_before_as_of():
    customers, survey = _referral_tables({10: [2, 1], 7: [1, 0]})
    # customer 1 (2 referrals) answered 7 earlier and 10 later: before the later answer a passive;
    # customer 4 (1 referral) answered 9 earlier as well
    earlier = pd.DataFrame({"customer_id": [1, 4], "response_date": ["2024-01-01"] * 2, "recommend": [7, 9]})
    both = pd.concat([survey, earlier], ignore_index=True)
    assert referrers_by_nps(customers, both).table.loc["promoter", "referrals"] == 3
    before = referrers_by_nps(customers, both, as_of="2024-03-01").table
    assert before["customers"].tolist() == [0, 1, 1]
    assert before.loc["passive", "referrals"] == 2 and before.loc["promoter", "referrals"] == 1
    missing = both.assign(recommend=both["recommend"].astype("Int64").mask(both["customer_id"] == 1))
    assert referrers_by_nps(customers, missing).table["customers"].sum() == 3   # no answer, no group


def _simulated_referrals(gen, n=3000, referred=1500):
    """Each new customer names a referrer with weight 4 (promoter), 1 (passive) or 0.25 (detractor)."""
    scores = gen.choice([10, 8, 3], size=n, p=[0.4, 0.35, 0.25])
    weight = np.select([scores >= 9, scores >= 7], [4.0, 1.0], 0.25)
    picks = gen.choice(n, size=referred, p=weight / weight.sum()) + 1
    customers = pd.DataFrame({"customer_id": np.arange(1, n + referred + 1),
                              "referred_by": pd.array(np.r_[np.zeros(n, int), picks], dtype="Int64")})
    customers.loc[: n - 1, "referred_by"] = pd.NA
    survey = pd.DataFrame({"customer_id": np.arange(1, n + 1), "response_date": "2024-05-01", "recommend": scores})
    return customers, survey


def test_referrers_by_nps_interval_covers_a_known_weight_ratio():
    # the world's rule as the dictionary states it: promoters four times as likely as passives to be named.
    # 200 simulated programmes: the 95% interval of referrals per customer covers 4 in 90-99% of them; the
    # share who referred anyone saturates (some promoters refer twice), so its ratio falls below 4
    gen = np.random.default_rng(7)
    results = [referrers_by_nps(*_simulated_referrals(gen)) for _ in range(200)]
    coverage = np.mean([r.ci[0] < 4.0 < r.ci[1] for r in results])
    assert 0.90 <= coverage <= 0.99
    assert np.mean([r.ratio for r in results]) == pytest.approx(4.0, rel=0.03)
    assert np.mean([r.share_ratio for r in results]) < 3.3


def test_referrers_by_nps_default_world_matches_the_dictionarys_four_fold(default_world):
    # datasets/README.md: "promoters are four times as likely as passives to be the one who referred them"
    w = default_world
    r = referrers_by_nps(w.customers, w.survey_waves)
    assert r.ci[0] < 4.0 < r.ci[1]
    # the same on the true answers of every buyer (truth_customers.recommend): a far larger sample
    truth = w.truth_customers.dropna(subset=["recommend"]).assign(response_date="2024-01-01")
    r_all = referrers_by_nps(w.customers, truth)
    assert r_all.ci[0] < 4.0 < r_all.ci[1]
    assert r_all.ci[1] - r_all.ci[0] < r.ci[1] - r.ci[0]


@pytest.mark.parametrize("change, match", [
    (lambda c, s: (c.drop(columns="referred_by"), s), "no column"),
    (lambda c, s: (c, s.drop(columns="recommend")), "no column"),
    (lambda c, s: (pd.concat([c, c.head(1)]), s), "duplicate"),
    (lambda c, s: (c, s.assign(recommend=11)), "0-10"),
    (lambda c, s: (c, s.assign(recommend=3)), "no promoter"),
    (lambda c, s: (c, s.assign(response_date="someday")), "not dates"),
])
def test_referrers_by_nps_rejects_bad_input(change, match):
    customers, survey = _referral_tables({10: [1, 0], 7: [1, 0]})
    with pytest.raises(ValueError, match=match):
        referrers_by_nps(*change(customers, survey))
    with pytest.raises(ValueError, match="ci"):
        referrers_by_nps(customers, survey, ci=1.5)
    with pytest.raises(TypeError, match="customers"):
        referrers_by_nps(customers.to_dict(), survey)
