"""The card tier as a cause in the synthetic world: a state over time that changes the amount paid."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fidelia_kit.synth import WorldConfig, generate_world
from fidelia_kit.synth.purchases import GOLD, SILVER, apply_card_tiers, trailing_spend

Z = 4.0  # |z| bound of the statistical checks: a false alarm about once in 16,000 runs


@pytest.fixture(scope="module")
def world():
    return generate_world(n_customers=20_000, seed=5)


def _purchase_tiers(world):
    """Transactions in customer/date order with the spend in the 365 days before each purchase."""
    tx = world.tables["transactions"].sort_values(["customer_id", "date"], kind="stable", ignore_index=True)
    day = (tx["date"] - pd.Timestamp(world.truth["window"]["start"])).dt.days.to_numpy()
    tx["running"] = trailing_spend(tx["customer_id"].to_numpy(), day, tx["amount"].to_numpy())
    tx["tier"] = np.where(tx["running"] >= GOLD, "gold", np.where(tx["running"] >= SILVER, "silver", "basic"))
    return tx


def test_hand_worked_tiers_follow_the_boosted_spend():
    """Base amounts 400, 750, 100 on days 0, 1, 2 with +10% silver and +15% gold:
    day 1 has 400 before it (silver: 750 -> 825); day 2 has 400 + 825 = 1,225 >= 1,200, gold only
    because of the silver boost (unboosted 1,150 would be silver): 100 -> 115."""
    cfg = WorldConfig(tier_effect_silver=0.10, tier_effect_gold=0.15)
    out = apply_card_tiers(cfg, np.array([0, 0, 0, 1]), np.array([0, 1, 2, 400]), np.array([400.0, 750.0, 100.0, 50.0]))
    assert out.tolist() == [400.0, 825.0, 115.0, 50.0]


def test_spend_older_than_365_days_does_not_count():
    # 500 on day 0; a purchase on day 365 still sees it (days 0..364), one on day 366 does not
    assert trailing_spend(np.array([0, 0]), np.array([0, 365]), np.array([500.0, 10.0])).tolist() == [0.0, 500.0]
    assert trailing_spend(np.array([0, 0]), np.array([0, 366]), np.array([500.0, 10.0])).tolist() == [0.0, 0.0]


def test_no_effect_gives_the_gamma_gamma_amounts():
    base = generate_world(n_customers=500, seed=3, tier_effect_silver=0.0, tier_effect_gold=0.0)
    moved = generate_world(n_customers=500, seed=3)
    a, b = base.tables["transactions"], moved.tables["transactions"]
    assert (a["date"] == b["date"]).all()
    ratio = b["amount"] / a["amount"]
    assert (ratio >= 1 - 1e-9).all() and ratio.max() > 1.05   # effects only raise amounts, some do


def test_truth_states_the_tier_effects(world):
    tiers = world.truth["card_tiers"]
    assert tiers["effect"] == {"silver": WorldConfig().tier_effect_silver, "gold": WorldConfig().tier_effect_gold}
    assert (tiers["silver"], tiers["gold"]) == (SILVER, GOLD)


@pytest.mark.parametrize("tier", ["basic", "silver", "gold"])
def test_amounts_in_each_tier_are_the_gamma_gamma_mean_times_the_effect(world, tier):
    """amount / mean_spend has mean 1 + effect within a tier (Gamma(p) draws scaled by the lift; sd
    1/sqrt(p) times the lift). Reactivation purchases of the campaign are drawn without the effect and
    left out; the experiment's customers are left out because those purchases do not count in their tiers."""
    tx = _purchase_tiers(world)
    tc = world.tables["truth_customers"].set_index("customer_id")
    tx = tx[~tx["customer_id"].isin(world.tables["retention_experiment"]["customer_id"])]
    sel = tx[tx["tier"] == tier]
    ratio = sel["amount"].to_numpy() / tc.loc[sel["customer_id"], "mean_spend"].to_numpy()
    lift = 1 + world.truth["card_tiers"]["effect"].get(tier, 0.0)
    p = world.truth["spend_process"]["p"]
    se = lift / np.sqrt(p) / np.sqrt(len(ratio))
    assert len(sel) > 200
    assert abs((ratio.mean() - lift) / se) < Z


def test_end_tier_of_customers_is_the_state_by_the_last_365_days(world):
    tx = world.tables["transactions"]
    end = pd.Timestamp(world.truth["window"]["end"]) + pd.Timedelta(days=1)
    spend = tx[tx["date"] >= end - pd.Timedelta(days=365)].groupby("customer_id")["amount"].sum()
    c = world.tables["customers"].set_index("customer_id")
    spend = spend.reindex(c.index, fill_value=0.0)
    expected = np.where(spend >= GOLD, "gold", np.where(spend >= SILVER, "silver", "basic"))
    assert (c["card_tier"].to_numpy() == expected).all()


@pytest.mark.parametrize("knob", ["tier_effect_silver", "tier_effect_gold"])
def test_effect_knobs_are_validated(knob):
    with pytest.raises(ValueError, match=knob):
        WorldConfig(**{knob: -0.9})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 900), st.floats(0.01, 900.0)), min_size=1, max_size=40))
def test_tiers_are_the_fixed_point_of_the_rule(rows):
    """Whatever the purchases: the trailing spend is the plain sum over the 365 days before, and each amount is its
    draw times the lift of the tier that the amounts before it set (the rule applied purchase by purchase)."""
    df = pd.DataFrame(rows, columns=["owner", "day", "base"]).drop_duplicates(["owner", "day"])
    df = df.sort_values(["owner", "day"], ignore_index=True)
    df["base"] = df["base"].round(2)
    cfg = WorldConfig(tier_effect_silver=0.10, tier_effect_gold=0.25)
    out = apply_card_tiers(cfg, df["owner"].to_numpy(), df["day"].to_numpy(), df["base"].to_numpy())
    lift = {0: 1.0, 1: 1.10, 2: 1.25}
    for i, r in df.iterrows():
        before = (df["owner"] == r["owner"]) & (df["day"] < r["day"]) & (df["day"] >= r["day"] - 365)
        spend = round(out[before.to_numpy()].sum(), 2)
        tier = 2 if spend >= GOLD else 1 if spend >= SILVER else 0
        assert out[i] == pytest.approx(max(round(r["base"] * lift[tier], 2), 0.01), abs=1e-9)
