"""The loyalty programme's economics: hand-worked examples, rdrobust's numbers and the world's truth."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fidelia_kit import programme
from fidelia_kit.synth import generate_world


@pytest.fixture(scope="module")
def world():
    # large enough that the RD interval at silver is about +-0.02 on the log scale
    return generate_world(n_customers=60_000, seed=7)


@pytest.fixture
def hand():
    """Customer 1: 600 EUR on 2023-01-05, 30 EUR on 2023-03-01 (redeems 500 points), then nothing:
    lapsed by 2024-07-01. Customer 2: 40 and 60 EUR in 2024."""
    return pd.DataFrame({"customer_id": [1, 1, 2, 2],
                         "date": pd.to_datetime(["2023-01-05", "2023-03-01", "2024-02-01", "2024-06-01"]),
                         "amount": [600.0, 30.0, 40.0, 60.0], "points_earned": [600, 30, 40, 60],
                         "points_redeemed": [0, 500, 0, 0]})


# --- points ----------------------------------------------------------------------------------

def test_ledger_by_hand(hand):
    led = programme.points_ledger(hand, as_of="2024-03-01")
    assert led.loc[1].tolist() == [630, 500, 130, 1.3]
    assert led.loc[2].tolist() == [40, 0, 40, 0.4]    # the purchase of 2024-06-01 is after as_of


def test_summary_by_hand(hand):
    """Sales 730 EUR; 500 points redeemed = 5 EUR, 5 / 730 per euro; outstanding 630 + 100 - 500 = 230
    points = 2.30 EUR; breakage from customer 1 only (lapsed): 1 - 500 / 630 = 0.2063."""
    s = programme.points_summary(hand, as_of="2024-07-01")
    assert (s.sales, s.points_earned, s.points_redeemed, s.points_outstanding) == (730.0, 730, 500, 230)
    assert s.cost_per_euro == pytest.approx(5 / 730)
    assert s.liability == pytest.approx(2.30)
    assert s.breakage == pytest.approx(1 - 500 / 630)
    # the breakage of lapsed customer 1 is not applied to active customer 2's 100 points: those are owed in full
    assert s.expected_liability == pytest.approx(1.00) and s.lapsed_liability == pytest.approx(1.30)
    assert s.accrued_cost == pytest.approx(5.00 + 1.00) and s.accrued_per_euro == pytest.approx(6 / 730)
    assert np.isnan(s.margin) and np.isnan(s.cost_per_margin)
    assert s.n_lapsed == 1


def test_costs_per_euro_of_margin_by_hand(hand):
    """Margins 120, -5, 10, 15 EUR (a discounted purchase can lose money): 140 EUR; 5 / 140 redeemed, 6 / 140 promised."""
    s = programme.points_summary(hand.assign(gross_margin=[120.0, -5.0, 10.0, 15.0]), as_of="2024-07-01",
                                 margin_col="gross_margin")
    assert s.margin == pytest.approx(140.0)
    assert s.cost_per_margin == pytest.approx(5 / 140) and s.accrued_per_margin == pytest.approx(6 / 140)


def test_expected_liability_is_close_to_the_balances_that_can_still_be_cashed(world):
    """The truth: only customers who have not left can still cash their points. The active holders' balance is
    within 30% of the balance of the customers alive at the end (an upper bound of what is paid: blocks of 500),
    while the liability net of the lapsed customers' breakage misses it by more than half."""
    tx = world.tables["transactions"]
    tc = world.tables["truth_customers"].set_index("customer_id")
    as_of = tx["date"].max() + pd.Timedelta(days=1)
    s = programme.points_summary(tx, as_of=as_of, lapsed_days=180)
    led = programme.points_ledger(tx, as_of=as_of)
    gone = pd.to_datetime(tc["dropout_date"]).reindex(led.index)
    owed = led.loc[gone.isna() | (gone >= as_of), "liability"].sum()
    assert s.expected_liability == pytest.approx(owed, rel=0.3)
    assert abs(s.liability * (1 - s.breakage) - owed) > 0.5 * owed


def test_summary_refuses_when_nobody_lapsed(hand):
    with pytest.raises(ValueError, match="lapsed_days"):
        programme.points_summary(hand, as_of="2024-07-01", lapsed_days=3000)


