"""fidelia_kit.contact.offer: the value of an offer's purchase, the next-best offer and the plans it is compared
with, by hand and on a world whose true response model is known."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from fidelia_kit.contact import (
    NextBestOffer,
    choose_offers,
    compare_offer_plans,
    offer_grid,
    offer_values,
    phase_summary,
    rule_offers,
    uniform_offer,
)
from fidelia_kit.exceptions import NotFittedError
from fidelia_kit.features import customer_features
from fidelia_kit.synth.world import true_offer_response


def _grid(data: dict, index) -> pd.DataFrame:
    grid = pd.DataFrame(data, index=index)
    grid.columns = pd.MultiIndex.from_tuples(grid.columns, names=["category", "channel"])
    return grid


VALUE = {"food": 10.0, "toys": 20.0}
COST = {"email": 0.5, "call": 6.0}


def test_choose_offers_by_hand():
    p = _grid({("food", "email"): [0.30, 0.01, 0.10], ("toys", "email"): [0.10, 0.02, 0.05],
               ("food", "call"): [0.90, 0.05, 0.30]}, [1, 2, 3])
    plan = choose_offers(p, value=VALUE, cost=COST)
    # customer 1: 2.5, 1.5, 3.0 -> food by call; 2: -0.4, -0.1, -5.5 -> nothing pays; 3: 0.5, 0.5, -3.0 -> a tie,
    # the first offer in column order wins
    assert plan.loc[1, ["category", "channel"]].tolist() == ["food", "call"]
    assert plan.loc[1, "expected_profit"] == pytest.approx(3.0) and plan.loc[1, "probability"] == 0.9
    assert not plan.loc[2, "contact"] and pd.isna(plan.loc[2, "category"]) and plan.loc[2, "expected_profit"] == 0
    assert plan.loc[3, ["category", "channel"]].tolist() == ["food", "email"]


def test_uniform_offer_takes_the_best_mean_and_contacts_no_one_when_it_loses():
    p = _grid({("food", "email"): [0.30, 0.01], ("toys", "email"): [0.10, 0.10]}, [1, 2])
    # mean profit: food (2.5 - 0.4) / 2 = 1.05, toys 1.5 -> toys for both, even for customer 1 who prefers food
    plan = uniform_offer(p, value=VALUE, cost=COST)
    assert plan["category"].tolist() == ["toys", "toys"] and plan["contact"].all()
    assert plan["expected_profit"].tolist() == pytest.approx([1.5, 1.5])
    nobody = uniform_offer(p, value=VALUE, cost={"email": 5.0})
    assert not nobody["contact"].any() and (nobody["expected_profit"] == 0).all()


def test_compare_plans_by_hand_and_the_best_possible_bounds_every_plan():
    true = _grid({("food", "email"): [0.5, 0.01], ("toys", "email"): [0.1, 0.3]}, [1, 2])
    everyone_food = pd.DataFrame({"category": ["food", "food"], "channel": ["email", "email"]}, index=[1, 2])
    only_first = pd.DataFrame({"category": ["toys"], "channel": ["email"]}, index=[1])     # customer 2 not listed
    r = compare_offer_plans({"food": everyone_food, "first": only_first}, true, value=VALUE, cost=COST)
    # food for all: 4.5 + (-0.4); best: food for 1 (4.5), toys for 2 (5.5); first: toys for 1 only (1.5)
    assert r.table.loc["food", "true_profit"] == pytest.approx(4.1)
    assert r.table.loc["best possible", "true_profit"] == pytest.approx(10.0)
    assert r.table.loc["first", ["contacted", "true_profit"]].tolist() == pytest.approx([1, 1.5])
    assert r.table.loc["food", "share_truly_best"] == 0.5 and r.table.loc["first", "share_truly_best"] == 0.0
    assert r.table.loc["food", "share_of_best"] == pytest.approx(0.41)
    assert (r.table["true_profit"] <= r.table.loc["best possible", "true_profit"] + 1e-12).all()
    assert r.per_customer.loc[2, "food"] == pytest.approx(-0.4)


def test_plans_name_what_is_wrong():
    true = _grid({("food", "email"): [0.5]}, [1])
    with pytest.raises(ValueError, match=r"`cost` has no entry for \['email'\]"):
        choose_offers(true, value=VALUE, cost={"call": 1.0})
    with pytest.raises(ValueError, match="makes offers the truth does not score"):
        compare_offer_plans({"x": pd.DataFrame({"category": ["toys"], "channel": ["sms"]}, index=[1])}, true,
                            value=VALUE, cost=COST)
    with pytest.raises(ValueError, match=r"\(category, channel\) columns"):
        choose_offers(pd.DataFrame({"food": [0.1]}), value=VALUE, cost=COST)
    with pytest.raises(ValueError, match="outside"):
        offer_grid(lambda cat, ch: pd.Series([1.5]), categories=["food"], channels=["email"])


def test_rule_offers_take_each_customers_latest_rule_offer():
    c = pd.DataFrame({"customer_id": [1, 1, 2, 3], "contact_date": ["2024-03-01", "2024-01-01", "2024-02-01", "2024-02-01"],
                      "assignment": ["rule", "rule", "random", None], "category": ["toys", "food", "food", None],
                      "channel": ["sms", "email", "app", "email"]})
    plan = rule_offers(c, [1, 2, 4])
    assert plan.loc[1, ["category", "channel"]].tolist() == ["toys", "sms"]      # the later of the two
    assert plan["contact"].tolist() == [True, False, False]
    with pytest.raises(ValueError, match="no row whose 'assignment' is 'rule'"):
        rule_offers(c.assign(assignment="random"), [1])


def test_offer_values_read_the_margin_rates_from_undiscounted_receipts():
    tx = pd.DataFrame({"transaction_id": [1, 2, 3, 4], "gross_margin": [5.0, 3.0, 13.0, 1.0],
                       "discount": [0.0, 0.0, 0.0, 4.0]})          # receipt 4 is discounted: its margin is left out
    items = pd.DataFrame({"transaction_id": [1, 2, 3, 3, 4], "category": ["toys", "food", "toys", "food", "toys"],
                          "amount": [10.0, 10.0, 20.0, 10.0, 30.0]})
    v = offer_values(tx, items, discount=0.2)
    assert v.loc[["food", "toys"], "margin_rate"].tolist() == pytest.approx([0.3, 0.5])
    assert v.loc["toys", "amount_per_purchase"] == pytest.approx(20.0)          # (10 + 20 + 30) / 3
    assert v.loc["toys", "value_per_purchase"] == pytest.approx(20.0 * (0.5 - 0.2))
    with pytest.raises(ValueError, match="no receipt without a discount"):
        offer_values(tx.assign(discount=1.0), items)


def test_offer_values_recover_the_worlds_margin_rates(small_world):
    v = offer_values(small_world.transactions, small_world.transaction_items)
    truth = pd.Series(small_world.truth["category_margin"])
    # exact up to the rounding of amounts and margins to cents
    assert v["margin_rate"].to_numpy() == pytest.approx(truth.reindex(v.index).to_numpy(), abs=1e-3)


def test_next_best_offer_contract():
    feats = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]}, index=[1, 2, 3, 4])
    offers = pd.DataFrame({"customer_id": [1, 2, 3, 4] * 5, "category": ["a", "b"] * 10, "channel": "sms",
                           "recent_contacts": 0, "bought": [0, 0, 1, 1] * 5})
    model = NextBestOffer(estimator=LogisticRegression())
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.predict_proba(feats, category="a", channel="sms")
    model.fit(offers, feats, response_col="bought")
    with pytest.raises(ValueError, match=r"`channel` must be one of \['sms'\]"):
        model.predict_proba(feats, category="a", channel="call")
    with pytest.raises(ValueError, match=r"no row for 5 offers' customers \(e.g. \[9\]\)"):
        NextBestOffer().fit(offers.assign(customer_id=[1, 2, 3, 9] * 5), feats, response_col="bought")
    with pytest.raises(ValueError, match="must hold both responses"):
        NextBestOffer().fit(offers.assign(bought=0), feats, response_col="bought")
    with pytest.raises(TypeError, match="`features` must be a DataFrame"):
        NextBestOffer().fit(offers, feats.to_numpy(), response_col="bought")
    assert model.get_params()["estimator"].__class__ is LogisticRegression


def test_next_best_offer_same_seed_same_answer():
    rng = np.random.default_rng(2)
    feats = pd.DataFrame({"x": rng.random(200)}, index=range(1, 201))
    offers = pd.DataFrame({"customer_id": rng.integers(1, 201, 600), "category": rng.choice(["a", "b"], 600),
                           "channel": rng.choice(["sms", "email"], 600), "recent_contacts": 0,
                           "bought": rng.random(600) < 0.3})
    a = NextBestOffer(rng=4).fit(offers, feats, response_col="bought").probabilities(feats)
    b = NextBestOffer(rng=4).fit(offers.sample(frac=1, random_state=1), feats, response_col="bought").probabilities(feats)
    pd.testing.assert_frame_equal(a, b, rtol=1e-6)


@pytest.fixture(scope="module")
def scored(small_world):
    w = small_world
    contacts = w.contacts.assign(recent_contacts=0)
    randomized = contacts[(contacts["phase"] == "cross_sell") & (contacts["assignment"] == "random")]
    feats = customer_features(w.transactions, items=w.transaction_items, customers=w.customers)
    cols = ["n_purchases_365d", "avg_basket", "online_share", "app_share", "cash_share", "discount_share"] + \
        [c for c in feats.columns if c.startswith("cat_")]
    active = feats.index[feats["days_since_last"] <= 90]
    model = NextBestOffer(rng=0).fit(randomized, feats[cols])
    predicted = model.probabilities(feats.loc[active, cols])
    true = offer_grid(lambda cat, ch: true_offer_response(w.truth_customers, w.truth, category=cat, channel=ch)
                      .reindex(active), categories=model.categories_, channels=model.channels_)
    value = offer_values(w.transactions, w.transaction_items, discount=0.1)["value_per_purchase"]
    cost = contacts.groupby("channel")["cost"].mean()
    plans = {"model": choose_offers(predicted, value=value, cost=cost),
             "rule": rule_offers(w.contacts, active)}
    return predicted, true, compare_offer_plans(plans, true, value=value, cost=cost)


def test_the_model_learns_the_true_response_model(scored):
    predicted, true, _ = scored
    # per customer and offer the predicted probabilities follow the true ones (rank correlation over every cell)
    rho = pd.Series(predicted.to_numpy().ravel()).corr(pd.Series(true.to_numpy().ravel()), method="spearman")
    assert rho > 0.25                                   # about 0.35 here, from some 1,400 randomized offers
    # and on average they are calibrated: mean predicted within 2 points of the mean true probability
    assert abs(predicted.to_numpy().mean() - true.to_numpy().mean()) < 0.02


def test_the_models_plan_beats_the_firms_rule_on_the_truth(scored):
    _, _, comparison = scored
    t = comparison.table
    assert t.loc["model", "true_profit"] > t.loc["rule", "true_profit"]
    assert t.loc["model", "true_profit"] <= t.loc["best possible", "true_profit"]
    assert t.loc["model", "share_truly_best"] > 1 / 40          # better than a pick at random among 40 offers


def test_phase_summary_counts_and_values():
    phases = pd.DataFrame({"phase": pd.Categorical(["refresh", "enrich", "refresh"],
                                                   categories=["reaffirm", "refresh", "enrich", "reactivate"]),
                           "action": ["cross-sell / up-grade", "member-get-member", "cross-sell / up-grade"]},
                          index=[1, 2, 3])
    s = phase_summary(phases, pd.Series({1: 10.0, 2: 50.0}))       # customer 3 has no value: 0
    assert s.index.tolist() == ["reaffirm", "refresh", "enrich", "reactivate"]       # the phases' order
    assert s["customers"].tolist() == [0, 2, 1, 0]
    assert s.loc["refresh", "value_per_customer"] == pytest.approx(5.0)
    assert s.loc["enrich", "share_of_value"] == pytest.approx(50 / 60)
    with pytest.raises(ValueError, match="1 customers without a phase"):
        phase_summary(pd.Series(["refresh", None]))


def test_offer_probabilities_give_the_truths_mean_probability_per_channel(small_world):
    from fidelia_kit.contact import offer_probabilities, recent_contacts

    w = small_world
    truth = w.truth["contacts"]
    contacts = w.contacts.assign(recent_contacts=lambda c: recent_contacts(c, days=truth["response"]["fatigue_window_days"]))
    randomized = contacts[(contacts["phase"] == "cross_sell") & (contacts["assignment"] == "random")]
    grid = offer_grid(lambda cat, ch: true_offer_response(w.truth_customers, w.truth, category=cat, channel=ch),
                      categories=sorted(randomized["category"].unique()), channels=sorted(randomized["channel"].unique()))
    p = offer_probabilities(randomized, grid, fatigue=truth["response"]["fatigue_per_contact"])
    # the truth file records the mean true probability of the randomized offers per channel, rounded to 6 digits
    mean = p.groupby(randomized["channel"]).mean()
    assert mean.to_dict() == pytest.approx(truth["mean_p_purchase_random"], abs=2e-6)
    with pytest.raises(ValueError, match="no probability for 1 of the offers"):
        offer_probabilities(randomized.head(1).assign(customer_id=10**9), grid)


def test_contact_profit_by_hand_and_its_t_interval():
    from scipy import stats

    from fidelia_kit.contact import contact_profit

    # sms: 1 of 4 bought food (10 EUR) -> (10 - 4 x 0.2) / 4 = 2.3; call: 2 of 4 -> (20 - 24) / 4 = -1.0
    c = pd.DataFrame({"channel": ["sms"] * 4 + ["call"] * 4, "category": ["food"] * 8,
                      "bought": [1, 0, 0, 0, 1, 1, 0, 0]})
    out = contact_profit(c, value={"food": 10.0}, cost={"sms": 0.2, "call": 6.0}, response_col="bought", ci=0.9)
    assert out.loc["sms", "profit"] == pytest.approx(2.3)
    assert out.loc["call", "profit"] == pytest.approx(-1.0)
    assert out.loc["call", "profit"] == pytest.approx(out.loc["call", "rate"] * 10.0 - 6.0)
    sms = np.array([9.8, -0.2, -0.2, -0.2])
    low, high = stats.t.interval(0.9, 3, loc=sms.mean(), scale=stats.sem(sms))
    assert (out.loc["sms", "ci_low"], out.loc["sms", "ci_high"]) == pytest.approx((low, high), rel=1e-9)
    with pytest.raises(ValueError, match="`cost` has no entry"):
        contact_profit(c, value={"food": 10.0}, cost={"sms": 0.2}, response_col="bought")


def test_profit_difference_sums_the_customers_and_its_bootstrap_matches_the_normal_interval():
    from fidelia_kit.contact import profit_difference

    rng = np.random.default_rng(3)
    per = pd.DataFrame({"model": rng.normal(0.05, 1.0, 2000), "uniform": rng.normal(0.0, 0.2, 2000)})
    d = profit_difference(per, "model", "uniform", ci=0.95, n_boot=2000, rng=4)
    diff = per["model"] - per["uniform"]
    assert d.estimate == pytest.approx(diff.sum(), rel=1e-12)
    assert d.per_customer == pytest.approx(diff.mean(), rel=1e-12)
    half = 1.96 * diff.std() * np.sqrt(len(diff))               # the total's normal interval, for comparison
    assert d.ci[0] == pytest.approx(d.estimate - half, abs=0.1 * half)
    assert d.ci[1] == pytest.approx(d.estimate + half, abs=0.1 * half)
    with pytest.raises(ValueError, match="other"):
        profit_difference(per, "model", "other")


def test_refit_difference_recomputes_the_plans_and_finds_a_clear_gain():
    from fidelia_kit.contact import refit_difference

    # customers answer only to the category they hold a share of: a per-customer offer beats one offer for all
    rng = np.random.default_rng(0)
    n = 300
    a = rng.random(n)
    feats = pd.DataFrame({"cat_a": a, "cat_b": 1 - a}, index=pd.RangeIndex(1, n + 1, name="customer_id"))
    offers = pd.DataFrame({"customer_id": rng.integers(1, n + 1, 3000), "category": rng.choice(["a", "b"], 3000),
                           "channel": "email", "recent_contacts": 0})
    share = feats["cat_a"].reindex(offers["customer_id"]).to_numpy()
    offers["purchased_category_30d"] = rng.random(3000) < np.where(offers["category"] == "a", share, 1 - share) / 2
    truth = offer_grid(lambda c, h: (feats["cat_a"] if c == "a" else feats["cat_b"]) / 2,
                       categories=["a", "b"], channels=["email"])
    value, cost = {"a": 10.0, "b": 10.0}, {"email": 0.5}
    model = NextBestOffer(rng=0).fit(offers, feats)
    d = refit_difference(model, offers, feats, truth, value=value, cost=cost, n_refits=10, rng=1)
    predicted = model.probabilities(feats)
    table = compare_offer_plans({"m": choose_offers(predicted, value=value, cost=cost),
                                 "u": uniform_offer(predicted, value=value, cost=cost)}, truth, value=value,
                                cost=cost).table
    assert d.estimate == pytest.approx(table.loc["m", "true_profit"] - table.loc["u", "true_profit"], rel=1e-12)
    assert d.ci[0] > 0                                   # every refit personalizes better than one offer for all
    assert refit_difference(model, offers, feats, truth, value=value, cost=cost, n_refits=10, rng=1).ci == d.ci
    with pytest.raises(NotFittedError):
        refit_difference(NextBestOffer(), offers, feats, truth, value=value, cost=cost)
