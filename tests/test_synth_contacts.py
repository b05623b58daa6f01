"""The contacts table: the plan's rules, its agreement with the trials and the survey, and the true response model."""
from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fidelia_kit import DataError, generate_world, read_table, warehouse
from fidelia_kit.dataset import write_csv
from fidelia_kit.schema import CATEGORIES, CONTACT_CHANNELS, CONTACT_PHASES, PROFILES, TABLES
from fidelia_kit.synth import contacts as contacts_mod
from fidelia_kit.synth import true_offer_response

Z = 4.0  # sampling checks: within 4 standard errors (a false alarm about once in 16,000 runs)
DAY = pd.Timedelta(days=1)


def _recent(contacts: pd.DataFrame, window: int) -> np.ndarray:
    """Contacts of the same customer in the ``window`` days before each contact's day: counted here by brute force."""
    out = np.zeros(len(contacts), dtype=int)
    for _, g in contacts.groupby("customer_id"):
        days = g["contact_date"].to_numpy()
        gap = (days[:, None] - days[None, :]) / np.timedelta64(1, "D")
        out[g.index.to_numpy()] = ((gap >= 1) & (gap <= window)).sum(axis=1)
    return out


def _random_offers(world) -> pd.DataFrame:
    """The randomized cross-sell offers with each customer's truth and recent contacts (computed from the table)."""
    c = world.contacts
    c = c.assign(recent=_recent(c, world.truth["contacts"]["response"]["fatigue_window_days"]))
    offers = c[c["assignment"] == "random"]
    return offers.merge(world.truth_customers[["customer_id", "profile", "purchase_rate"]], on="customer_id")


def _true_p(world, offers: pd.DataFrame) -> np.ndarray:
    """Each offer's true purchase probability, through the public true_offer_response, row by row."""
    p = np.empty(len(offers))
    for (cat, ch), g in offers.groupby(["category", "channel"]):
        rows = offers.index.get_indexer(g.index)
        p[rows] = true_offer_response(g[["customer_id", "profile", "purchase_rate"]], world.truth, category=cat,
                                      channel=ch, recent_contacts=g["recent"].to_numpy()).to_numpy()
    return p


# --- the table's own rules -------------------------------------------------------------------

@pytest.fixture(scope="module", params=["small", "odd"])
def world(request, small_world):
    """The small world, and an odd one: one year from 29 February, few customers, half of them prospects."""
    if request.param == "small":
        return small_world
    return generate_world(n_customers=400, seed=5, n_years=1, start_date="2024-02-29", prospect_share=0.5)


def test_columns_hold_what_each_phase_and_channel_allow(world):
    c = world.contacts
    assert list(c.columns) == [col.name for col in TABLES["contacts"]]
    assert c["contact_id"].tolist() == list(range(1, len(c) + 1))
    phase_order = c["phase"].map({ph: i for i, ph in enumerate(CONTACT_PHASES)})
    key = c[["contact_date", "customer_id"]].assign(phase=phase_order)
    assert key.equals(key.sort_values(["contact_date", "customer_id", "phase"]))
    cross = c["phase"] == "cross_sell"
    assert (c["category"].notna() == cross).all() and (c["assignment"].notna() == cross).all()
    assert (c["purchased_category_30d"].notna() == cross).all()
    assert (c["opened"].notna() == c["channel"].isin(["email", "app"])).all()
    has_link = c["channel"].isin(["email", "app", "sms"]) | (c["phase"] == "questionnaire")
    assert (c["clicked"].notna() == has_link).all()
    assert (c["cost"] == c["channel"].map(contacts_mod.CONTACT_COST)).all()
    # nested steps: a click needs an open (e-mail, app); a coupon of a cross-sell offer needs its purchase
    opens = c["opened"].notna()
    assert not (c.loc[opens, "clicked"] & ~c.loc[opens, "opened"]).any()
    assert not (c.loc[cross, "redeemed"] & ~c.loc[cross, "purchased_category_30d"]).any()
    assert world.truth["contacts"]["n"] == len(c)
    assert world.truth["contacts"]["phase_counts"] == c["phase"].value_counts().to_dict()