def test_breakage_is_close_to_the_share_never_redeemed_by_those_who_left(world):
    """The truth: customers who left (truth_customers.dropout_date) will never cash their balance, so
    the share of their points never redeemed is final. Lapsing 180 days is an observable proxy of leaving;
    the estimate is within 0.05 of that share (a few lapsed customers are alive and still redeem)."""
    tx = world.tables["transactions"]
    tc = world.tables["truth_customers"]
    left = tc.loc[tc["dropout_date"].notna(), "customer_id"]
    g = tx[tx["customer_id"].isin(left)][["points_earned", "points_redeemed"]].sum()
    true_breakage = 1 - g["points_redeemed"] / g["points_earned"]
    est = programme.points_summary(tx, lapsed_days=180).breakage
    assert est == pytest.approx(true_breakage, abs=0.05)


def test_points_follow_the_rule_of_the_card(world):
    tx = world.tables["transactions"]
    s = programme.points_summary(tx)
    assert s.points_earned == int(np.floor(tx["amount"] + 1e-9).sum())            # one per whole euro
    assert s.redemption_cost == pytest.approx(0.01 * tx["points_redeemed"].sum())   # 0.01 EUR a point
    assert (tx["points_redeemed"] % 500 == 0).all()


# --- tiers over time ------------------------------------------------------------------------

def test_tier_history_by_hand():
    tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "date": ["2024-01-10", "2024-02-10", "2024-05-10", "2024-05-20"],
                       "amount": [300.0, 200.0, 900.0, 50.0]})
    h = programme.tier_history(tx, end="2024-07-01")
    assert h[["customer_id", "spend"]].values.tolist() == [[1, 500.0], [1, 1400.0], [2, 50.0]]
    assert h["tier"].astype(str).tolist() == ["silver", "gold", "basic"]


def test_migration_counts_add_up(world):
    h = programme.tier_history(world.tables["transactions"], freq="QS")
    dates = sorted(h["date"].unique())
    m = programme.tier_migration(h, start=dates[0], end=dates[-1])
    assert m.to_numpy().sum() == (h["date"] == dates[-1]).sum()
    assert m.sum(axis=1).drop("new").tolist() == h[h["date"] == dates[0]]["tier"].value_counts().reindex(
        list(programme.TIERS)).tolist()


def test_history_at_the_window_end_gives_the_customers_card_tier(world):
    end = pd.Timestamp(world.truth["window"]["end"]) + pd.Timedelta(days=1)
    gap = programme.next_tier_gap(world.tables["transactions"], as_of=end)
    card = world.tables["customers"].set_index("customer_id")["card_tier"].reindex(gap.index)
    assert (gap["tier"] == card).all()


def test_migration_refuses_a_date_not_in_the_history():
    h = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2024-01-01"]), "tier": ["basic"]})
    with pytest.raises(ValueError, match="`end` 2024-02-01 is not a date"):
        programme.tier_migration(h, start="2024-01-01", end="2024-02-01")
    with pytest.raises(ValueError, match="must be after"):
        programme.tier_migration(h, start="2024-01-01", end="2024-01-01")


def test_gap_and_worth_by_hand():
    tx = pd.DataFrame({"customer_id": [1, 2, 3], "date": ["2024-01-10"] * 3, "amount": [350.0, 900.0, 1500.0]})
    gap = programme.next_tier_gap(tx, as_of="2024-02-01")
    assert gap["eur_to_next"].tolist()[:2] == [50.0, 300.0] and np.isnan(gap.loc[3, "eur_to_next"])
    worth = programme.upgrade_value(gap, pd.Series({1: 100.0, 2: 1000.0, 3: 50.0}),
                                    effects={"silver": 0.10, "gold": 0.155}, max_gap=500)
    # basic -> silver: 100 x 0.10 = 10; silver -> gold: 1000 x (1.155 / 1.10 - 1) = 50
    assert worth["worth"].round(6).tolist() == [50.0, 10.0]


@pytest.mark.parametrize(("tiers", "err", "match"), [
    ({"basic": 0}, TypeError, "at least two"),
    ({"basic": 10, "silver": 400}, ValueError, "start at 0"),
    ({"basic": 0, "silver": 400, "gold": 300}, ValueError, "rise strictly"),
])
def test_bad_tiers_are_refused(tiers, err, match):
    tx = pd.DataFrame({"customer_id": [1], "date": ["2024-01-10"], "amount": [10.0]})
    with pytest.raises(err, match=match):
        programme.next_tier_gap(tx, as_of="2024-02-01", tiers=tiers)


def test_upgrade_value_refuses_bad_effects():
    gap = pd.DataFrame({"tier": ["basic"], "next_tier": ["silver"], "eur_to_next": [10.0]})
    with pytest.raises(TypeError, match="effects"):
        programme.upgrade_value(gap, pd.Series({0: 1.0}), effects=[0.1])
    with pytest.raises(ValueError, match="effects"):
        programme.upgrade_value(gap, pd.Series({0: 1.0}), effects={"silver": -2})


