"""The synthetic world: validated knobs, determinism, links between tables, and the
truth really being in the data (checked against the generating laws within sampling
error: |z| < 4 unless said otherwise)."""
from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from fidelia_kit import World, WorldConfig, generate_world
from fidelia_kit.schema import ARMS, PROFILES, REVERSE_ITEMS, SALES_CHANNELS, SURVEY_ITEMS, TABLE_FILES, TABLES
from fidelia_kit.synth.people import PROFILE_TRAITS
from fidelia_kit.synth.purchases import trailing_spend

from .conftest import ROOT

Z = 4.0  # tolerance in standard errors for the recovery tests


def _hashes(folder):
    """The files of a data set folder (not load_world's cache folder, .fidelia-cache/)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _z(observed_mean, expected_mean, sd, n):
    return (observed_mean - expected_mean) / (sd / np.sqrt(n))


# --- the knobs -------------------------------------------------------------------------

@pytest.mark.parametrize("knob, value, match", [
    ("n_customers", 10, r"`n_customers` must be in \[50, 10000000\]; got 10"),
    ("prospect_share", 0.95, r"`prospect_share` must be in \[0.0, 0.9\]"),
    ("purchase_r", 0.0, r"`purchase_r` must be in \[0.05, 20.0\]"),
    ("spend_q", 1.0, r"`spend_q` must be in \[1.05, 50.0\]"),
    ("n_years", 9, r"`n_years` must be in \[1, 5\]"),
    ("start_date", "2024-13-01", r"`start_date` must be an ISO date"),
    ("start_date", "1999-12-31", r"`start_date` must be in \[2000-01-01, 2099-01-01\]"),
    ("satisfaction_dropout_link", float("nan"), r"`satisfaction_dropout_link` must be in"),
    ("membership_first_year", 2030, r"`membership_first_year` must be <= the last year of the window \(2025\)"),
])
def test_bad_knob_value_names_knob_and_range(knob, value, match):
    with pytest.raises(ValueError, match=match):
        WorldConfig(**{knob: value})


@pytest.mark.parametrize("knob, value", [("n_customers", 1000.5), ("seed", "7"), ("n_years", True), ("launch_share", "high")])
def test_wrong_knob_type_is_a_type_error(knob, value):
    with pytest.raises(TypeError, match=f"`{knob}` must be"):
        WorldConfig(**{knob: value})


def test_unknown_knob_and_bad_config_type():
    with pytest.raises(TypeError, match=r"unknown knob\(s\) \['n_customer'\]"):
        generate_world(n_customer=100)
    with pytest.raises(TypeError, match="`config` must be a WorldConfig"):
        generate_world({"n_customers": 100})


def test_knobs_table_documents_every_knob():
    knobs = WorldConfig.knobs()
    assert list(knobs["knob"]) == [f.name for f in dataclasses.fields(WorldConfig)]
    assert knobs["meaning"].str.len().min() > 20
    defaults = WorldConfig()
    assert (defaults.n_customers, defaults.seed, defaults.start_date, defaults.n_years) == (10_000, 2026, "2024-01-01", 2)
    assert (defaults.end.isoformat(), defaults.n_days) == ("2025-12-31", 731)


def test_config_and_overrides_combine():
    world = generate_world(WorldConfig(n_customers=300, seed=3), seed=4)
    assert world.truth["config"]["seed"] == 4 and len(world.customers) == 300


# --- determinism -------------------------------------------------------------------------

def test_same_seed_gives_byte_identical_files_and_other_seed_differs(tmp_path):
    generate_world(n_customers=1_500, seed=5).save(tmp_path / "a")
    generate_world(n_customers=1_500, seed=5).save(tmp_path / "b")
    generate_world(n_customers=1_500, seed=6).save(tmp_path / "c")
    a, b, c = (_hashes(tmp_path / x) for x in "abc")
    assert a == b
    assert set(a) == {*TABLE_FILES.values(), "truth.json"}
    assert all(a[name] != c[name] for name in ("customers.csv", "transactions.csv", "survey_responses.csv"))


def test_committed_default_world_is_reproduced_exactly(default_world, tmp_path):
    default_world.save(tmp_path / "regen")
    committed = {k: v for k, v in _hashes(ROOT / "datasets").items() if k != "README.md"}
    assert _hashes(tmp_path / "regen") == committed


def test_committed_data_set_is_small_enough():
    size = sum(p.stat().st_size for p in (ROOT / "datasets").iterdir())
    assert size <= 25 * 1024**2


def test_world_attributes_and_repr(small_world):
    assert isinstance(small_world, World)
    assert small_world.customers is small_world.tables["customers"]
    # the repr counts every table's rows: customers=2,000 (the fixture's size), transactions=<its rows>, ...
    text = repr(small_world)
    assert text.startswith("World(customers=2,000, ") and text.endswith(")")
    for name, table in small_world.tables.items():
        assert f"{name}={len(table):,}" in text
    with pytest.raises(AttributeError, match="World has no table or attribute 'orders'"):
        _ = small_world.orders
    n = len(small_world.welcome_experiment)
    assert f"welcome trial: {n:,} prospects; effect on a first purchase within 90 days +0.120" in small_world.summary()


def test_save_refuses_a_non_empty_folder_and_writes_nothing(small_world, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="folder is not empty"):
        small_world.save(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_save_failing_midway_leaves_no_half_written_files(small_world, tmp_path, monkeypatch):
    import fidelia_kit.dataset as dataset_mod

    calls = {"n": 0}
    real = dataset_mod.write_csv

    def flaky(df, path):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real(df, path)

    monkeypatch.setattr(dataset_mod, "write_csv", flaky)
    with pytest.raises(OSError, match="disk full"):
        small_world.save(tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary folder left either


# --- links and invariants ------------------------------------------------------------------

def test_tables_follow_the_schema(small_world):
    for name, columns in TABLES.items():
        assert list(small_world.tables[name].columns) == [c.name for c in columns]


def test_links_between_tables(small_world):
    w = small_world
    ids = set(w.customers["customer_id"])
    assert list(w.customers["customer_id"]) == list(range(1, len(w.customers) + 1))
    for name in ("transactions", "survey_responses", "retention_experiment", "complaints", "survey_waves"):
        assert set(w.tables[name]["customer_id"]) <= ids, name
    assert set(w.memberships["customer_id"].dropna()) <= ids
    assert set(w.transaction_items["transaction_id"]) == set(w.transactions["transaction_id"])
    tx = w.transactions.set_index("transaction_id")
    comp = w.complaints
    assert (tx.loc[comp["transaction_id"], "customer_id"].to_numpy() == comp["customer_id"].to_numpy()).all()
    assert (comp["date"].to_numpy() > tx.loc[comp["transaction_id"], "date"].to_numpy()).all()


def test_buyers_first_purchase_is_on_registration_day_unless_a_prospect_converted_later(small_world):
    w = small_world
    first = w.transactions.groupby("customer_id")["date"].min()
    seen = w.customers.set_index("customer_id")["first_seen"]
    later = first.index[first > seen.loc[first.index]]
    assert (first >= seen.loc[first.index]).all()
    # who bought only after registering: exactly the trial's converted prospects
    trial = w.welcome_experiment.set_index("customer_id")
    assert set(later) == set(trial.index[trial["first_purchase_90d"]])
    truth = w.truth_customers.set_index("customer_id")
    assert set(first.index) == set(truth.index[truth["buyer"]])
    assert (~truth["buyer"]).sum() > 0  # the 'potential customer' rung exists
    assert w.truth["counts"]["prospects"] == (~truth["buyer"]).sum()


def test_the_welcome_trial_follows_its_rules(small_world):
    w = small_world
    trial = w.welcome_experiment.set_index("customer_id")
    seen = w.customers.set_index("customer_id")["first_seen"]
    end = pd.Timestamp(w.truth["window"]["end"])
    t = w.truth["welcome"]
    assert (trial["contact_date"] == seen.loc[trial.index] + pd.Timedelta(days=t["contact_days_after_registration"])).all()
    assert (trial["contact_date"] + pd.Timedelta(days=t["outcome_days"] - 1) <= end).all()  # outcome seen in full
    sizes = trial["arm"].value_counts()
    assert sizes.to_dict() == t["arm_sizes"] and abs(sizes["welcome"] - sizes["control"]) <= 1
    # the outcome is in the transactions: a first purchase in the 90 days from the contact, else none at all
    first = w.transactions.groupby("customer_id")["date"].min().reindex(trial.index)
    in_window = (first >= trial["contact_date"]) & (first < trial["contact_date"] + pd.Timedelta(days=t["outcome_days"]))
    assert (in_window == trial["first_purchase_90d"]).all()
    assert first[~trial["first_purchase_90d"]].isna().all()
    # nobody in the trial bought on registration day; every prospect early enough is in it
    assert not w.transactions.merge(seen.reset_index(), on="customer_id").query("date == first_seen")[
        "customer_id"].isin(trial.index).any()
    never = set(seen.index) - set(w.transactions["customer_id"])
    early = seen[seen + pd.Timedelta(days=t["contact_days_after_registration"] + t["outcome_days"] - 1) <= end].index
    assert never & set(early) <= set(trial.index)
    assert t["converted"] == trial.groupby("arm")["first_purchase_90d"].sum().to_dict()


def test_welcome_trial_recovers_the_true_effect(default_world):
    """Difference of the arms' conversion rates, 95% Wald interval: holds the true effect of truth.json
    (probability of a first purchase within 90 days) and excludes 0."""
    w = default_world
    t = w.truth["welcome"]
    rate = w.welcome_experiment.groupby("arm")["first_purchase_90d"].agg(["mean", "size"])
    diff = rate.loc["welcome", "mean"] - rate.loc["control", "mean"]
    se = np.sqrt((rate["mean"] * (1 - rate["mean"]) / rate["size"]).sum())
    z = stats.norm.isf(0.025)
    assert diff - z * se <= t["effect"] <= diff + z * se, (diff, se, t["effect"])
    assert diff - z * se > 0
    for arm in ("control", "welcome"):  # each arm's rate within 4 standard errors of its true probability
        p = t["conversion_probability"][arm]
        assert abs(rate.loc[arm, "mean"] - p) < Z * np.sqrt(p * (1 - p) / rate.loc[arm, "size"])
    assert len(w.welcome_experiment) > 800


def test_basket_lines_add_up_to_the_receipt(small_world):
    tx = small_world.transactions.set_index("transaction_id")
    items = small_world.transaction_items
    cents = (items["amount"] * 100).round().astype(int).groupby(items["transaction_id"]).sum()
    assert (cents == (tx["amount"] * 100).round().astype(int).loc[cents.index]).all()
    assert (items.groupby("transaction_id")["quantity"].sum() == tx["n_items"].loc[cents.index]).all()
    biggest = items.sort_values(["transaction_id", "amount", "line"], ascending=[True, False, True]).drop_duplicates("transaction_id")
    assert (biggest.set_index("transaction_id")["category"] == tx["main_category"].loc[biggest["transaction_id"]]).all()
    assert (tx["gross_margin"] <= tx["amount"]).all()
    assert tx.index.is_monotonic_increasing and tx["date"].is_monotonic_increasing


def test_points_redeemed_never_exceed_points_earned_before(small_world):
    tx = small_world.transactions.sort_values(["customer_id", "date", "transaction_id"])
    g = tx.groupby("customer_id")
    earned_before = g["points_earned"].cumsum() - tx["points_earned"]
    redeemed_so_far = g["points_redeemed"].cumsum()
    assert (redeemed_so_far <= earned_before).all()
    assert (tx["points_redeemed"] % 500 == 0).all() and tx["points_redeemed"].sum() > 0
    assert (tx["points_earned"] == np.floor(tx["amount"])).all()


def test_referrals_point_to_earlier_buyers_and_promoters_refer_more(default_world):
    c = default_world.customers
    ref = c.dropna(subset=["referred_by"])
    assert len(ref) > 0 and (ref["acquisition_channel"] == "referral").all()
    assert (ref["referred_by"] < ref["customer_id"]).all()
    seen = c.set_index("customer_id")["first_seen"]
    assert (seen.loc[ref["referred_by"].astype(int)].to_numpy() < ref["first_seen"].to_numpy()).all()
    truth = default_world.truth_customers.set_index("customer_id")
    promoter = truth["recommend"] >= 9
    referrers = ref["referred_by"].astype(int)
    assert truth.loc[referrers, "buyer"].all()
    assert promoter.loc[referrers].mean() > promoter[truth["buyer"]].mean() + 0.15


def test_experiment_population_follows_the_at_risk_rule(small_world):
    e = small_world.retention_experiment
    assert e["days_since_last"].between(45, 240).all()
    assert set(e["arm"]) == set(ARMS)
    assert e.groupby("arm").size().max() - e.groupby("arm").size().min() <= 1
    assert (e.loc[e["arm"] == "control", "cost"] == 0).all()
    assert (e.loc[e["arm"] == "personal_call", "cost"] == 6.0).all()
    assert ((e["revenue_90d"] > 0) == e["active_90d"]).all()
    tx = small_world.transactions
    d0 = e["assigned_date"].iloc[0]
    pre = tx[tx["date"] < d0].groupby("customer_id")["date"].max()
    assert ((d0 - pre.loc[e["customer_id"]]).dt.days.to_numpy() == e["days_since_last"].to_numpy()).all()


def test_membership_rows_are_consistent(small_world):
    m = small_world.memberships
    assert (m["cancelled"] == m["cancel_date"].notna()).all()
    years = (m["cancel_date"].dt.year - m["signup_date"].dt.year)[m["cancelled"]]
    assert (years == m.loc[m["cancelled"], "renewals"] + 1).all()
    assert (m["cohort"] == m["signup_date"].dt.year).all()
    assert m["customer_id"].dropna().is_unique


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(50, 400), seed=st.integers(0, 2**32 - 1), years=st.integers(1, 3))
def test_any_small_world_is_consistent(n, seed, years):
    w = generate_world(n_customers=n, seed=seed, n_years=years)
    lo, hi = pd.Timestamp(w.truth["window"]["start"]), pd.Timestamp(w.truth["window"]["end"])
    for name, cols in TABLES.items():
        df = w.tables[name]
        for col in cols:
            s = df[col.name]
            if not col.nullable:
                assert s.notna().all(), (name, col.name)
            if col.in_window:
                assert s.dropna().between(lo, hi).all(), (name, col.name)
            if col.min is not None and len(s.dropna()):
                assert s.dropna().min() >= col.min, (name, col.name)
            if col.max is not None and len(s.dropna()):
                assert s.dropna().max() <= col.max, (name, col.name)
            if col.options is not None:
                assert set(s.dropna()) <= set(col.options), (name, col.name)
    assert set(w.transactions["customer_id"]) <= set(w.customers["customer_id"])


# --- the truth is in the data ----------------------------------------------------------------

def test_latent_values_follow_the_stated_mixing_distributions(default_world):
    t = default_world.truth
    tc = default_world.truth_customers[default_world.truth_customers["buyer"]]
    bt, gg = t["purchase_process"], t["spend_process"]
    # KS tests at the 0.1% level: lambda ~ Gamma(r, alpha), p ~ Beta(a, b), nu ~ Gamma(q, v)
    assert stats.kstest(tc["purchase_rate"], stats.gamma(bt["r"], scale=1 / bt["alpha"]).cdf).pvalue > 1e-3
    assert stats.kstest(tc["dropout_prob"], stats.beta(bt["a"], bt["b"]).cdf).pvalue > 1e-3
    nu = gg["p"] / tc["mean_spend"]
    assert stats.kstest(nu, stats.gamma(gg["q"], scale=1 / gg["v"]).cdf).pvalue > 1e-3


def test_repeat_purchases_follow_bgnbd_given_each_customers_latents(default_world):
    """E[repeat purchases | lambda, p, T] = (1 - exp(-lambda p T)) / p  (Fader, Hardie & Lee 2005)."""
    w = default_world
    tc = w.truth_customers.set_index("customer_id")
    buyers = tc[tc["buyer"]].drop(w.retention_experiment["customer_id"])  # untouched by the campaign
    n_tx = w.transactions.groupby("customer_id").size().loc[buyers.index]
    end = pd.Timestamp(w.truth["window"]["end"]) + pd.Timedelta(days=1)
    T = (end - w.customers.set_index("customer_id")["first_seen"].loc[buyers.index]).dt.days / 7
    lam, p = buyers["purchase_rate"], buyers["dropout_prob"]
    expected = (1 - np.exp(-lam * p * T)) / p
    resid = (n_tx - 1) - expected
    assert abs(_z(resid.mean(), 0, resid.std(), len(resid))) < Z


def test_amounts_follow_gamma_gamma_given_each_customers_mean(default_world):
    w = default_world
    tc = w.truth_customers.set_index("customer_id")
    # a purchase made while silver or gold is (1 + effect) times its Gamma-Gamma draw (truth card_tiers); the
    # campaign's customers are left out: their reactivation purchase is drawn without the effect and is not in
    # the spend that set their tiers
    tx = w.transactions[~w.transactions["customer_id"].isin(w.retention_experiment["customer_id"])]
    tx = tx.sort_values(["customer_id", "date"], kind="stable")
    day = (tx["date"] - pd.Timestamp(w.truth["window"]["start"])).dt.days.to_numpy()
    spend = trailing_spend(tx["customer_id"].to_numpy(), day, tx["amount"].to_numpy())
    tiers, effect = w.truth["card_tiers"], w.truth["card_tiers"]["effect"]
    lift = np.where(spend >= tiers["gold"], 1 + effect["gold"], np.where(spend >= tiers["silver"], 1 + effect["silver"], 1.0))
    ratio = tx["amount"].to_numpy() / tc.loc[tx["customer_id"], "mean_spend"].to_numpy() / lift
    p = w.truth["spend_process"]["p"]
    # amount * nu ~ Gamma(p, 1), i.e. ratio * p ~ Gamma(p, 1): mean 1, sd 1/sqrt(p)
    assert abs(_z(ratio.mean(), 1.0, 1 / np.sqrt(p), len(ratio))) < Z
    assert stats.kstest(ratio * p, stats.gamma(p).cdf).pvalue > 1e-3
    mean_spend = tc.loc[tc["buyer"], "mean_spend"]
    assert abs(_z(mean_spend.mean(), w.truth["spend_process"]["mean_spend"], mean_spend.std(), len(mean_spend))) < Z


def test_less_satisfied_customers_drop_out_more(default_world):
    tc = default_world.truth_customers[default_world.truth_customers["buyer"]]
    rho = default_world.truth["satisfaction"]["dropout_link"]
    spearman = stats.spearmanr(tc["satisfaction"], tc["dropout_prob"]).statistic
    expected = -6 / np.pi * np.arcsin(rho / 2)  # Spearman's rho of a Gaussian copula
    assert spearman == pytest.approx(expected, abs=0.05)
    low = tc["satisfaction"] < tc["satisfaction"].quantile(0.25)
    high = tc["satisfaction"] > tc["satisfaction"].quantile(0.75)
    assert tc.loc[high, "alive_end"].mean() > tc.loc[low, "alive_end"].mean() + 0.05


def test_experiment_outcomes_match_each_arms_true_probability(default_world):
    """P(active | arm) = mean over the arm of p0 + tau (tau = 0 for control)."""
    w = default_world
    e = w.retention_experiment.merge(w.truth_customers, on="customer_id")
    tau = np.select([e["arm"] == "email_discount", e["arm"] == "personal_call"],
                    [e["effect_email_discount"], e["effect_personal_call"]], 0.0)
    e["p1"] = e["p_active_90d"] + tau
    for arm, g in e.groupby("arm"):
        expected = g["p1"].mean()
        se = np.sqrt(expected * (1 - expected) / len(g))
        assert abs(g["active_90d"].mean() - expected) < Z * se, arm
    truth = w.truth["experiment"]["average_effect_in_arm"]
    for arm in ARMS[1:]:
        col = {"email_discount": "effect_email_discount", "personal_call": "effect_personal_call"}[arm]
        assert e.loc[e["arm"] == arm, col].mean() == pytest.approx(truth[arm], abs=1e-6)
    # effects differ between customers and backfire for some
    assert (e["effect_personal_call"] < 0).sum() > 20 and e["effect_email_discount"].std() > 0.03


def test_survey_answers_carry_the_truth(default_world):
    w = default_world
    s = w.survey_responses.merge(w.truth_customers[["customer_id", "recommend", "satisfaction"]],
                                 on="customer_id", suffixes=("", "_truth"))
    answered = s["recommend"].notna()
    assert (s.loc[answered, "recommend"] == s.loc[answered, "recommend_truth"]).all()
    assert stats.spearmanr(s["overall_satisfaction"], s["satisfaction"], nan_policy="omit").statistic > 0.7
    t = w.truth["survey"]
    assert t["nps_respondents"] > t["nps_population"] + 10  # satisfied customers answer more
    # reverse-worded items correlate negatively with the rest of their construct
    corr = s[[i for items in SURVEY_ITEMS.values() for i in items]].astype(float).corr()
    for items in SURVEY_ITEMS.values():
        for i in items:
            others = [j for j in items if j != i]
            r = corr.loc[i, others]
            for j in others:
                flip = (i in REVERSE_ITEMS) != (j in REVERSE_ITEMS)
                assert (r[j] < -0.2) if flip else (r[j] > 0.2), (i, j, r[j])


def test_survey_waves_hold_the_first_wave_and_repeat_the_current_one(small_world):
    w = small_world
    waves = w.survey_waves
    assert sorted(waves["wave"].unique()) == [1, 2]
    assert not waves.duplicated(["wave", "customer_id"]).any()  # one answer per customer and wave
    # wave 2 is survey_responses' relationship answers, row for row
    questions = ["customer_id", "response_date", "overall_satisfaction", "recommend", "share_of_wallet"]
    second = waves[waves["wave"] == 2][questions].sort_values("customer_id").reset_index(drop=True)
    current = w.survey_responses[questions].sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(second, current)
    # wave 1: answered in the 28 days from its date, before the window's middle, by customers who had bought
    # in the 365 days before it; the recommendation is each customer's latent answer
    first = waves[waves["wave"] == 1]
    t = w.truth["survey_waves"]["1"]
    date = pd.Timestamp(t["date"])
    start, end = pd.Timestamp(w.truth["window"]["start"]), pd.Timestamp(w.truth["window"]["end"])
    assert first["response_date"].between(date, date + pd.Timedelta(days=27)).all()
    assert first["response_date"].max() < start + (end - start) / 2
    assert len(first) == t["n_responded"] > 100
    tx = w.transactions[(w.transactions["date"] < date) & (w.transactions["date"] >= date - pd.Timedelta(days=365))]
    assert set(first["customer_id"]) <= set(tx["customer_id"])
    latent = w.truth_customers.set_index("customer_id").loc[first["customer_id"], "recommend"].to_numpy()
    answered = first["recommend"].notna().to_numpy()
    assert (first["recommend"].to_numpy()[answered] == latent[answered]).all()
    assert 0.5 * w.truth["config"]["item_missing_rate"] < 1 - answered.mean() < 2 * w.truth["config"]["item_missing_rate"]
    rec = first["recommend"].dropna()
    nps_first = 100 * ((rec >= 9).mean() - (rec <= 6).mean())
    assert abs(nps_first - t["nps_respondents"]) < 5  # the truth counts every respondent, blanks included
    assert t["nps_respondents"] > t["nps_population"]    # the same non-response bias as the current wave


def test_a_ladder_in_the_middle_of_the_window_has_survey_answers_to_go_by(small_world):
    """Before the month start nearest the window's middle (notebook 02's default ladder_mid), customers
    have answered the recommendation question: some 9-10 (the advocate rung's input)."""
    w = small_world
    start, end = pd.Timestamp(w.truth["window"]["start"]), pd.Timestamp(w.truth["window"]["end"])
    middle = start + (end - start) / 2
    month_starts = pd.date_range(start, end, freq="MS")
    mid = month_starts[np.argmin(np.abs(month_starts - middle))]
    before = w.survey_waves[w.survey_waves["response_date"] < mid]
    assert (before["wave"] == 1).all() and (before["recommend"] >= 9).sum() > 50
    assert (w.survey_responses["response_date"] >= mid).all()  # the current wave alone would leave it empty


def _complaints_with_leaving(w):
    """Complaints of customers outside the treated arms, with whether the customer left right after the
    purchase complained about (from the truth) and the customer's prior log-odds of leaving there."""
    cfg = w.truth["config"]
    tc = w.truth_customers.set_index("customer_id")
    treated = w.retention_experiment.loc[w.retention_experiment["arm"] != "control", "customer_id"]
    comp = w.complaints[~w.complaints["customer_id"].isin(treated)].copy()
    last_tx = w.transactions.groupby("customer_id")["transaction_id"].max()
    comp["leaves"] = ((last_tx.loc[comp["customer_id"]].to_numpy() == comp["transaction_id"].to_numpy())
                      & ~tc.loc[comp["customer_id"], "alive_end"].astype(bool).to_numpy()).astype(float)
    p = tc.loc[comp["customer_id"], "dropout_prob"].to_numpy()
    offset = np.log(p / (1 - p)) + np.log(cfg["complaint_rate_leaving"] / cfg["complaint_rate_staying"])
    X = pd.DataFrame({
        "resolved_front_line": comp["resolved_front_line"].astype(float),
        "days_beyond_tolerance": np.maximum(0.0, comp["days_to_resolve"].astype(float)
                                            - w.truth["complaints"]["tolerance_days"]),
        "n_handoffs": comp["n_handoffs"].astype(float),
        "severity_2": (comp["severity"] == 2).astype(float),
        "severity_3": (comp["severity"] == 3).astype(float),
        "compensation": comp["compensation"],
    })
    return comp, X, offset


def test_complaint_handling_shifts_the_odds_of_leaving_as_the_truth_says(default_world):
    """Logistic regression of leaving on the handling, with each customer's prior odds as
    offset, recovers the true slopes of truth.json within 4 standard errors."""
    w = default_world
    comp, X, offset = _complaints_with_leaving(w)
    fit = sm.GLM(comp["leaves"].to_numpy(), sm.add_constant(X), family=sm.families.Binomial(),
                 offset=offset).fit()
    truth = w.truth["complaints"]["defection_log_odds"]
    assert w.truth["complaints"]["scale"] == "log-odds of leaving"
    for name, value in truth.items():
        assert abs(fit.params[name] - value) < Z * fit.bse[name], (name, fit.params[name], value)
    assert comp["leaves"].sum() > 200


def test_leaving_odds_are_flat_up_to_the_tolerance_and_rise_beyond_it(default_world):
    """The hinge: with a free slope per day up to truth's tolerance_days and another beyond it (offset: the
    customer's prior log-odds), the slope below is indistinguishable from 0 and the slope beyond covers the
    truth; a single straight line in the days fits worse (likelihood-ratio test)."""
    w = default_world
    comp, X, offset = _complaints_with_leaving(w)
    tolerance = w.truth["complaints"]["tolerance_days"]
    assert 5 <= tolerance <= 7
    days = comp["days_to_resolve"].astype(float).to_numpy()
    bent = X.assign(days_upto=np.minimum(days, tolerance))
    fit = sm.Logit(comp["leaves"].to_numpy(), sm.add_constant(bent), offset=offset).fit(disp=False)
    ci = fit.conf_int(alpha=0.05)
    assert ci.loc["days_upto", 0] <= 0 <= ci.loc["days_upto", 1]
    truth = w.truth["complaints"]["defection_log_odds"]["days_beyond_tolerance"]
    assert ci.loc["days_beyond_tolerance", 0] <= truth <= ci.loc["days_beyond_tolerance", 1]
    line = X.drop(columns="days_beyond_tolerance").assign(days=days)
    straight = sm.Logit(comp["leaves"].to_numpy(), sm.add_constant(line), offset=offset).fit(disp=False)
    assert fit.llf - straight.llf > 10          # the bend is real: far beyond chi-square(1) noise
    # complaints on both sides of the tolerance, so it can be estimated
    assert (days <= tolerance).mean() > 0.3 and (days > tolerance).mean() > 0.3


def test_tolerance_knob_moves_the_bend_and_zero_gives_a_straight_line():
    from fidelia_kit.synth.complaints import defection_log_odds

    w = generate_world(n_customers=3000, seed=5, complaint_tolerance_days=0.0)
    assert w.truth["complaints"]["tolerance_days"] == 0.0
    assert w.truth["config"]["complaint_tolerance_days"] == 0.0
    # at 0 every day counts (days >= 1): the log-odds are linear in the days, the hinge's slope per day
    assert defection_log_odds(0.0)["days_beyond_tolerance"] == defection_log_odds(6.0)["days_beyond_tolerance"]
    # the later the bend, the longer the days of stayers and leavers stay alike
    late = generate_world(n_customers=3000, seed=5, complaint_tolerance_days=20.0).complaints
    early = w.complaints
    assert late["days_to_resolve"].mean() < early["days_to_resolve"].mean()


def test_front_line_resolution_and_hand_offs_are_separate_causes_of_leaving(default_world):
    """The two vary separately (hand-offs happen with and without front-line resolution), and a
    statsmodels Logit of leaving (offset: the customer's prior log-odds) puts each true slope of
    truth.json, log-odds of leaving, inside its 95% interval; each slope is also told apart from 0."""
    w = default_world
    comp, X, offset = _complaints_with_leaving(w)
    crossed = pd.crosstab(comp["resolved_front_line"], comp["n_handoffs"] > 0)
    assert (crossed.to_numpy() >= 50).all(), crossed  # every combination occurs often
    assert abs(np.corrcoef(X["resolved_front_line"], X["n_handoffs"])[0, 1]) < 0.6
    fit = sm.Logit(comp["leaves"].to_numpy(), sm.add_constant(X), offset=offset).fit(disp=False)
    ci = fit.conf_int(alpha=0.05)
    truth = w.truth["complaints"]["defection_log_odds"]
    for name in ("resolved_front_line", "n_handoffs"):
        low, high = ci.loc[name]
        assert low <= truth[name] <= high, (name, low, high, truth[name])
        assert high < 0 or low > 0, (name, low, high)  # the data tell the effect from no effect
    assert truth["resolved_front_line"] < 0 < truth["n_handoffs"]


def test_membership_renewals_follow_sbg(default_world):
    """sBG: P(renew 1st) = beta / (alpha + beta); P(renew 2nd | 1st) = (beta + 1) / (alpha + beta + 1)."""
    w = default_world
    a, b = w.truth["memberships"]["alpha"], w.truth["memberships"]["beta"]
    m = w.memberships
    end = pd.Timestamp(w.truth["window"]["end"])
    years_seen = (end - m["signup_date"]).dt.days // 366  # anniversaries surely passed
    at1 = m[years_seen >= 1]
    r1 = (at1["renewals"] >= 1).mean()
    assert abs(r1 - b / (a + b)) < Z * np.sqrt(r1 * (1 - r1) / len(at1))
    at2 = m[(years_seen >= 2) & (m["renewals"] >= 1)]
    r2 = (at2["renewals"] >= 2).mean()
    assert abs(r2 - (b + 1) / (a + b + 1)) < Z * np.sqrt(r2 * (1 - r2) / len(at2))


def test_profiles_shape_how_customers_shop(default_world):
    w = default_world
    tx = w.transactions.merge(w.truth_customers[["customer_id", "profile"]], on="customer_id")
    shares = pd.crosstab(tx["profile"], tx["channel"], normalize="index")
    for profile in PROFILES:
        expected = dict(zip(SALES_CHANNELS, PROFILE_TRAITS[profile]["channel"]))
        for channel, share in expected.items():
            assert shares.loc[profile, channel] == pytest.approx(share, abs=0.03), (profile, channel)
    counts = w.truth["counts"]["profiles"]
    assert sum(counts.values()) == len(w.customers) and min(counts.values()) > 0.1 * len(w.customers)


def test_memberships_of_a_window_not_ending_in_december_have_no_negative_renewals():
    # A window from 2021-03-01 ends on 2023-02-28: the 2023 cohort used to sign up as late as
    # December 2023, after the window, and got renewals = -1, which the loader refuses.
    from fidelia_kit.io import validate_table

    w = generate_world(n_customers=500, start_date="2021-03-01", seed=1)
    m = w.memberships
    assert m["signup_date"].max() <= pd.Timestamp("2023-02-28")
    assert (m["renewals"] >= 0).all()
    assert (m.loc[m["cohort"] == 2023, "renewals"] == 0).all()
    validate_table(m, "memberships", window=(w.truth["window"]["start"], w.truth["window"]["end"]))


# --- imports run one way: reading a data set never loads the generator ------------------------

def test_reading_a_data_set_does_not_import_the_generator(small_world_dir):
    code = ("import sys, fidelia_kit, fidelia_kit.io\n"
            f"w = fidelia_kit.io.load_world({str(small_world_dir)!r}, cache=False)\n"
            "assert type(w) is fidelia_kit.World and len(w.customers) == 2000\n"
            "print(sorted(m for m in sys.modules if m.startswith('fidelia_kit.synth')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_container_is_the_same_class_under_every_name():
    import fidelia_kit
    import fidelia_kit.dataset
    import fidelia_kit.synth
    import fidelia_kit.synth.world

    assert fidelia_kit.World is fidelia_kit.synth.World is fidelia_kit.synth.world.World is fidelia_kit.dataset.World


def test_dropout_date_is_the_last_purchase_of_those_who_left(default_world):
    """A customer leaves just after a purchase (BG/NBD), so dropout_date is their last purchase day,
    except for the few left customers the retention experiment brought back for one more purchase."""
    truth = default_world.truth_customers.set_index("customer_id")
    left = truth["dropout_date"].notna()
    assert (left == (truth["alive_end"] == False)).all()  # noqa: E712 (nullable boolean)
    last = default_world.transactions.groupby("customer_id")["date"].max().reindex(truth.index[left])
    after = last > truth.loc[left, "dropout_date"]
    assert (last >= truth.loc[left, "dropout_date"]).mean() > 0.99
    treated = default_world.retention_experiment.query("arm != 'control'")["customer_id"]
    assert set(last.index[after]) <= set(treated)
    assert after.mean() < 0.03


# ---------------------------------------------------------------- the spread of the call's effect

def _effect_people():
    """Four customers, one per profile (family, premium, bargain, convenience); nu sets the spend rank
    (a smaller nu spends more: ranks 1, 2/3, 1/3, 0)."""
    from types import SimpleNamespace

    return SimpleNamespace(profile=np.array([0, 1, 2, 3]), nu=np.array([0.1, 0.2, 0.3, 0.4]))


def test_call_effect_at_the_default_spread_is_the_hand_worked_formula():
    from fidelia_kit.synth.experiment import true_effects

    _, call = true_effects(WorldConfig(call_effect=0.09), _effect_people(), np.arange(4))
    # 0.09 + 0.20 (rank - 0.5) - 0.15 bargain + 0.05 convenience
    expected = [0.09 + 0.10, 0.09 + 0.20 / 6, 0.09 - 0.20 / 6 - 0.15, 0.09 - 0.10 + 0.05]
    assert call == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("spread", [0.0, 0.5, 2.0, 4.0])
def test_call_effect_spread_scales_the_sd_and_keeps_the_mean(spread):
    from fidelia_kit.synth.experiment import true_effects

    people, idx = _effect_people(), np.arange(4)
    _, base = true_effects(WorldConfig(), people, idx)
    _, call = true_effects(WorldConfig(call_effect_spread=spread), people, idx)
    assert call.mean() == pytest.approx(base.mean(), abs=1e-12)
    assert call.std() == pytest.approx(spread * base.std(), abs=1e-12)
    assert call - call.mean() == pytest.approx(spread * (base - base.mean()), abs=1e-12)


def test_call_effect_spread_in_a_world_and_its_truth():
    worlds = {s: generate_world(n_customers=2_000, seed=11, call_effect_spread=s) for s in (0.0, 1.0, 2.0)}
    effects = {s: w.truth_customers["effect_personal_call"].dropna() for s, w in worlds.items()}
    assert worlds[2.0].truth["config"]["call_effect_spread"] == 2.0
    assert all(effects[s].index.equals(effects[1.0].index) for s in effects)  # the same customers randomised
    # everyone gets the same effect, clipped to [-p0, 1 - p0] (a customer certain to buy cannot gain more)
    p0 = worlds[0.0].truth_customers.loc[effects[0.0].index, "p_active_90d"]
    common = effects[0.0].max()
    assert effects[0.0].to_numpy() == pytest.approx(np.clip(common, -p0, 1 - p0), abs=2e-6)
    assert (effects[0.0] == common).mean() > 0.9
    # clipping to [-p0, 1 - p0] trims a few of the widest effects: the SD doubles within 10%
    assert effects[2.0].std() == pytest.approx(2 * effects[1.0].std(), rel=0.10)
    assert effects[2.0].mean() == pytest.approx(effects[1.0].mean(), abs=0.01)
    # the purchases before the experiment (who, when, how much) do not depend on the spread
    day = worlds[1.0].truth["experiment"]["date"]
    before = {s: w.transactions.loc[w.transactions["date"] < day, ["customer_id", "date", "amount"]]
              .reset_index(drop=True) for s, w in worlds.items()}
    pd.testing.assert_frame_equal(before[0.0], before[1.0])


@pytest.mark.parametrize("value", [-0.5, 4.5])
def test_call_effect_spread_out_of_range(value):
    with pytest.raises(ValueError, match=r"`call_effect_spread` must be in \[0.0, 4.0\]"):
        WorldConfig(call_effect_spread=value)


# ---------------------------------------------------------------- true expected purchases over a horizon

def test_true_expected_purchases_hand_worked():
    from fidelia_kit.synth import true_expected_purchases

    truth = pd.DataFrame({
        "customer_id": [10, 11, 12, 13, 14],
        "purchase_rate": [0.5, 0.5, 0.5, 0.2, np.nan],      # per week; the last one is a prospect
        "dropout_prob": [0.1, 0.1, 0.1, 0.5, np.nan],
        "alive_end": pd.array([True, False, False, False, pd.NA], dtype="boolean"),
        "dropout_date": pd.to_datetime([None, "2024-03-31", "2024-04-01", "2024-06-30", None]),
    })
    got = true_expected_purchases(truth, as_of="2024-04-01", horizon_days=70)  # 10 weeks
    # alive: (1 - exp(-0.5 x 0.1 x 10)) / 0.1 = (1 - e^-0.5) / 0.1 = 3.934693; left the day before: 0;
    # left on as_of (after a purchase that day) is alive on it; (1 - exp(-0.2 x 0.5 x 10)) / 0.5 = 1.264241
    assert list(got.index) == [10, 11, 12, 13, 14] and got.name == "expected_purchases"
    assert got.iloc[:4].tolist() == pytest.approx([3.934693, 0.0, 3.934693, 1.264241], abs=1e-6)
    assert np.isnan(got.iloc[4])
    assert true_expected_purchases(truth, as_of="2024-04-01", horizon_days=0).iloc[:4].tolist() == [0, 0, 0, 0]


def test_true_expected_purchases_reproduces_the_truths_52_weeks(small_world):
    from fidelia_kit.synth import true_expected_purchases

    truth = small_world.truth_customers
    after = pd.Timestamp(small_world.truth["window"]["end"]) + pd.Timedelta(days=1)
    got = true_expected_purchases(truth, as_of=after, horizon_days=52 * 7)
    want = truth.set_index("customer_id")["expected_purchases_52w"]
    # the table's lambda and p are rounded to 6 decimals: up to about 2e-4 purchases off here
    assert got.to_numpy() == pytest.approx(want.to_numpy(), rel=1e-5, abs=1e-3, nan_ok=True)
    assert (got > 0).sum() == truth["alive_end"].sum()
    # a text column (as read from the CSV) gives the same answer
    text = truth.assign(dropout_date=truth["dropout_date"].dt.strftime("%Y-%m-%d"))
    pd.testing.assert_series_equal(true_expected_purchases(text, as_of=after, horizon_days=364), got)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"truth_customers": [1, 2]}, TypeError, r"`truth_customers` must be a pandas DataFrame"),
    ({"drop": "dropout_prob"}, ValueError, r"`truth_customers` has no column\(s\) \['dropout_prob'\]"),
    ({"as_of": "someday"}, ValueError, r"`as_of` must be a date"),
    ({"horizon_days": -1}, ValueError, r"`horizon_days` must be in \[0"),
    ({"bad_date": True}, ValueError, r"column 'dropout_date' has 1 value\(s\) that are not dates"),
])
def test_true_expected_purchases_bad_input(kwargs, error, match):
    from fidelia_kit.synth import true_expected_purchases

    truth = pd.DataFrame({"customer_id": [1, 2], "purchase_rate": [0.5, 0.5], "dropout_prob": [0.1, 0.1],
                          "alive_end": [True, False], "dropout_date": [None, "2024-03-01"]})
    if kwargs.pop("bad_date", False):
        truth["dropout_date"] = [None, "soon"]
    if "drop" in kwargs:
        truth = truth.drop(columns=kwargs.pop("drop"))
    args = {"truth_customers": truth, "as_of": "2024-04-01", "horizon_days": 70, **kwargs}
    with pytest.raises(error, match=match):
        true_expected_purchases(args.pop("truth_customers"), **args)