def test_welcome_rows_agree_with_the_welcome_trial(world):
    w = world
    c = w.contacts
    welcome = c[c["phase"] == "welcome"].set_index("customer_id")
    assert welcome.index.is_unique
    trial = w.welcome_experiment.set_index("customer_id")
    seen = w.customers.set_index("customer_id")["first_seen"]
    delay = w.truth["contacts"]["schedule"]["welcome_days_after_registration"]
    # the welcome arm is contacted on the trial's contact day; the control arm never
    arm = trial[trial["arm"] == "welcome"]
    assert set(arm.index) <= set(welcome.index)
    assert (welcome.loc[arm.index, "contact_date"] == arm["contact_date"]).all()
    assert not set(trial.index[trial["arm"] == "control"]) & set(welcome.index)
    # everyone else welcomed bought on registering, and is welcomed 7 days after it
    first = w.transactions.groupby("customer_id")["date"].min()
    others = welcome.index.difference(trial.index)
    assert (first.reindex(others) == seen.loc[others]).all()
    assert (welcome.loc[others, "contact_date"] == seen.loc[others] + delay * DAY).all()
    bought_at_once = first.index[first == seen.loc[first.index]]
    end = pd.Timestamp(w.truth["window"]["end"])
    assert set(bought_at_once[seen.loc[bought_at_once] + delay * DAY <= end]) == set(others)


def test_reactivation_rows_are_the_retention_experiment(world):
    w = world
    c = w.contacts
    react = c[c["phase"] == "reactivation"].set_index("customer_id")
    exp = w.retention_experiment.set_index("customer_id")
    contacted = exp[exp["arm"] != "control"]
    assert set(react.index) == set(contacted.index) and react.index.is_unique
    react = react.loc[contacted.index]
    assert (react["contact_date"] == contacted["assigned_date"]).all()
    assert (react["channel"] == contacted["arm"].map({"email_discount": "email", "personal_call": "call"})).all()
    assert (react["cost"] == contacted["cost"]).all()  # the same cost in both tables
    email = contacted["arm"] == "email_discount"
    assert (react.loc[email, "redeemed"] == contacted.loc[email, "active_90d"]).all()
    assert react.loc[~email, "redeemed"].isna().all()


def test_questionnaire_rows_are_the_survey_invitations_and_clicks_the_answers(world):
    w = world
    c = w.contacts
    q = c[c["phase"] == "questionnaire"]
    waves = w.survey_waves
    dates = {1: pd.Timestamp(w.truth["survey_waves"]["1"]["date"]), 2: pd.Timestamp(w.truth["survey"]["date"])}
    n_invited = {1: w.truth["survey_waves"]["1"]["n_invited"], 2: w.truth["survey"]["n_invited"]}
    assert set(q["contact_date"]) == set(dates.values())
    for wave, day in dates.items():
        rows = q[q["contact_date"] == day].set_index("customer_id")
        answered = waves.loc[waves["wave"] == wave, "customer_id"]
        assert set(rows.index[rows["clicked"].astype(bool)]) == set(answered)
        assert len(rows) == n_invited[wave]
        assert rows.loc[rows["clicked"].astype(bool), "opened"].all()
    assert (waves.merge(q, on="customer_id").query("contact_date <= response_date")
            .groupby("wave")["customer_id"].nunique() == waves.groupby("wave")["customer_id"].nunique()).all()


def test_upgrade_offers_go_to_customers_just_below_the_next_tier(world):
    w = world
    c = w.contacts
    tiers = w.truth["card_tiers"]
    band = w.truth["contacts"]["schedule"]["upgrade_band"]
    up = c[c["phase"] == "upgrade"]
    assert len(up) > 0
    tx = w.transactions
    for day, g in up.groupby("contact_date"):
        last = tx[(tx["date"] >= day - 365 * DAY) & (tx["date"] < day)].groupby("customer_id")["amount"].sum()
        spend = last.reindex(g["customer_id"]).fillna(0).to_numpy()
        silver = (spend >= band * tiers["silver"]) & (spend < tiers["silver"])
        gold = (spend >= band * tiers["gold"]) & (spend < tiers["gold"])
        assert (silver | gold).all(), day
        assert (g["channel"].to_numpy() == np.where(gold, "mail", "email")).all()
    # once per tier: no customer is offered the same tier twice
    assert not up.assign(tier=up["channel"]).duplicated(["customer_id", "tier"]).any()


def test_rule_offers_follow_the_firms_rule(world):
    """The rule offers the category of the most basket lines before the day (ties: the first in CATEGORIES)."""
    w = world
    c = w.contacts
    rule = c[c["assignment"] == "rule"]
    lines = w.transaction_items.merge(w.transactions[["transaction_id", "customer_id", "date"]], on="transaction_id")
    for day, g in rule.groupby("contact_date"):
        counts = (lines[lines["date"] < day].groupby(["customer_id", "category"]).size().unstack(fill_value=0)
                  .reindex(columns=list(CATEGORIES), fill_value=0))
        expected = np.array(CATEGORIES)[counts.loc[g["customer_id"]].to_numpy().argmax(axis=1)]
        assert (g["category"].to_numpy() == expected).all(), day
    assert set(rule["channel"]) <= {"email", "app"}