# --- the effect of reaching a tier -------------------------------------------------------------

def test_rd_recovers_the_silver_effect_and_the_naive_comparison_does_not(world):
    """The 95% interval covers the true effect; the naive ratio lies far above it (bigger spenders
    reach the tier)."""
    truth = world.truth["card_tiers"]["effect"]["silver"]
    fit = programme.tier_effect_rd(world.tables["transactions"], threshold=400)
    assert fit.ci[0] < truth < fit.ci[1]
    assert fit.naive > fit.ci[1] + 0.2


def test_customers_above_the_threshold_spend_more_anyway_and_the_plain_amount_mixes_it_in(world):
    """The tier raises earlier amounts, which pushes spend over the threshold: the customers' first amounts (no tier can
    change them) jump upward at the threshold, and the RD on plain log amounts is the relative one plus that jump."""
    tx = world.tables["transactions"]
    fits = {o: programme.tier_effect_rd(tx, threshold=400, outcome=o) for o in programme.RD_OUTCOMES}
    assert fits["first_amount"].jump > 0
    assert fits["log_amount"].jump == pytest.approx(fits["relative"].jump + fits["first_amount"].jump, abs=1e-9)


def test_rd_recovers_the_step_from_silver_to_gold(world):
    """Below 1,200 EUR purchases are silver, above gold: the jump is (1 + gold) / (1 + silver) - 1."""
    eff = world.truth["card_tiers"]["effect"]
    fit = programme.tier_effect_rd(world.tables["transactions"], threshold=1200)
    assert fit.ci[0] < (1 + eff["gold"]) / (1 + eff["silver"]) - 1 < fit.ci[1]


def test_rd_jump_equals_rdrobusts_conventional_estimate(world):
    """Same bandwidth, triangular kernel, local linear: rdrobust's conventional coefficient."""
    rdrobust = pytest.importorskip("rdrobust")
    tx = world.tables["transactions"]
    fit = programme.tier_effect_rd(tx, threshold=400, bandwidth=120)
    d = programme._purchase_running(tx, customer_col="customer_id", date_col="date", value_col="amount", days=365)
    ref = rdrobust.rdrobust(d["outcome"].to_numpy(), d["running"].to_numpy(), c=400, h=120,
                            kernel="triangular", p=1)
    assert fit.jump == pytest.approx(float(ref.coef.iloc[0, 0]), rel=1e-8)


def test_rd_bins_mean_by_hand():
    # customer 1: first 10 EUR, then 20 (300 EUR before it) and 40 (320 before it): both in the bin
    # 300-400 of a 200 EUR bandwidth cut in 4 bins; outcomes log(20 / 10) and log(40 / 10)
    tx = pd.DataFrame({"customer_id": [1, 1, 1, 1], "date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"],
                       "amount": [10.0, 290.0, 20.0, 40.0]})
    b = programme.rd_bins(tx, threshold=400, bandwidth=200, n_bins=4)
    assert b["spend"].tolist() == [250.0, 350.0, 450.0, 550.0]
    row = b[b["spend"] == 350.0].iloc[0]
    assert row["n"] == 2 and row["outcome"] == pytest.approx((np.log(2) + np.log(4)) / 2)


@pytest.mark.parametrize(("kwargs", "err", "match"), [
    ({"threshold": -1}, ValueError, "threshold"),
    ({"threshold": 400, "bandwidth": 0}, ValueError, "bandwidth"),
    ({"threshold": 400, "ci": 1.5}, ValueError, "ci"),
    ({"threshold": 400, "value_col": "nope"}, ValueError, "nope"),
    ({"threshold": 400, "outcome": "sales"}, ValueError, "`outcome` must be one of"),
    ({"threshold": 1e6}, ValueError, r"Only 0 purchases fall (below|above) the threshold"),
])
def test_rd_refuses_bad_input(hand, kwargs, err, match):
    with pytest.raises(err, match=match):
        programme.tier_effect_rd(hand, **kwargs)


def test_rd_refuses_a_non_frame():
    with pytest.raises(TypeError, match="transactions"):
        programme.tier_effect_rd([1, 2], threshold=400)


# --- tier retention, effects, stability, what the tiers buy ----------------------------------

