"""The notebooks run top to bottom under papermill on a small world, and what they record
matches the world's truth or the kit's own functions; the runner reports what happened."""
from __future__ import annotations

import ast
import json
import subprocess
import sys

import nbformat
import numpy as np
import pandas as pd
import pytest
from scipy import special, stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score

from fidelia_kit import generate_world, load_world
from fidelia_kit.clv import customer_value, membership_durations
from fidelia_kit.retention import (
    campaign_roi,
    compare_arms,
    fit_uplift,
    qini_curve,
    referral_programme,
    service_recovery,
    targeting_policy,
)
from fidelia_kit.runner import check_parameters, notebook_parameters, read_results, record, run_notebooks
from fidelia_kit.schema import REVERSE_ITEMS, SURVEY_ITEMS
from fidelia_kit.segmentation import (
    behaviour_features,
    category_affinity,
    cluster_customers,
    contact_plan,
    customer_profit,
    pareto_curve,
    rfm_table,
)
from fidelia_kit.survey import cronbach_alpha, nps, reverse_code

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_all_nine_notebooks_exist():
    names = [p.stem for p in NOTEBOOKS]
    assert names == ["00_customer_database", "01_satisfaction_survey", "02_value_segmentation",
                     "03_behavioural_clustering", "04_customer_lifetime_value", "05_contractual_retention",
                     "06_retention_experiment", "07_churn_early_warning", "08_cross_sell_referrals_recovery"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_is_clean_and_parameterized(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for c in code:
        assert c.get("outputs", []) == [] and c.get("execution_count") is None, "committed with outputs"
    for line in code[0].source.splitlines()[1:]:
        if line.strip():
            assert "#" in line and "=" in line, f"parameter without a comment: {line!r}"
    params = notebook_parameters(path)
    assert "data_dir" in params
    assert "fk.record(" in "".join(c.source for c in code)
    assert "check_parameters(" in code[1].source or "load_world" in code[1].source


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nbworld")
    world = generate_world(n_customers=2_000, seed=11)
    world.save(folder / "data")
    out = folder / "out"
    runs = run_notebooks(NOTEBOOKS, parameters={"data_dir": str(folder / "data")}, out_dir=out, jobs=2, progress=False)
    return world, {r.notebook.split("_")[0]: r for r in runs}, out


def test_every_notebook_runs_and_the_report_is_written(executed):
    world, runs, out = executed
    failed = {k: r.error for k, r in runs.items() if r.status != "ok"}
    assert not failed, failed
    report = json.loads((out / "results.json").read_text())
    assert [n["notebook"] for n in report["notebooks"]] == [p.name for p in NOTEBOOKS]
    assert report["run"]["parameters"]["data_dir"].endswith("data")
    page = (out / "index.html").read_text()
    for p in NOTEBOOKS:
        assert (out / p.with_suffix(".html").name).is_file()
        assert p.with_suffix(".html").name in page
    assert read_results(out / NOTEBOOKS[0].name) == runs["00"].results


def test_database_notebook_counts_what_is_there(executed):
    world, runs, _ = executed
    r = runs["00"].results
    assert r["n_customers"] == len(world.customers) and r["n_transactions"] == len(world.transactions)
    assert r["total_revenue"] == pytest.approx(world.transactions["amount"].sum(), abs=0.01)
    assert r["share_never_bought"] == pytest.approx(world.truth["counts"]["prospects"] / len(world.customers))
    assert r["receipts_not_adding_up"] == 0 and r["purchases_before_registration"] == 0


def test_survey_notebook_matches_the_module_and_the_truth(executed):
    world, runs, _ = executed
    r = runs["01"].results
    s = world.survey_responses
    items = [i for g in SURVEY_ITEMS.values() for i in g]
    rev = reverse_code(s[items], list(REVERSE_ITEMS))
    assert r["alpha_staff"] == pytest.approx(cronbach_alpha(rev[list(SURVEY_ITEMS["staff"])]).alpha)
    assert r["nps_raw"] == pytest.approx(nps(s["recommend"]).nps)
    assert r["nps_truth"] == pytest.approx(world.truth["survey"]["nps_population"])
    assert r["nps_raw"] > r["nps_truth"]                  # the non-response bias is there
    assert r["driver_ranking"][0] == "staff"              # the truth's heaviest driver (0.40)


def test_segmentation_notebooks(executed):
    world, runs, _ = executed
    r = runs["02"].results
    assert r["ladder_total"] == r["market_size"] == world.truth["market_size"]
    assert sum(r["tier_counts"].values()) == world.transactions["customer_id"].nunique()
    assert r["gini_revenue"] == pytest.approx(pareto_curve(rfm_table(world.transactions)["monetary_total"]).gini)
    c = runs["03"].results
    assert 2 <= c["k"] <= 8 and c["ari"] > 0.4
    # the notebook's clustering, its ARI and its contact plan are the kit's on the same saved data
    saved = load_world(_data_dir(executed))
    p = _parameters(executed, "03")
    features = behaviour_features(saved.transactions, saved.transaction_items)
    profit = customer_profit(saved.transactions, saved.complaints)["profit"]
    result = cluster_customers(features, k=range(p["k_min"], p["k_max"] + 1), method=p["method"], rng=p["seed"],
                               value=profit)
    hidden = saved.truth_customers.set_index("customer_id")["profile"].reindex(features.index)
    assert c["k"] == result.k
    assert c["ari"] == pytest.approx(adjusted_rand_score(hidden, result.labels), rel=1e-12)
    assert c["phases"] == {str(k): v for k, v in contact_plan(result.profile)["phase"].items()}


def test_clv_notebooks_against_the_truth(executed):
    world, runs, _ = executed
    r = runs["04"].results
    q4 = _parameters(executed, "04")
    assert r["spearman_clv"] > r["spearman_history"] and r["spearman_clv"] > 0.5
    assert r["holdout_mae"] < 0.5
    # the default summary is daily: r and alpha cover the truth (the weekly default missed them: alpha 8.5,
    # CI 8.1-9.0 against 6.0, while the text said they recovered it); the verdict is written from the numbers
    assert q4["freq"] == "D"
    assert r["params_vs_truth"]["r"] == "covered" and r["params_vs_truth"]["alpha"] == "covered"
    # the CLV is the kit's one figure, over a horizon stated in days (a 52-period horizon with freq "D" was 52 days)
    saved = load_world(_data_dir(executed))
    value = customer_value(saved.transactions, horizon_days=q4["horizon_days"], discount_rate=q4["discount_rate"])
    assert r["total_clv"] == pytest.approx(value.total, rel=1e-9)
    # the independence check and the campaign in the holdout are reported with their numbers
    assert 0 <= r["independence_pvalue"] <= 1 and np.isfinite(r["holdout_gap_contacted"])
    m = runs["05"].results
    a, b = m["sbg_params"]["alpha"], m["sbg_params"]["beta"]
    assert m["retention_year1"] == pytest.approx(b / (a + b))
    truth = world.truth["memberships"]
    assert abs(m["retention_year1"] - truth["beta"] / (truth["alpha"] + truth["beta"])) < 0.08
    # the values follow from the recorded sBG fit by the textbook formulas, with the notebook's fee and rate
    q = _parameters(executed, "05")
    fee, d, gain = q["fee"], q["discount_rate"], q["retention_gain"]

    def derl(a, b):   # DERL of a new member (n = 1), Fader & Hardie (2010, eq. 6)
        return b / (a + b) * special.hyp2f1(1, b + 1, a + b + 1, 1 / (1 + d))

    assert m["value_new_member"] == pytest.approx(fee * derl(a, b), rel=1e-9)
    # more retention is valued with the sBG model (mean churn lower by `gain`, alpha + beta kept), not with the
    # constant-retention formula the notebook shows undervalues members
    k = a + b
    assert m["value_of_one_point"] == pytest.approx(fee * (derl(a - gain * k, b + gain * k) - derl(a, b)), rel=1e-6)
    r1 = b / (a + b)

    def constant(ret):  # m r / (1 + d - r) (Gupta & Lehmann 2003), valued as DERL is: times 1 + d
        return (1 + d) * fee * ret / (1 + d - ret)

    assert m["value_new_member_constant"] == pytest.approx(constant(r1), rel=1e-9)
    assert m["value_of_one_point_constant"] == pytest.approx(constant(r1 + gain) - constant(r1), rel=1e-9)
    assert m["value_new_member"] > m["value_new_member_constant"]     # heterogeneity: survivors are the loyal ones
    # the observed renewal rate of year 1 is on record, next to the model's
    members = membership_durations(saved.memberships, as_of=pd.Timestamp(saved.truth["window"]["end"]) + pd.Timedelta(days=1))
    first = ((members["duration"] > 1) | members["censored"]).mean()
    assert m["observed_retention_year1"] == pytest.approx(first, rel=1e-12)
    # the log-rank test is reported by its fields and a sentence written from its p-value (it was a bare dict)
    nb = nbformat.read(runs["05"].output, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "logrank(" in c.source)
    shown = "".join(o.get("text", "") + str(o.get("data", {}).get("text/markdown", "")) for o in cell.outputs)
    assert "pvalue" in shown and "{'chi2'" not in shown
    assert f"The log-rank test gives p = {m['logrank_pvalue']:.3g}" in shown


def test_experiment_churn_and_cross_sell_notebooks(executed):
    world, runs, _ = executed
    r = runs["06"].results
    saved = load_world(_data_dir(executed))
    e = saved.retention_experiment
    p = _parameters(executed, "06")
    arms = compare_arms(e, "arm", "active_90d")
    z = stats.norm.isf(0.025)
    for arm in ("email_discount", "personal_call"):
        # the recorded lift is compare_arms' on the same data, and the truth is the world's
        assert r[f"lift_{arm}"] == pytest.approx(arms.loc[arm, "lift"], rel=1e-12)
        assert r[f"truth_{arm}"] == world.truth["experiment"]["average_effect_in_arm"][arm]
        # about 150 customers per arm: SE ~ 0.055 against effects of 0.06-0.08, so the estimate can only be
        # held to the truth within 3 standard errors (from Newcombe's 95% interval, half-width / z)
        se = (arms.loc[arm, "lift_high"] - arms.loc[arm, "lift_low"]) / (2 * z)
        assert abs(r[f"lift_{arm}"] - r[f"truth_{arm}"]) < 3 * se, (arm, r[f"lift_{arm}"], r[f"truth_{arm}"], se)
    # (a small world's experiment is too small to learn the effects well: the module tests check
    # uplift and targeting on the default world; here the notebook's numbers are recomputed with the kit)
    features = ["days_since_last", "n_purchases_365d", "spend_365d", "spend_90d", "avg_basket", "online_share",
                "discount_share", "tenure_days"]
    part = e[e["arm"].isin(["control", "personal_call"])]
    treated = (part["arm"] == "personal_call").astype(int)
    model = fit_uplift(part[features], treated, part["active_90d"].astype(int),
                       estimator=LogisticRegression(max_iter=2000, C=0.5), rng=p["seed"])
    predicted = model.predict(e[features])
    effect = saved.truth_customers.set_index("customer_id").loc[e["customer_id"], "effect_personal_call"].to_numpy()
    assert r["uplift_truth_correlation"] == pytest.approx(stats.pearsonr(predicted, effect).statistic, rel=1e-9)
    qini = qini_curve(model.predict(part[features]), treated, part["active_90d"].astype(int))
    assert r["qini_auc"] == pytest.approx(qini.attrs["auc"], rel=1e-9)
    gain = effect * p["value_per_active"] - 6.0
    contact = targeting_policy(predicted, p["value_per_active"], 6.0).contact.to_numpy()
    assert r["policy_profit_truth"] == pytest.approx({"target by uplift": gain[contact].sum(), "call everyone": gain.sum(),
                                                      "call no one": 0.0}, rel=1e-9)
    roi = campaign_roi(e, "arm", "active_90d", "revenue_90d", "cost", margin=p["margin"])["roi"]
    assert r["roi"] == pytest.approx(roi.to_dict(), rel=1e-12)
    c = runs["07"].results
    assert c["auc_model"] > 0.7 and c["top_decile_lift"] > 1
    x = runs["08"].results
    assert x["top_lift"] > 1 and x["days_odds_ratio"] < 1  # slow resolution loses customers (strongest effect)
    # the recorded numbers are the kit's on the same saved data, with the notebook's parameters
    q = _parameters(executed, "08")
    aff = category_affinity(saved.transaction_items, min_support=q["min_support"])
    assert x["top_pair"] == [aff.loc[0, "antecedent"], aff.loc[0, "consequent"]]
    assert x["top_lift"] == pytest.approx(aff.loc[0, "lift"], rel=1e-12)
    ref = referral_programme(saved.customers, saved.transactions, reward=q["reward"], margin=q["margin"])
    assert x["referral_roi"] == pytest.approx(ref.attrs["roi"], rel=1e-12)
    fit = service_recovery(saved.complaints)
    assert x["days_odds_ratio"] == pytest.approx(np.exp(fit.params["days_to_resolve"]), rel=1e-9)
    assert x["front_line_odds_ratio"] == pytest.approx(np.exp(fit.params["resolved_front_line"]), rel=1e-9)


# --- the runner itself ---------------------------------------------------------------------------------

def _tiny_notebook(path, body):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    params = nbformat.v4.new_code_cell("x = 1  # a number")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import fidelia_kit as fk\nfk.record('double', x * 2)"),
                nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)
    return path


def test_failures_are_reported_and_do_not_stop_the_others(tmp_path):
    good = _tiny_notebook(tmp_path / "good.ipynb", "y = 3")
    bad = _tiny_notebook(tmp_path / "bad.ipynb", "raise ValueError('the data is odd')")
    runs = run_notebooks([bad, good], parameters={"x": 21}, out_dir=tmp_path / "out", jobs=2, progress=False)
    assert [r.status for r in runs] == ["failed", "ok"]
    assert runs[0].error == "cell [4]: ValueError: the data is odd"   # [4]: papermill adds a cell after the parameters
    assert runs[1].results == {"double": 42}
    assert "the data is odd" in (tmp_path / "out" / "index.html").read_text()


def test_unknown_parameters_are_an_error(tmp_path):
    nbp = _tiny_notebook(tmp_path / "n.ipynb", "pass")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['z'\]; the notebooks take \['x'\]"):
        run_notebooks([nbp], parameters={"z": 1}, out_dir=tmp_path / "out", progress=False)


def test_cli_run_exit_codes(tmp_path):
    good = _tiny_notebook(tmp_path / "good.ipynb", "pass")
    bad = _tiny_notebook(tmp_path / "bad.ipynb", "1 / 0")
    run = lambda *a: subprocess.run([sys.executable, "-m", "fidelia_kit", "run", *a, "--quiet", "--out", str(tmp_path / "o")],  # noqa: E731
                                    capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    ok = run(str(good), "-p", "x", "5")
    assert ok.returncode == 0 and "1 of 1 notebooks ran" in ok.stdout
    assert json.loads((tmp_path / "o" / "results.json").read_text())["notebooks"][0]["results"] == {"double": 10}
    failed = run(str(good), str(bad))
    assert failed.returncode == 1
    assert "FAILED bad.ipynb: cell [3]: ZeroDivisionError: division by zero" in failed.stderr  # no -p: no injected cell
    unknown = run(str(good), "-p", "nope", "1")
    assert unknown.returncode == 2 and unknown.stderr.strip().count("\n") == 0
    assert "unknown parameter(s) ['nope']" in unknown.stderr
    missing = run(str(tmp_path / "missing.ipynb"))
    assert missing.returncode == 2 and "no such notebook" in missing.stderr


def test_record_refuses_what_it_cannot_store():
    assert record("share", np.float64(0.25)) == 0.25
    assert record("by_arm", pd.Series({"a": np.int64(3)})) == {"a": 3}
    with pytest.raises(ValueError, match="must be an identifier"):
        record("two words", 1)
    with pytest.raises(TypeError, match="a object cannot be recorded"):
        record("thing", object())
    with pytest.raises(ValueError, match=r"parameter `k` must be in \[2, 9\]; got 12"):
        check_parameters(k=(12, 2, 9))
    with pytest.raises(ValueError, match=r"parameter `how` must be one of \['a', 'b'\]; got 'c'"):
        check_parameters(how=("c", ["a", "b"]))


def _data_dir(executed):
    """The folder the executed notebooks read (the run's `data_dir`, as results.json records it)."""
    return json.loads((executed[2] / "results.json").read_text())["run"]["parameters"]["data_dir"]


def _parameters(executed, number):
    """The parameters notebook `number` ran with: its declared defaults, overridden by those of the run
    (as results.json records them) that the notebook declares."""
    path = next(p for p in NOTEBOOKS if p.name.startswith(f"{number}_"))
    params = {name: ast.literal_eval(value) for name, value in notebook_parameters(path).items()}
    given = json.loads((executed[2] / "results.json").read_text())["run"]["parameters"]
    return {**params, **{k: v for k, v in given.items() if k in params}}