def test_the_random_share_is_the_knob_and_random_offers_are_uniform(small_world):
    w = small_world
    cross = w.contacts[w.contacts["phase"] == "cross_sell"]
    share = w.truth["config"]["contact_random_share"]
    n = len(cross)
    k = (cross["assignment"] == "random").sum()
    assert abs(k / n - share) < Z * np.sqrt(share * (1 - share) / n)
    random = cross[cross["assignment"] == "random"]
    for column, levels in (("category", CATEGORIES), ("channel", CONTACT_CHANNELS)):
        counts = random[column].value_counts().reindex(list(levels), fill_value=0)
        assert stats.chisquare(counts).pvalue > 1e-4, column


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_the_knob_changes_only_the_contacts(share, small_world):
    other = generate_world(n_customers=2_000, seed=11, contact_random_share=share)
    for name, df in small_world.tables.items():
        if name != "contacts":
            pd.testing.assert_frame_equal(other.tables[name], df, check_exact=True)
    cross = other.contacts[other.contacts["phase"] == "cross_sell"]
    assert (cross["assignment"] == ("random" if share else "rule")).all()


def test_same_seed_gives_the_same_bytes(small_world, tmp_path):
    again = generate_world(n_customers=2_000, seed=11)
    write_csv(small_world.contacts, tmp_path / "a.csv")
    write_csv(again.contacts, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    other = generate_world(n_customers=2_000, seed=12)
    write_csv(other.contacts, tmp_path / "c.csv")
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()


def test_recent_contacts_by_hand():
    # customer 1 on days 0, 10, 40 (40 counts day 10: within the 30 days before), customer 2 on day 10;
    # two contacts on one day do not count each other
    got = contacts_mod._recent_contacts(np.array([1, 1, 1, 2, 2]), np.array([0, 10, 40, 10, 10]), 30)
    assert got.tolist() == [0, 1, 1, 0, 0]


# --- the true response model -------------------------------------------------------------------

def _hand_truth() -> dict:
    zero = dict.fromkeys(CONTACT_CHANNELS, 0.0)
    return {
        "config": {"purchase_r": 1.0, "purchase_alpha": 4.0},
        "profiles": {p: {"categories": [0.5 if i == k else 0.5 / 7 for i in range(8)]}
                     for k, p in enumerate(PROFILES)},
        "contacts": {"response": {
            "intercept": {"cross_sell": -2.0}, "category_weight": 4.0, "category_centre": dict.fromkeys(CATEGORIES, 0.1), "channel": zero | {"call": 1.0},
            "profile_channel": {p: zero | ({"sms": -0.5} if p == "bargain" else {}) for p in PROFILES},
            "log_purchase_rate": 0.5, "fatigue_per_contact": -0.25}},
    }


def test_true_offer_response_by_hand():
    """logit = -2 + channel + profile x channel + 0.5 log(rate / (r / alpha)) - 0.25 recent + 4 (w - 0.1)."""
    truth = _hand_truth()
    people = pd.DataFrame({"customer_id": [7, 8, 9], "profile": ["family", "bargain", "premium"],
                           "purchase_rate": [0.25, 0.25 * np.e**2, np.nan]})
    p = true_offer_response(people, truth, category="grocery", channel="sms", recent_contacts=[0, 0, 4])
    # family: grocery weight 0.5 -> -2 + 4 x 0.4; bargain: weight 0.5/7, sms -0.5, rate e^2 x mean -> + 1;
    # premium: no purchase rate (term 0), 4 recent contacts -> -1
    lift = 4 * (0.5 / 7 - 0.1)
    logits = np.array([-2 + 1.6, -2 + lift - 0.5 + 1.0, -2 + lift - 1.0])
    np.testing.assert_allclose(p.to_numpy(), 1 / (1 + np.exp(-logits)), rtol=1e-12)
    assert p.index.tolist() == [7, 8, 9] and p.name == "p_purchase_30d"
    call = true_offer_response(people, truth, category="grocery", channel="call")
    np.testing.assert_allclose(call.iloc[0], 1 / (1 + np.exp(-0.6)))


def test_true_offer_response_docstring_runs():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(contacts_mod.true_offer_response, "true_offer_response", globs=dict(vars(contacts_mod))):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"category": "toys"}, ValueError, "`category` must be one of"),
    ({"channel": "fax"}, ValueError, "`channel` must be one of"),
    ({"recent_contacts": [1, 2]}, ValueError, "`recent_contacts` must be one number or one per row"),
    ({"recent_contacts": -1}, ValueError, "`recent_contacts` must be finite and >= 0"),
])
def test_true_offer_response_refuses_bad_arguments(kwargs, error, match):
    people = pd.DataFrame({"customer_id": [1, 2, 3], "profile": ["family"] * 3, "purchase_rate": [0.2] * 3})
    args = {"category": "kids", "channel": "email"} | kwargs
    with pytest.raises(error, match=match):
        true_offer_response(people, _hand_truth(), **args)


