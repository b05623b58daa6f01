"""Every notebook runs top to bottom on worlds other than the default one (another start date and length,
another size and seed), derives its dates from that world's window, and what it records agrees with that
world's truth; dates that do not fit the world are refused with a message naming the parameter."""
from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from fidelia_kit import generate_world
from fidelia_kit.retention import compare_arms
from fidelia_kit.runner import run_notebooks
from fidelia_kit.segmentation import pareto_curve, rfm_table

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Two worlds unlike the default (2024-01-01, 2 years, 10,000 customers, seed 2026), small enough to run fast.
# "dates" are the hand-worked derived parameters (see tests/test_notebook_parameters.py).
WORLDS = {
    "2019-03-01_3y_1500_seed5": {
        "knobs": {"start_date": "2019-03-01", "n_years": 3, "n_customers": 1_500, "seed": 5},
        "churn": "train at 2021-03-01, test at 2021-09-01, churn = no purchase in 180 days",
    },
    "2021-07-01_1y_3000_seed9": {
        "knobs": {"start_date": "2021-07-01", "n_years": 1, "n_customers": 3_000, "seed": 9},
        "churn": "train at 2021-12-01, test at 2022-04-01, churn = no purchase in 91 days",
    },
}


@pytest.fixture(scope="module", params=list(WORLDS), ids=list(WORLDS))
def ran(request, tmp_path_factory):
    spec = WORLDS[request.param]
    folder = tmp_path_factory.mktemp("anyworld")
    world = generate_world(**spec["knobs"])
    world.save(folder / "data")
    runs = run_notebooks(NOTEBOOKS, parameters={"data_dir": str(folder / "data")}, out_dir=folder / "out", jobs=2,
                         progress=False)
    return spec, world, folder / "data", {r.notebook.split("_")[0]: r for r in runs}


def _stdout_of(path, marker):
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and marker in c.source)
    # what the reader sees: printed text and the sentences a cell displays as markdown
    return "".join(o.get("text", "") if o.get("output_type") == "stream" else o.get("data", {}).get("text/markdown", "")
                   for o in cell.outputs)


def test_every_notebook_runs(ran):
    _, _, _, runs = ran
    assert len(runs) == len(NOTEBOOKS)
    failed = {k: r.error for k, r in runs.items() if r.status != "ok"}
    assert not failed, failed