def test_tier_retention_by_hand():
    """Customers 1 and 2 above basic at 2025-01-01; only 1 still is a year later: 1 / 2. Wilson 95% interval for
    1 of 2: (0.0945, 0.9055) (Wilson 1927; statsmodels proportion_confint gives the same)."""
    h = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3], "date": pd.to_datetime(["2025-01-01", "2026-01-01"] * 3),
                      "tier": ["silver", "gold", "gold", "basic", "basic", "silver"]})
    r = programme.tier_retention(h, start="2025-01-01", months=12)
    assert (r.n, r.n_held, r.share) == (2, 1, 0.5)
    assert r.ci == pytest.approx((0.0945, 0.9055), abs=1e-4)
    with pytest.raises(ValueError, match="no date 2026-07-01"):
        programme.tier_retention(h, start="2025-01-01", months=18)


def test_effects_from_jumps_multiply():
    """gold against basic = (1 + silver jump)(1 + gold jump) - 1 = 1.1 x 1.05 - 1 = 0.155."""
    assert programme.effects_from_jumps({"silver": 0.10, "gold": 0.05}) == pytest.approx({"silver": 0.10, "gold": 0.155})
    assert programme.effects_from_jumps({"gold": 0.05}) == pytest.approx({"silver": 0.0, "gold": 0.05})
    with pytest.raises(ValueError, match="jumps"):
        programme.effects_from_jumps({"silver": -1.5})


def test_upgrade_worth_with_jumps_uses_the_gold_jump_for_silver_to_gold():
    """A silver customer moving to gold gains the gold jump (0.05), not (1 + 0.05) / (1 + 0.10) - 1 < 0."""
    gap = pd.DataFrame({"tier": ["silver"], "next_tier": ["gold"], "eur_to_next": [50.0]}, index=[1])
    w = programme.upgrade_value(gap, pd.Series({1: 200.0}), effects=programme.effects_from_jumps({"silver": 0.10, "gold": 0.05}))
    assert w.loc[1, "uplift"] == pytest.approx(0.05) and w.loc[1, "worth"] == pytest.approx(10.0)


def test_rd_stability_by_hand():
    t = pd.DataFrame({"tier": ["silver"] * 3 + ["gold"] * 3, "estimate": [0.10, 0.11, 0.09, 0.11, 0.08, 0.05],
                      "ci_low": [0.05, 0.07, 0.04, -0.02, 0.01, -0.01], "ci_high": [0.15, 0.15, 0.14, 0.24, 0.15, 0.11]})
    r = programme.rd_stability(t)
    assert r.loc["silver", "stable"] and r.loc["silver", "excluding_zero"] == 3
    assert not r.loc["gold", "stable"] and r.loc["gold", "excluding_zero"] == 1   # zero in and out of the intervals
    assert (r.loc["gold", "lowest"], r.loc["gold", "highest"]) == (0.05, 0.11)


def test_tier_margin_uplift_by_hand():
    """Customer 1: 500 EUR on day 0 (basic), then 110 EUR on day 31 with 500 EUR before it: silver, margin 22 EUR,
    22 x 0.1 / 1.1 = 2; 700 EUR more on day 40 (610 before: silver, margin 70, 70 x 0.1 / 1.1); on day 50, 1,310
    before: gold with effect 0.155, margin 11.55 x 0.155 / 1.155 = 1.55."""
    tx = pd.DataFrame({"customer_id": [1, 1, 1, 1], "date": ["2024-01-01", "2024-02-01", "2024-02-10", "2024-02-20"],
                       "amount": [500.0, 110.0, 700.0, 57.75], "gross_margin": [100.0, 22.0, 70.0, 11.55]})
    got = programme.tier_margin_uplift(tx, effects={"silver": 0.10, "gold": 0.155})
    assert got == pytest.approx(2.0 + 70 * 0.1 / 1.1 + 1.55)


def test_tier_margin_uplift_with_the_true_effects_recovers_the_margin_the_tiers_added(world):
    """The truth: a purchase made while silver (gold) is (1 + effect) times its amount; so the margin the tiers
    added, computed with the true effects, is the margin of tier purchases less the same purchases deflated: it
    must be positive and a share of tier purchases' margin between effect / (1 + effect) at silver and at gold."""
    tx = world.tables["transactions"]
    eff = world.truth["card_tiers"]["effect"]
    got = programme.tier_margin_uplift(tx, effects=dict(eff))
    none = programme.tier_margin_uplift(tx, effects={})
    assert none == 0 and got > 0
    assert programme.tier_margin_uplift(tx, effects={"silver": eff["silver"], "gold": eff["silver"]}) < got