def test_true_offer_response_refuses_bad_frames_and_truths():
    people = pd.DataFrame({"customer_id": [1], "profile": ["family"], "purchase_rate": [0.2]})
    with pytest.raises(ValueError, match="purchase_rate"):
        true_offer_response(people.drop(columns="purchase_rate"), _hand_truth(), category="kids", channel="app")
    with pytest.raises(TypeError, match="`truth` must be a dict"):
        true_offer_response(people, [], category="kids", channel="app")
    with pytest.raises(ValueError, match="no 'contacts' section"):
        true_offer_response(people, {"config": {}}, category="kids", channel="app")
    with pytest.raises(ValueError, match="column 'profile'"):
        true_offer_response(people.assign(profile="student"), _hand_truth(), category="kids", channel="app")


def test_random_offers_buy_at_the_true_rate_per_channel(small_world):
    """Sum of purchases vs the sum of the true probabilities (true_offer_response), per channel: within 4 SE."""
    offers = _random_offers(small_world)
    offers = offers.assign(p=_true_p(small_world, offers))
    for channel, g in offers.groupby("channel"):
        y = g["purchased_category_30d"].astype(float)
        se = np.sqrt((g["p"] * (1 - g["p"])).sum())
        assert abs(y.sum() - g["p"].sum()) < Z * se, channel


# --- the default world ----------------------------------------------------------------------------

def test_default_world_random_offers_agree_with_the_truth(default_world):
    """Per channel: the response rate of the random offers is within 4 SE of the mean true probability,
    which equals the truth file's mean_p_purchase_random; the table stays within its size budget."""
    w = default_world
    offers = _random_offers(w)
    offers = offers.assign(p=_true_p(w, offers))
    means = w.truth["contacts"]["mean_p_purchase_random"]
    for channel, g in offers.groupby("channel"):
        assert g["p"].mean() == pytest.approx(means[channel], abs=1e-6)
        se = np.sqrt((g["p"] * (1 - g["p"])).sum()) / len(g)
        assert abs(g["purchased_category_30d"].mean() - g["p"].mean()) < Z * se, channel
    assert w.truth["contacts"]["random_offers"] == len(offers) > 4_000


def test_default_world_fatigue_is_recovered_by_a_logistic_regression(default_world):
    """On the random offers, a logistic regression with the true model's terms (the profile's category lift,
    channel x profile, log purchase rate, recent contacts counted from the table) holds the true fatigue
    and category slopes in its 95% intervals."""
    import statsmodels.api as sm

    w = default_world
    offers = _random_offers(w)
    r = w.truth["contacts"]["response"]
    centre = r["category_centre"]
    lift = {p: {c: v - centre[c] for c, v in zip(CATEGORIES, w.truth["profiles"][p]["categories"])} for p in PROFILES}
    x = pd.get_dummies(offers["profile"] + ":" + offers["channel"], dtype=float)
    x = x.drop(columns="family:email")
    x["category_weight"] = [lift[p][c] for p, c in zip(offers["profile"], offers["category"])]
    x["log_purchase_rate"] = np.log(offers["purchase_rate"]) - np.log(w.truth["config"]["purchase_r"]
                                                                         / w.truth["config"]["purchase_alpha"])
    x["recent"] = offers["recent"].astype(float)
    fit = sm.Logit(offers["purchased_category_30d"].astype(float).to_numpy(), sm.add_constant(x)).fit(disp=0)
    ci = fit.conf_int(0.05)
    for name, true in (("recent", r["fatigue_per_contact"]), ("category_weight", r["category_weight"]),
                       ("log_purchase_rate", r["log_purchase_rate"])):
        assert ci.loc[name, 0] <= true <= ci.loc[name, 1], (name, fit.params[name], ci.loc[name].tolist(), true)
    assert ci.loc["recent", 1] < 0  # fatigue is detected, not only covered
    assert offers["recent"].nunique() >= 3  # enough spread in recent contacts to estimate it