def test_database_and_survey_against_the_truth(ran):
    _, world, _, runs = ran
    d = runs["00"].results
    assert d["n_customers"] == len(world.customers) and d["n_receipts"] == len(world.transactions)
    assert d["share_never_bought"] == pytest.approx(world.truth["counts"]["prospects"] / len(world.customers))
    # the launch campaign (the window's first 8 weeks) is found from the registrations, whatever the start
    start = pd.Timestamp(world.truth["window"]["start"])
    assert d["launch_months"][0] == str(start.to_period("M"))
    assert pd.Period(d["launch_months"][-1]) <= (start + pd.Timedelta(days=55)).to_period("M")
    s = runs["01"].results
    truth = world.truth["survey"]
    assert s["nps_truth"] == pytest.approx(truth["nps_population"])
    # the respondents' NPS is the truth's, less the few who left the question blank (3% at random): 3 points
    assert abs(s["nps_raw"] - truth["nps_respondents"]) < 3
    assert s["nps_raw"] > s["nps_truth"]                    # non-response bias: the satisfied answer more
    assert s["driver_ranking"][0] == "staff"                # the heaviest true driver (0.40 against 0.28 next)
    low, high = s["nps_raw_ci"]                              # the verdict is the interval's, written from the numbers
    assert s["nps_raw_vs_truth"] == ("covered" if low <= s["nps_truth"] <= high else "missed_above")
    assert sum(s["driver_shares"].values()) == pytest.approx(1.0)
    assert s["recommend_effect"] == "positive"             # the truth draws the 0-10 answer from satisfaction
    # who answers is shown from the data: the oldest band answers more than the youngest on every world
    assert s["response_gap_age"] == "positive" and s["response_gap_true_answer"] in {"positive", "inconclusive"}
    # the sales trend compares the same calendar days a year apart; a one-year world has none and says so
    n_years = int(world.truth["window"]["n_days"] // 365)
    assert (d["trend_days"] > 300) if n_years >= 2 else (d["trend_days"] == 0 and "sales_year_over_year" not in d)


def test_survey_notebook_refuses_a_midpoint_cross_hair_on_derived_importance(tmp_path):
    # the IPA matrix used to switch silently from derived to stated importance when ipa_cut was "midpoint"
    data = tmp_path / "data"
    generate_world(**{**WORLDS["2021-07-01_1y_3000_seed9"]["knobs"], "n_customers": 500}).save(data)
    path = next(p for p in NOTEBOOKS if p.name.startswith("01"))
    run, = run_notebooks([path], parameters={"data_dir": str(data), "ipa_cut": "midpoint"}, out_dir=tmp_path / "out",
                         progress=False)
    assert run.status == "failed" and "ValueError" in run.error
    assert "parameter `ipa_cut`: 'midpoint' puts the cross-hair at the middle of the 1-5 scale" in run.error
    run, = run_notebooks([path], parameters={"data_dir": str(data), "ipa_cut": "midpoint", "ipa_importance": "stated"},
                         out_dir=tmp_path / "out2", progress=False)
    assert run.status == "ok", run.error
    assert run.results["ipa_importance"] == "stated"


def test_segmentation_against_the_world(ran):
    _, world, _, runs = ran
    r = runs["02"].results
    assert r["ladder_total"] == r["market_size"] == world.truth["market_size"]
    assert sum(r["tier_counts"].values()) == world.transactions["customer_id"].nunique()
    assert r["gini_revenue"] == pytest.approx(pareto_curve(rfm_table(world.transactions)["monetary_total"]).gini)
    c = runs["03"].results
    assert 2 <= c["k"] <= 8 and c["ari"] > 0.3              # the hidden profiles are found, if not perfectly
    assert min(c["phase_counts"].values()) > 0              # every phase of the contact plan is reached, per customer
    assert r["answers_before"] <= r["answers_between"] and r["new_advocates_by_answer"] <= r["new_advocates"]
    assert r["transitions_total"] == r["market_size"]        # the transition table adds up to the market
    # the learned weights of R, F, M, T add up to 1 and explain the later spend at least as well as equal weights
    assert sum(r["rfmt_weights_learned"].values()) == pytest.approx(1.0)
    assert r["weights_r2"][0] >= r["weights_r2"][1] and -1 <= r["ranking_spearman"] <= 1
    assert 0 <= r["ranking_top_overlap"] <= 1


def test_clv_against_the_truth(ran):
    _, world, _, runs = ran
    r = runs["04"].results
    assert r["spearman_clv"] > r["spearman_history"] and r["spearman_clv"] > 0.5
    assert r["holdout_group_mae"] < 0.5 and r["holdout_group_mae"] <= r["holdout_customer_mae"]
    p, t = r["bgnbd_params"], world.truth["purchase_process"]
    # the mean dropout probability a / (a + b) within 0.05; the mean purchase rate r / alpha (per day with the
    # daily default; the truth's alpha is per week) within 15% (the weekly summary biased it low, by up to 30%)
    assert abs(p["a"] / (p["a"] + p["b"]) - t["a"] / (t["a"] + t["b"])) < 0.05
    assert p["r"] / p["alpha"] * 7 == pytest.approx(t["r"] / t["alpha"], rel=0.15)
    m = runs["05"].results
    truth = world.truth["memberships"]
    assert abs(m["retention_year1"] - truth["beta"] / (truth["alpha"] + truth["beta"])) < 0.08
    assert m["value_new_member"] > 0 and m["value_of_one_point"] > 0
    assert m["km_sbg_max_gap"] < 0.1 and 0 < m["cohort_share_by_age"]["1"] < 1


def test_experiment_against_the_truth(ran):
    _, world, _, runs = ran
    r = runs["06"].results
    e = world.retention_experiment
    arms = compare_arms(e, outcome_col="active_90d").lift
    for arm in ("email_discount", "personal_call"):
        assert r[f"lift_{arm}"] == pytest.approx(arms.loc[arm, "estimate"])
        true_effect = world.truth["experiment"]["average_effect_in_arm"][arm]
        assert r[f"truth_{arm}"] == pytest.approx(true_effect)
        assert arms.loc[arm, "ci_low"] <= true_effect <= arms.loc[arm, "ci_high"]  # the 95% interval covers it
        assert r[f"truth_verdict_{arm}"] == "covered"                      # and the notebook says so
    call_cost = e.loc[e["arm"] == "personal_call", "cost"].mean()         # the call cost comes from the data
    t = e[e["arm"].isin(["control", "personal_call"])].merge(world.truth_customers, on="customer_id")
    # one extra customer is valued from the world's own data (a positive figure of margin), not a constant
    assert 0 < r["value_per_extra"] < 1_000 and 0 < r["value_per_kept"] < 1_000
    tau = t["effect_personal_call"]
    everyone = (tau * r["margin_per_active"] + tau.clip(upper=0) * r["value_per_kept"] - call_cost).sum()
    assert r["policy_profit_truth"]["call everyone"] == pytest.approx(everyone)
    assert r["planning_base_rate"] == pytest.approx(world.truth["experiment"]["mean_p_active_90d"], abs=0.1)
    # the two readings of the return come from the same components, and the long run's extra value is held against
    # the customers the truth says were kept (a campaign purchase here does not keep a customer)
    for arm in ("email_discount", "personal_call"):
        assert r["campaign_truth"][arm]["true_extra_kept"] <= 0
        assert r["campaign_truth"][arm]["roi_long_run_truth_kept"] <= r["roi"][arm] + 1e-9
    # the follow-up window (days 90-179 after assignment) is read only where the data reach its end: on the one-year
    # world the experiment starts 91 days before the data end, and the notebook says so instead of reading nothing
    end = pd.Timestamp(world.truth["window"]["end"]) + pd.Timedelta(days=1)
    fits = e["assigned_date"].min() + pd.Timedelta(days=180) <= end
    assert set(r["follow_up_verdict"]) == ({"email_discount", "personal_call"} if fits else set())


def test_churn_uses_the_worlds_dates(ran):
    spec, world, _, runs = ran
    c = runs["07"].results
    assert c["auc_model"] > 0.7 and c["top_decile_lift"] > 1
    assert spec["churn"] in _stdout_of(runs["07"].output, "churn_dates(")
    # the customers to reactivate (still there and about to lapse, by CLV) are, in this world's truth, alive on the
    # test date and then lapsing more often than all customers, the highest risks or risk x past spend
    share = c["winnable_share_by_list"]
    truth = world.truth_customers.set_index("customer_id")
    test_as_of = pd.Timestamp(spec["churn"].split("test at ")[1][:10])
    alive = truth["alive_end"].astype("boolean").fillna(False).astype(bool) | (truth["dropout_date"] >= test_as_of)
    assert c["alive_at_test_by_list"]["all test customers"] == pytest.approx(alive.reindex(
        world.transactions.loc[world.transactions["date"] < test_as_of, "customer_id"].unique()).mean(), rel=1e-12)
    assert share["chosen"] > share["all test customers"] + 0.1, share
    assert share["chosen"] > max(share["highest risk"], share["risk x past spend"]) + 0.3, share
    assert c["winnable_value_by_list"]["chosen"] > c["winnable_value_by_list"]["highest risk"]
    assert c["auc_optimism_small"] > 0                 # in-sample evaluation flatters a model fitted on few customers
    assert 0 <= c["test_share_treated"] < 1
    # the pitfall about a campaign in the test window says whether there was one (it used to blame the campaign
    # for 0.0% of the labels)
    nb = nbformat.read(runs["07"].output, as_version=4)
    shown = "".join(o.get("data", {}).get("text/markdown", "") for cell in nb.cells for o in cell.get("outputs", []))
    assert ("No test customer was contacted" in shown) == (c["test_share_treated"] == 0)
    # the chosen list against risk x p_alive x CLV is worded from this world's numbers, the money as an upper bound
    d = c["chosen_vs_product"]
    money = "more" if d["winnable_value"] > 0 else "less" if d["winnable_value"] < 0 else "as much"
    assert f"and {money} upper-bound margin per contact" in shown and "These are upper bounds" in shown
    x = runs["08"].results
    assert x["top_lift"] > 1
    assert x["front_line_effect"] in {"positive", "negative", "inconclusive"}
    assert x["days_odds_ratio"] > 1 and x["complaints_unknown_outcome"] > 0
    # the tolerance: an interval around the estimate, its verdict against this world's truth read from it
    true_tol = world.truth["complaints"]["tolerance_days"]
    low, high = x["tolerance_ci"]
    assert low <= x["tolerance"] <= high
    low_day, high_day = x["tolerance_ci_days"]           # the verdict reads the interval in whole days
    assert low_day <= low and high <= high_day
    assert x["tolerance_truth_outcome"] == ("covered" if low_day <= true_tol <= high_day else
                                            "missed_above" if low_day > true_tol else "missed_below")
    assert 0 <= x["leaving_at_threshold"] <= 1 and 0 <= x["late_complaint_share"] <= 1


def test_interact_notebook_on_any_world(ran):
    _, world, _, runs = ran
    x = runs["09"].results
    truth = world.truth["contacts"]
    assert x["n_contacts"] == len(world.contacts) and x["fatigue_truth"] == truth["response"]["fatigue_per_contact"]
    low, high = x["fatigue_ci"]
    assert x["fatigue_vs_truth"] == ("covered" if low <= x["fatigue_truth"] <= high else
                                     "missed_above" if low > x["fatigue_truth"] else "missed_below")
    assert x["margin_rates"] == pytest.approx(world.truth["category_margin"], abs=1e-3)
    profit = x["plan_true_profit"]
    assert all(v <= profit["best possible"] + 1e-9 for v in profit.values())
    assert x["nbo_beats_uniform"] == (profit["next-best offer (model)"] > profit["one size fits all"])
    # personalizing "pays" only when both intervals of the difference lie above zero
    for key in ("nbo_minus_uniform_ci", "nbo_minus_uniform_refit_ci"):
        assert x[key][0] <= x[key][1]
    both_above = x["nbo_minus_uniform_ci"][0] > 0 and x["nbo_minus_uniform_refit_ci"][0] > 0
    assert (x["personalizing"] == "pays") == both_above
    assert x["nbo_flattered_by_own_predictions"] == (x["nbo_profit_predicted"] > profit["next-best offer (model)"])
    # every buyer gets a phase of the plan
    assert sum(x["phase_counts"].values()) == world.transactions["customer_id"].nunique()


@pytest.mark.parametrize("notebook, parameters, message", [
    ("07", {"test_as_of": "2022-05-01", "horizon_days": 180},
     "parameters `test_as_of` (2022-05-01) and `horizon_days` (180): the horizon runs past the data's last day (2022-06-30)"),
    ("07", {"train_as_of": "2022-02-01"},
     "need train_as_of + horizon_days <= test_as_of"),
    ("04", {"holdout_start": "2025-06-30"},
     "parameter `holdout_start` must be between 2021-07-29 and 2022-06-03"),
    ("02", {"ladder_mid": "2025-01-01"}, "parameter `ladder_mid` must be between 2021-07-02 and 2022-06-29"),
    ("06", {"decide_on": "forever"}, "parameter `decide_on` must be one of ['short_run', 'long_run']; got 'forever'"),
    ("06", {"value_horizon_days": 90}, "parameter `value_horizon_days` must be in [120, 3650]; got 90"),
])
def test_dates_that_do_not_fit_the_world_are_refused(tmp_path, notebook, parameters, message):
    data = tmp_path / "data"
    generate_world(**{**WORLDS["2021-07-01_1y_3000_seed9"]["knobs"], "n_customers": 500}).save(data)
    path = next(p for p in NOTEBOOKS if p.name.startswith(notebook))
    run, = run_notebooks([path], parameters={"data_dir": str(data), **parameters}, out_dir=tmp_path / "out",
                         progress=False)
    assert run.status == "failed" and "ValueError" in run.error
    assert message in run.error


def test_membership_notebook_on_a_five_year_world_with_one_observed_cohort(tmp_path):
    # 2012-06-15 + 5 years: memberships start in 2016 (the knob's default), so only the 2016 members are
    # observed for a full year by 2017-06-14; the notebook says there is nothing to compare instead of failing
    data = tmp_path / "data"
    world = generate_world(start_date="2012-06-15", n_years=5, n_customers=800, seed=21)
    world.save(data)
    path = next(p for p in NOTEBOOKS if p.name.startswith("05"))
    run, = run_notebooks([path], parameters={"data_dir": str(data)}, out_dir=tmp_path / "out", progress=False)
    assert run.status == "ok", run.error
    assert "joined in the same year: there are no older and newer cohorts to compare" in _stdout_of(run.output, "logrank(")
    truth = world.truth["memberships"]
    # about 25 members, observed up to a year: a wide tolerance
    assert abs(run.results["retention_year1"] - truth["beta"] / (truth["alpha"] + truth["beta"])) < 0.25


def test_every_notebook_runs_on_the_smallest_world_from_a_29_february(tmp_path):
    # 500 customers (the documented minimum), one year from 2028-02-29: too small to hold the estimates to
    # the truth, but every notebook must run and keep its bookkeeping
    data = tmp_path / "data"
    world = generate_world(start_date="2028-02-29", n_years=1, n_customers=500, seed=3)
    world.save(data)
    assert world.truth["window"] == {"start": "2028-02-29", "end": "2029-02-28", "n_days": 366}
    runs = {r.notebook.split("_")[0]: r for r in run_notebooks(NOTEBOOKS, parameters={"data_dir": str(data)},
                                                               out_dir=tmp_path / "out", jobs=2, progress=False)}
    failed = {k: r.error for k, r in runs.items() if r.status != "ok"}
    assert not failed, failed
    assert runs["00"].results["n_customers"] == 500
    for key in ("00", "01"):   # 01's weighting names the age band x region cells nobody answered in a sentence, not on stderr
        nb = nbformat.read(runs[key].output, as_version=4)
        assert not [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert runs["02"].results["ladder_total"] == world.truth["market_size"]
    # hand-worked in tests/test_notebook_parameters.py
    assert "train at 2028-08-01, test at 2028-11-01, churn = no purchase in 91 days" in \
        _stdout_of(runs["07"].output, "churn_dates(")


def test_programme_notebook_on_any_world(ran):
    """Notebook 10 derives its breakage window from the world's length and reads its verdicts from its numbers."""
    _, world, _, runs = ran
    x = runs["10"].results
    eff = world.truth["card_tiers"]["effect"]
    true_jump = {"silver": eff["silver"], "gold": (1 + eff["gold"]) / (1 + eff["silver"]) - 1}
    for name, (low, high) in x["rd_ci"].items():
        assert low < x["rd_estimates"][name] < high
        assert x["rd_truth_outcomes"][name] == ("covered" if low <= true_jump[name] <= high else
                                                 "above" if low > true_jump[name] else "below")
    assert 0 <= x["breakage"] <= 1 and 0 <= x["true_breakage"] <= 1
    assert x["points_earned"] == int(world.transactions["points_earned"].sum())
    nb = nbformat.read(runs["10"].output, as_version=4)
    shown = "".join(o.get("data", {}).get("text/markdown", "") for cell in nb.cells for o in cell.get("outputs", []))
    lapsed = min(365, world.truth["window"]["n_days"] // 3)
    assert f"A customer counts as lapsed after {lapsed} days without a purchase." in shown
    # share of wallet: the answers' expected mean error for the customers compared (this world's knobs), and the
    # verdict read from the interval and it
    from fidelia_kit.survey import share_of_wallet_check
    from fidelia_kit.synth import true_wallet_report_error

    report = world.truth["survey"]["share_of_wallet_report"]
    sow = share_of_wallet_check(world.survey_waves, world.truth_customers)
    true_gap = true_wallet_report_error(sow.customers["true"], bias=report["bias"], sd=report["sd"]).mean()
    assert x["sow_true_mean_difference"] == pytest.approx(true_gap, rel=1e-12)
    low, high = x["sow_mean_difference_ci"]
    assert x["sow_truth_outcome"] == ("covered" if low <= true_gap <= high else
                                      "missed_above" if low > true_gap else "missed_below")