def test_default_world_offers_can_be_personalised(default_world):
    """The signal is there to learn: per customer, the true probability differs between categories by a few
    to about twenty points, and offering each customer their best category beats the best single category."""
    w = default_world
    tc = w.truth_customers[w.truth_customers["buyer"]]
    p = pd.concat({cat: true_offer_response(tc, w.truth, category=cat, channel="email") for cat in CATEGORIES}, axis=1)
    spread = p.max(axis=1) - p.min(axis=1)
    assert 0.03 < spread.median() < 0.30
    assert p.max(axis=1).mean() - p.mean().max() > 0.02


# --- reading and the warehouse -----------------------------------------------------------------

def test_the_warehouse_has_the_contacts(small_world, small_world_dir):
    con = warehouse(small_world_dir)
    n, cost = con.sql("SELECT COUNT(*), SUM(cost) FROM contacts").fetchall()[0]
    assert n == len(small_world.contacts)
    assert cost == pytest.approx(small_world.contacts["cost"].sum())
    summary = small_world.summary()
    assert f"contacts.csv {len(small_world.contacts):>10,} rows".split() == [
        line for line in summary.splitlines() if "contacts.csv" in line][0].split()
    assert f"contact plan: {len(small_world.contacts):,} contacts" in summary


@pytest.mark.parametrize(("column", "value", "match"), [
    ("phase", "birthday", r"contacts\.csv: column 'phase' has 1 value\(s\) outside"),
    ("category", "toys", r"contacts\.csv: column 'category' has 1 value\(s\) outside"),
    ("channel", "fax", r"contacts\.csv: column 'channel' has 1 value\(s\) outside"),
    ("cost", "-1", r"contacts\.csv: column 'cost' has 1 negative value"),
    ("opened", "maybe", r"contacts\.csv: column 'opened' has 1 value\(s\) that are not true/false"),
    ("customer_id", "999999", r"contacts\.csv: column 'customer_id' has 1 value"),
])
def test_a_broken_contacts_file_is_refused_naming_the_column(column, value, match, small_world_dir, tmp_path):
    raw = pd.read_csv(small_world_dir / "contacts.csv", dtype=str, keep_default_na=False)
    raw.loc[3, column] = value
    path = tmp_path / "contacts.csv"
    raw.to_csv(path, index=False)
    customers = read_table(small_world_dir / "customers.csv", "customers")
    with pytest.raises(DataError, match=match):
        read_table(path, "contacts", customers=customers)


def test_a_data_set_written_before_the_contact_plan_still_loads(small_world_dir, tmp_path):
    import json
    import shutil

    from fidelia_kit import load_world

    old = tmp_path / "old"
    shutil.copytree(small_world_dir, old, ignore=shutil.ignore_patterns("contacts.csv", ".fidelia-cache"))
    truth = json.loads((old / "truth.json").read_text())
    del truth["contacts"], truth["config"]["contact_random_share"]
    (old / "truth.json").write_text(json.dumps(truth))
    w = load_world(old)
    assert "contacts" not in w.tables
    assert "contact plan" not in w.summary() and "contacts.csv" not in w.summary()


def test_flags_are_read_in_any_spelling_and_empty_stays_empty(small_world):
    """Each distinct cell of a flag column is read once; the result is the same as reading cell by cell."""
    from fidelia_kit import validate_table

    raw = small_world.contacts.head(6).astype(object).copy()
    raw["purchased_category_30d"] = None
    raw["opened"] = ["yes", "0", True, None, np.nan, " FALSE "]
    raw["clicked"] = [1, 0, 1.0, "", "t", "f"]
    typed = validate_table(raw, "contacts", source="crm.csv")
    assert typed["opened"].tolist() == [True, False, True, pd.NA, pd.NA, False]
    assert typed["clicked"].tolist() == [True, False, True, pd.NA, True, False]
    raw["redeemed"] = [pd.NA, None, "no", pd.NA, "yes", False]  # a nullable flag's missing cells are empty
    assert validate_table(raw, "contacts")["redeemed"].tolist() == [pd.NA, pd.NA, False, pd.NA, True, False]
    raw["redeemed"] = ["maybe", "true", "maybe", None, "no", "no"]
    with pytest.raises(DataError, match=r"crm\.csv: column 'redeemed' has 2 value\(s\) that are not true/false"):
        validate_table(raw, "contacts", source="crm.csv")
