"""fidelia_kit.retention survival, churn and recovery: hand-worked values, second implementations
(scipy, statsmodels, scikit-learn) and the world's truth."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from fidelia_kit import plots
from fidelia_kit._estimator import clone
from fidelia_kit.clv import customer_value
from fidelia_kit.exceptions import ConvergenceError, NotFittedError
from fidelia_kit.retention import (
    ChurnModel,
    CohortTable,
    ToleranceResult,
    churn_dataset,
    cohort_table,
    cox,
    evaluate_churn,
    handling_label,
    kaplan_meier,
    leaving_by_day,
    logrank,
    odds_ratio_sign,
    service_recovery,
    service_tolerance,
)
from fidelia_kit.retention.churn import (
    AUCOptimism,
    alive_on,
    auc_optimism,
    reactivation_check,
    reactivation_list,
    winnable_probability,
)

# --- Kaplan-Meier and the log-rank test -------------------------------------------------------------


def test_kaplan_meier_hand_worked_with_log_log_interval():
    d = [1, 2, 2, 3, 4, 5]
    e = [1, 1, 0, 1, 0, 1]
    km = kaplan_meier(d, e).set_index("time")
    s = {1: 5 / 6, 2: 5 / 6 * 4 / 5, 3: 5 / 6 * 4 / 5 * 2 / 3, 5: 0.0}
    for t, v in s.items():
        assert km.loc[t, "survival"] == pytest.approx(v)
    greenwood = 1 / (6 * 5) + 1 / (5 * 4)       # sum d / (n (n - d)) up to t = 2
    S = s[2]
    theta_se = np.sqrt(greenwood) / abs(np.log(S))
    z = stats.norm.isf(0.025)
    assert km.loc[2, "ci_low"] == pytest.approx(S ** np.exp(z * theta_se))
    assert km.loc[2, "ci_high"] == pytest.approx(S ** np.exp(-z * theta_se))


@pytest.mark.parametrize("durations, events, match", [
    ([-1, 2], [1, 1], r"`durations` must be >= 0; 1 are negative"),
    ([1, 2], [1, 2], r"`events` must be 0/1"),
    ([1, 2, 3], [1, 1], r"`durations` and `events` must have the same length; got 3 and 2"),
    ([1, np.nan], [1, 1], r"`durations` has missing values"),
])
def test_kaplan_meier_bad_input(durations, events, match):
    with pytest.raises(ValueError, match=match):
        kaplan_meier(durations, events)


def test_kaplan_meier_groups_by_position_still_work_with_a_deprecation_warning():
    new = kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1], groups=["a", "a", "b", "b"])
    with pytest.warns(DeprecationWarning, match=r"kaplan_meier: pass `groups` by name"):
        old = kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1], ["a", "a", "b", "b"])
    pd.testing.assert_frame_equal(old, new)


def test_kaplan_meier_without_events_is_flat_at_one_with_a_warning():
    with pytest.warns(UserWarning, match=r"no events \(every customer censored\); survival stays 1.0 through the "
                                         r"last follow-up time \(3\)"):
        km = kaplan_meier([1, 2, 3, 3], [0, 0, 0, 0])
    assert km["time"].tolist() == [0.0, 1.0, 2.0, 3.0]       # lifelines' timeline: 0 and each follow-up time
    assert km["at_risk"].tolist() == [4, 4, 3, 2]
    assert (km[["survival", "ci_low", "ci_high"]] == 1.0).all().all()
    with pytest.warns(UserWarning, match=r"no events in group 'a'"):
        km = kaplan_meier([1, 2, 3, 3], [0, 1, 0, 0], groups=["a", "b", "a", "b"])
    assert km.loc[km["group"] == "b", "survival"].tolist() == [0.5]
    assert km.loc[km["group"] == "a", "survival"].tolist() == [1.0, 1.0, 1.0]


def test_logrank_equals_scipy(rng):
    a = rng.exponential(10, 80)
    b = rng.exponential(14, 90)
    ca, cb = rng.random(80) < 0.8, rng.random(90) < 0.8
    ours = logrank(np.r_[a, b], np.r_[ca, cb], np.r_[np.zeros(80), np.ones(90)])
    ref = stats.logrank(stats.CensoredData(uncensored=a[ca], right=a[~ca]), stats.CensoredData(uncensored=b[cb], right=b[~cb]))
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-6)
    assert ours.statistic == pytest.approx(ref.statistic ** 2, rel=1e-6)   # scipy reports the signed z
    assert ours.dof == 1 and ours.method == "log-rank"
    # observed departures are counted; both groups' expected add up to them
    t = ours.table.set_index("group")
    assert t["observed"].tolist() == [int(ca.sum()), int(cb.sum())]
    assert t["expected"].sum() == pytest.approx(t["observed"].sum())


def test_logrank_observed_and_expected_hand_worked():
    # a leaves at 1, 2, 3; b at 4, 5 and is censored at 6. Expected for a = 3/6 + 2/5 + 1/4 + 0 + 0
    r = logrank([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], ["a", "a", "a", "b", "b", "b"])
    t = r.table.set_index("group")
    assert t.loc["a", "expected"] == pytest.approx(3 / 6 + 2 / 5 + 1 / 4)
    assert t.loc["b", "expected"] == pytest.approx(5 - (3 / 6 + 2 / 5 + 1 / 4))
    assert t.loc["a", "observed_over_expected"] == pytest.approx(3 / 1.15)
    frame = r.to_frame()
    assert (frame["pvalue"] == r.pvalue).all() and len(frame) == 2
    assert repr(r).startswith("LogrankResult(statistic=")
    with pytest.raises(ValueError, match="at least two groups"):
        logrank([1, 2], [1, 1], ["a", "a"])
    with pytest.warns(DeprecationWarning, match=r"logrank\(\)\['chi2'\] is deprecated.*use its field `.statistic`"):
        assert r["chi2"] == r.statistic          # the old Series' keys, for one release


# --- Cox regression -----------------------------------------------------------------------------------


def _cox_data(rng, n=300):
    x = rng.integers(0, 2, n).astype(float)
    w = rng.normal(size=n)
    t = rng.exponential(1 / (0.1 * np.exp(0.7 * x - 0.3 * w)))
    c = rng.uniform(0, 20, n)
    return pd.DataFrame({"months": np.ceil(np.minimum(t, c)), "left": (t <= c).astype(int), "x": x, "w": w})


def test_cox_equals_statsmodels_efron_and_breslow(rng):
    df = _cox_data(rng)
    for ties in ("efron", "breslow"):
        res = cox(df, duration_col="months", event_col="left", covariates=["x", "w"], ties=ties)
        ref = sm.PHReg.from_formula("months ~ x + w", df, status=df["left"], ties=ties).fit()
        t = res.to_frame().set_index("covariate")
        assert t["coef"].to_numpy() == pytest.approx(ref.params, rel=1e-8)
        assert t["estimate"].to_numpy() == pytest.approx(np.exp(ref.params), rel=1e-8)
        lo, hi = np.exp(ref.conf_int()).T       # statsmodels' own 95% Wald interval
        assert t["ci_low"].to_numpy() == pytest.approx(lo, rel=1e-8)
        assert t["ci_high"].to_numpy() == pytest.approx(hi, rel=1e-8)
        assert res.log_likelihood == pytest.approx(ref.llf)
    assert res.n == 300 and res.n_events == int(df["left"].sum())
    assert res.hazard_ratio("x") == pytest.approx(t.loc["x", "estimate"])
    assert not any(c.startswith("hr_") for c in res.to_frame().columns)


def test_cox_on_the_default_world_equals_statsmodels(default_world):
    m = default_world.memberships
    end = pd.Timestamp(default_world.truth["window"]["end"])
    df = pd.DataFrame({"years": (m["cancel_date"].fillna(end) - m["signup_date"]).dt.days / 365.25,
                       "left": m["cancelled"].astype(int), "recent_cohort": (m["cohort"] >= 2020).astype(float),
                       "linked": m["customer_id"].notna().astype(float)})
    ours = cox(df, duration_col="years", event_col="left", covariates=["recent_cohort", "linked"])
    ref = sm.PHReg.from_formula("years ~ recent_cohort + linked", df, status=df["left"], ties="efron").fit()
    assert ours.table["coef"].to_numpy() == pytest.approx(ref.params, rel=1e-8)


def test_cox_positional_columns_still_work_with_a_deprecation_warning(rng):
    df = _cox_data(rng, 120)
    new = cox(df, duration_col="months", event_col="left", covariates="x")
    with pytest.warns(DeprecationWarning, match=r"cox: pass `duration_col`, `event_col`, `covariates` by name"):
        old = cox(df, "months", "left", "x")
    pd.testing.assert_frame_equal(old.table, new.table)


@pytest.mark.parametrize("kwargs, match", [
    ({"covariates": ["z"]}, r"`df` has no column\(s\) \['z'\]"),
    ({"covariates": ["g"]}, r"covariate column\(s\) \['g'\] must be numeric"),
    ({"covariates": ["x"], "ties": "exact"}, r"`ties` must be one of \['breslow', 'efron'\]; got 'exact'"),
    ({"covariates": ["x"], "ci": 0.3}, r"`ci` must be in \[0.5, 0.9999\]; got 0.3"),
])
def test_cox_bad_input(rng, kwargs, match):
    df = _cox_data(rng, 50).assign(g="a")
    with pytest.raises(ValueError, match=match):
        cox(df, duration_col="months", event_col="left", **kwargs)


def _within_binomial_tolerance(hits, nominal=0.95):
    """Coverage within 3 binomial standard errors of the nominal level."""
    hits = np.asarray(hits)
    se = np.sqrt(nominal * (1 - nominal) / len(hits))
    return abs(hits.mean() - nominal) <= 3 * se, f"coverage {hits.mean():.3f} vs {nominal} (3 SE = {3 * se:.3f})"


def test_hazard_ratio_interval_covers_the_true_ratio():
    """ci_low/ci_high (Wald, Efron's ties): 400 samples of 120 customers, half with twice the hazard of
    leaving (exponential, base rate 0.1 a month), uniform censoring over 15 months, durations counted in
    whole months (many ties)."""
    rng = np.random.default_rng(20261003)
    n, reps, hr = 120, 400, 2.0
    x = rng.integers(0, 2, (reps, n))
    t = rng.exponential(1 / (0.1 * hr ** x))
    c = rng.uniform(0, 15, (reps, n))
    months, left = np.ceil(np.minimum(t, c)), (t <= c).astype(int)
    hits = []
    for i in range(reps):
        out = cox(pd.DataFrame({"months": months[i], "left": left[i], "x": x[i]}), duration_col="months",
                  event_col="left", covariates="x").table.iloc[0]
        hits.append(out["ci_low"] <= hr <= out["ci_high"])
    ok, message = _within_binomial_tolerance(hits)
    assert ok, message


# --- cohorts -----------------------------------------------------------------------------------------


def _cohort_tx():
    return pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 3], "amount": [10.0, 5, 7, 20, 1, 3],
                         "date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-03-01", "2024-01-10",
                                                 "2024-02-02", "2024-02-15"])})


def test_cohort_table_hand_worked():
    t = cohort_table(_cohort_tx(), period="M")
    assert isinstance(t, CohortTable) and t.period == "M" and t.value == "customers"
    jan, feb = pd.Period("2024-01", "M"), pd.Period("2024-02", "M")
    assert t.counts.loc[jan].tolist()[:3] == [2, 1, 1]
    assert t.counts.loc[feb, 0] == 1
    assert t.shares.loc[jan, 1] == pytest.approx(0.5)
    rev = cohort_table(_cohort_tx(), period="M", value="revenue")
    assert rev.counts.loc[jan, 0] == pytest.approx(35.0)        # 10 + 5 (customer 1) + 20 (customer 2)
    assert rev.shares.loc[jan, 1] == pytest.approx(1 / 35)      # customer 2's 1 EUR in February
    long = t.to_frame()
    assert list(long.columns) == ["cohort", "periods_since_first", "count", "share"]
    assert len(long) == 4 and long["count"].sum() == 5


def test_cohort_table_positional_options_still_work_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match=r"cohort_table: pass `period`, `value` by name"):
        old = cohort_table(_cohort_tx(), "M", "revenue")
    new = cohort_table(_cohort_tx(), period="M", value="revenue")
    pd.testing.assert_frame_equal(old.counts, new.counts)
    with pytest.warns(DeprecationWarning, match=r"cohort_table\(\)\['shares'\] is deprecated.*`.shares`"):
        pd.testing.assert_frame_equal(new["shares"], new.shares)    # the old dict's keys, for one release
    with pytest.raises(KeyError):
        new["triangle"]


# --- churn data set and model ------------------------------------------------------------------------


def _tiny_tx():
    return pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 1, 2],
        "date": pd.to_datetime(["2023-12-01", "2024-03-01", "2024-03-01", "2024-02-01", "2024-02-01", "2024-03-20",
                                "2024-04-10", "2024-05-15"]),
        "amount": [10.0, 30.0, 5.0, 5.0, 7.0, 8.0, 20.0, 1.0],
        "channel": ["store", "online", "app", "store", "store", "app", "store", "store"],
        "discount": [0.0, 2.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]})


def test_churn_dataset_hand_worked_in_the_kits_vocabulary():
    ds = churn_dataset(_tiny_tx(), as_of="2024-04-01", horizon_days=30)
    # customer 1: purchase days 2023-12-01 and 2024-03-01 (two receipts on the latter); buys again 2024-04-10
    one = ds.loc[1]
    assert one["n_purchases"] == 2 and one["n_purchases_90d"] == 1 and one["n_purchases_prev_90d"] == 1
    assert one["trend"] == 0
    assert one["monetary_total"] == pytest.approx(45.0) and one["monetary_90d"] == pytest.approx(35.0)
    assert one["avg_basket"] == pytest.approx(15.0)
    assert one["days_since_last"] == 31 and one["tenure_days"] == 122
    assert one["mean_gap_days"] == pytest.approx(91.0) and one["overdue"] == pytest.approx(31 / 91)
    assert one["digital_share"] == pytest.approx(2 / 3)        # online and app count, the store does not
    assert one["discount_share"] == pytest.approx(1 / 3)
    assert ds["churned"].to_dict() == {1: 0, 2: 1, 3: 1}
    assert ds.loc[3, "mean_gap_days"] == 12                    # one purchase day: its tenure
    retired = {"purchase_days", "purchases_90d", "purchases_prev_90d", "spend_total", "spend_90d", "online_share"}
    assert not retired & set(ds.columns) and ds.attrs == {}


def test_churn_dataset_counts_only_complaints_filed_before_as_of_and_ignores_row_order():
    complaints = pd.DataFrame({"customer_id": [1, 1, 3], "date": ["2024-03-31", "2024-04-01", "2024-01-05"]})
    ds = churn_dataset(_tiny_tx(), as_of="2024-04-01", horizon_days=30, complaints=complaints)
    assert ds["complaints"].to_dict() == {1: 1, 2: 0, 3: 1}     # 2024-04-01 is as_of itself: not yet seen
    shuffled = _tiny_tx().sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(churn_dataset(shuffled, as_of="2024-04-01", horizon_days=30),
                                  churn_dataset(_tiny_tx(), as_of="2024-04-01", horizon_days=30))


def test_churn_dataset_as_of_is_exclusive():
    tx = _tiny_tx()
    day = churn_dataset(tx, as_of="2024-03-20", horizon_days=22)       # to 2024-04-10, the last purchase
    after = churn_dataset(tx, as_of="2024-03-21", horizon_days=21)
    assert 3 not in day.index and 3 in after.index            # a purchase on as_of is not seen
    assert day.loc[1, "churned"] == 0


def test_churn_dataset_takes_the_callers_column_names():
    tx = _tiny_tx().rename(columns={"customer_id": "cid", "date": "day", "amount": "eur", "channel": "ch",
                                    "discount": "disc"})
    theirs = churn_dataset(tx, as_of="2024-04-01", horizon_days=30, customer_col="cid", date_col="day",
                           value_col="eur", channel_col="ch", discount_col="disc")
    ours = churn_dataset(_tiny_tx(), as_of="2024-04-01", horizon_days=30)
    np.testing.assert_array_equal(theirs.to_numpy(), ours.to_numpy())
    assert list(theirs.columns) == list(ours.columns)


def test_churn_dataset_old_names_and_positions_still_work_with_a_deprecation_warning():
    new = churn_dataset(_tiny_tx(), as_of="2024-04-01", horizon_days=30)
    with pytest.warns(DeprecationWarning, match=r"churn_dataset: `cutoff` is deprecated; use `as_of`"):
        old = churn_dataset(_tiny_tx(), cutoff="2024-04-01", horizon_days=30)
    pd.testing.assert_frame_equal(old, new)
    with pytest.warns(DeprecationWarning, match=r"churn_dataset: `horizon` is deprecated; use `horizon_days`"):
        old = churn_dataset(_tiny_tx(), as_of="2024-04-01", horizon=30)
    pd.testing.assert_frame_equal(old, new)
    with pytest.warns(DeprecationWarning, match=r"churn_dataset: pass `as_of`, `horizon_days` by name") as caught:
        old = churn_dataset(_tiny_tx(), "2024-04-01", 30)
    pd.testing.assert_frame_equal(old, new)
    assert caught[0].filename == __file__      # the warning names the caller's line (shown in a notebook)


def test_churn_dataset_names_an_as_of_that_is_not_a_date():
    tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2024-01-01", "2024-01-11", "2024-01-05"],
                       "amount": [10.0, 30.0, 5.0]})
    with pytest.raises(ValueError, match=r"`as_of` must be a date such as '2024-06-30'; got 'notadate'\."):
        churn_dataset(tx, as_of="notadate")
    with pytest.raises(ValueError, match=r"`transactions` has no purchase before `as_of` \(2023-01-01\)"):
        churn_dataset(tx, as_of="2023-01-01")


def test_churn_dataset_warns_when_the_label_window_runs_past_the_data():
    with pytest.warns(UserWarning, match=r"the label window 2024-04-01 to 2024-06-29 runs past the last purchase") as w:
        ds = churn_dataset(_tiny_tx(), as_of="2024-04-01", horizon_days=90)
    assert w[0].filename == __file__
    assert ds["churned"].to_dict() == {1: 0, 2: 0, 3: 1}       # customer 2 came back on 2024-05-15


def test_churn_features_never_see_the_future(small_world):
    tx = small_world.transactions
    as_of = pd.Timestamp("2025-03-01")
    a = churn_dataset(tx, as_of=as_of, horizon_days=90, complaints=small_world.complaints)
    # rewrite everything after as_of: the features must not move, only the label may
    future = tx["date"] >= as_of
    changed = tx.copy()
    changed.loc[future, "amount"] = 999.0
    changed = changed[~(future & (changed["customer_id"] % 2 == 0))]
    b = churn_dataset(changed, as_of=as_of, horizon_days=90, complaints=small_world.complaints)
    features = [c for c in a.columns if c != "churned"]
    pd.testing.assert_frame_equal(a[features], b[features])
    assert (b.loc[b.index % 2 == 0, "churned"] == 1).all()
    assert (a["churned"] != b["churned"]).any()


def test_churn_model_equals_the_scikit_learn_pipeline(small_world):
    """Second implementation: log1p of the clipped features, standardised, L2 logistic regression."""
    ds = churn_dataset(small_world.transactions, as_of="2025-01-01", horizon_days=90)
    X, y = ds.drop(columns="churned"), ds["churned"]
    ours = ChurnModel(C=0.5).fit(X, y)
    ref = make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression(C=0.5, max_iter=5000))
    ref.fit(X.clip(lower=0), y)
    np.testing.assert_allclose(ours.predict(X), ref.predict_proba(X.clip(lower=0))[:, 1], atol=1e-6)
    assert ours.coef_.index.tolist() == X.columns.tolist()


def test_churn_model_contract(small_world):
    ds = churn_dataset(small_world.transactions, as_of="2025-01-01", horizon_days=90)
    X, y = ds.drop(columns="churned"), ds["churned"]
    model = ChurnModel(max_iter=2000)
    with pytest.raises(NotFittedError, match=r"This ChurnModel is not fitted yet; call fit\(\.\.\.\) first\."):
        model.predict(X)
    assert model.get_params() == {"C": 1.0, "max_iter": 2000}
    fitted = model.fit(X, y)
    assert fitted is model
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    assert not hasattr(clone(model), "coef_")
    with pytest.raises(ValueError, match=r"`features` has no column\(s\) \['overdue'\]"):
        model.predict(X.drop(columns="overdue"))
    with pytest.raises(ValueError, match=r"`churned` must be 0/1"):
        ChurnModel().fit(X, np.where(y == 1, 2, 0))
    with pytest.raises(ValueError, match=r"one class only"):
        ChurnModel().fit(X, np.zeros(len(X)))


def test_churn_model_beats_recency_alone(default_world):
    # the notebook's model on the notebook's default dates, scored on a later date than it was fitted on
    tx = default_world.transactions
    train = churn_dataset(tx, as_of="2025-01-01", horizon_days=180)
    test = churn_dataset(tx, as_of="2025-07-01", horizon_days=180)
    model = ChurnModel().fit(train.drop(columns="churned"), train["churned"])
    ours = evaluate_churn(test["churned"], model.predict(test.drop(columns="churned")))
    recency_only = roc_auc_score(test["churned"], test["days_since_last"])
    assert ours.auc > recency_only + 0.01, (ours.auc, recency_only)


def test_evaluate_churn_hand_worked():
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    p = np.linspace(0.9, 0.0, 10)
    ev = evaluate_churn(y, p, n_bins=5)
    assert ev.auc == pytest.approx(roc_auc_score(y, p))
    assert ev.brier == pytest.approx(np.mean((p - y) ** 2))
    assert ev.base_rate == pytest.approx(0.3) and ev.n == 10
    lift = ev.lift
    assert lift.loc[1, "churners"] == 2 and lift.loc[1, "lift"] == pytest.approx((2 / 2) / 0.3)
    assert lift["cumulative_gains"].iloc[-1] == pytest.approx(1.0)
    assert ev.to_frame()["auc"].eq(ev.auc).all()
    with pytest.raises(ValueError, match="one class only"):
        evaluate_churn(np.zeros(4), np.full(4, 0.5))
    with pytest.raises(ValueError, match=r"`y_true` must be 0/1"):
        evaluate_churn([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"`p_churn` must be probabilities in \[0, 1\]"):
        evaluate_churn([0, 1], [0.1, 1.2])
    with pytest.warns(DeprecationWarning, match=r"pass `n_bins` by name"):
        assert evaluate_churn(y, p, 5).auc == ev.auc


# --- service recovery --------------------------------------------------------------------------------


def _complaints(rng, n=800):
    days = rng.integers(1, 15, n)
    handoffs = rng.integers(0, 4, n)
    severity = rng.integers(1, 4, n)
    logit = 1.5 - 0.15 * days - 0.3 * handoffs - 0.4 * (severity == 3)
    stayed = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    stayed[:37] = np.nan      # too recent to know
    return pd.DataFrame({"days_to_resolve": days, "n_handoffs": handoffs, "severity": severity, "stayed_180d": stayed,
                         "resolved_front_line": handoffs == 0, "compensation": rng.choice([0.0, 10.0, 20.0], n)})


def test_service_recovery_equals_statsmodels_logit_and_counts_unknown_outcomes(rng):
    c = _complaints(rng)
    res = service_recovery(c, predictor_cols=["days_to_resolve", "n_handoffs", "compensation"])
    known = c.dropna(subset=["stayed_180d"])
    X = sm.add_constant(known[["days_to_resolve", "n_handoffs", "compensation"]].assign(
        severity_2=(known["severity"] == 2).astype(float), severity_3=(known["severity"] == 3).astype(float)))
    ref = sm.Logit(known["stayed_180d"], X).fit(disp=False)
    t = res.odds_ratios()
    assert t["estimate"].to_numpy() == pytest.approx(np.exp(ref.params.drop("const")), rel=1e-8)
    lo, hi = np.exp(ref.conf_int().drop("const")).T.to_numpy()
    assert t["ci_low"].to_numpy() == pytest.approx(lo, rel=1e-8)
    assert t["ci_high"].to_numpy() == pytest.approx(hi, rel=1e-8)
    assert t["pvalue"].to_numpy() == pytest.approx(ref.pvalues.drop("const"), rel=1e-8)
    assert res.n == 763 and res.n_unknown == 37
    leave = res.odds_ratios(of="leaving")
    assert leave["estimate"].to_numpy() == pytest.approx(1 / t["estimate"].to_numpy())
    assert leave["ci_low"].to_numpy() == pytest.approx(1 / t["ci_high"].to_numpy())
    # the simulated slopes are recovered on the log-odds scale within 3 standard errors
    for name, slope in {"days_to_resolve": -0.15, "n_handoffs": -0.3}.items():
        row = res.table.set_index("predictor").loc[name]
        assert abs(row["coef"] - slope) < 3 * row["se"], (name, row["coef"], slope)


def test_service_recovery_old_argument_names_still_work_with_a_deprecation_warning(rng):
    c = _complaints(rng).rename(columns={"stayed_180d": "stayed"})
    new = service_recovery(c, predictor_cols=["days_to_resolve"], outcome_col="stayed")
    with pytest.warns(DeprecationWarning, match=r"`outcome` is deprecated; use `outcome_col`"), \
            pytest.warns(DeprecationWarning, match=r"`predictors` is deprecated; use `predictor_cols`"):
        old = service_recovery(c, predictors=["days_to_resolve"], outcome="stayed")
    pd.testing.assert_frame_equal(old.table, new.table)
    assert "stayed = 1" in new.scale


def test_service_recovery_bad_input(rng):
    c = _complaints(rng)
    with pytest.raises(ValueError, match=r"`complaints` has no column\(s\) \['speed'\]"):
        service_recovery(c, predictor_cols=["speed"])
    with pytest.raises(ValueError, match=r"no complaint has a known 'stayed_180d'"):
        service_recovery(c.assign(stayed_180d=np.nan))
    with pytest.raises(ValueError, match=r"complaints\['stayed_180d'\]` must be 0/1"):
        service_recovery(c.assign(stayed_180d=c["stayed_180d"] * 2))


def test_service_recovery_raises_convergence_error_on_separated_data(rng):
    c = _complaints(rng, 60).dropna(subset=["stayed_180d"])
    c["stayed_180d"] = (c["days_to_resolve"] < 7).astype(float)     # days separate stayers from leavers
    with pytest.raises(ConvergenceError, match=r"did not converge .*separates those who stayed from those who left"):
        service_recovery(c, predictor_cols=["days_to_resolve"])


def _hinge_complaints(gen, n=1500, tolerance=5.0, slope=0.6, below=0.0):
    """Complaints whose log-odds of leaving are flat (or ``below`` per day) up to ``tolerance`` days, then rise."""
    days = 1 + gen.poisson(5.0, n)
    handoffs = gen.poisson(0.8, n)
    severity = gen.integers(1, 4, n)
    logit = -0.8 + below * np.minimum(days, tolerance) + slope * np.maximum(0, days - tolerance) + 0.3 * handoffs
    leave = gen.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame({"days_to_resolve": days, "n_handoffs": handoffs, "severity": severity,
                         "stayed_180d": (~leave).astype(float)})


def test_service_tolerance_equals_statsmodels_at_its_breakpoint_and_maximises_the_profile(rng):
    c = _hinge_complaints(rng)
    res = service_tolerance(c, covariate_cols=["n_handoffs"], below="flat")
    # the profile's best candidate is the estimate, and refitting statsmodels' Logit there gives its slope
    assert res.profile.loc[res.profile["log_likelihood"].idxmax(), "tolerance"] == res.tolerance
    X = pd.DataFrame({"beyond": np.maximum(0, c["days_to_resolve"] - res.tolerance), "n_handoffs": c["n_handoffs"],
                      "severity_2": (c["severity"] == 2) * 1.0, "severity_3": (c["severity"] == 3) * 1.0})
    ref = sm.Logit(1 - c["stayed_180d"], sm.add_constant(X)).fit(disp=False)
    assert res.slope_above == pytest.approx(ref.params["beyond"], rel=1e-6)
    assert res.slope_above_ci == pytest.approx(tuple(ref.conf_int().loc["beyond"]), rel=1e-6)
    assert res.profile["log_likelihood"].max() == pytest.approx(ref.llf, rel=1e-9)
    # the interval is the set of candidates within the chi-square(1) 95% quantile of the best
    inside = res.profile[2 * (ref.llf - res.profile["log_likelihood"]) <= 3.841459]
    assert inside["tolerance"].min() - 0.25 < res.ci[0] <= inside["tolerance"].min()
    assert inside["tolerance"].max() <= res.ci[1] < inside["tolerance"].max() + 0.25
    # ... its ends where the profile, interpolated linearly between candidates, crosses that quantile
    lr = np.interp(res.ci, res.profile["tolerance"], res.profile["lr"])
    assert lr == pytest.approx([3.841459, 3.841459], rel=1e-5)
    assert res.slope_below == 0 and res.n == 1500 and res.n_unknown == 0
    # the observed leaving rate per day is the share who left, with a Wilson interval around it
    five = c[c["days_to_resolve"] == 5]
    assert res.by_day.loc[5, "leaving_rate"] == pytest.approx(1 - five["stayed_180d"].mean())
    assert res.by_day.loc[5, "ci_low"] < res.by_day.loc[5, "leaving_rate"] < res.by_day.loc[5, "ci_high"]


def test_service_tolerance_interval_covers_a_known_breakpoint():
    # 40 simulated data sets with the bend at 5 days: the profile-likelihood interval covers 5 in 85-100% of them
    # (days are whole numbers, so the profile is kinked and the interval runs a little narrow); the slope below's
    # Wald interval, given the estimated bend, is narrower still
    gen = np.random.default_rng(2024)
    results = [service_tolerance(_hinge_complaints(gen), covariate_cols=["n_handoffs"]) for _ in range(40)]
    covered = np.mean([r.ci[0] <= 5.0 <= r.ci[1] for r in results])
    assert covered >= 0.85, covered
    assert np.mean([r.slope_below_ci[0] <= 0 <= r.slope_below_ci[1] for r in results]) >= 0.65
    assert np.median([r.tolerance for r in results]) == pytest.approx(5.0, abs=0.5)
    # a slope from the first day on (no bend, the hinge at 0): the slope below is found
    straight = service_tolerance(_hinge_complaints(gen, tolerance=0.0, slope=0.3, n=3000), covariate_cols=["n_handoffs"])
    assert straight.slope_below_ci[0] > 0 or straight.ci[0] <= straight.profile["tolerance"].min()


def test_leaving_by_day_turns_the_fit_into_shares_and_euros_against_the_truths_curve():
    # a large sample from a known hinge: the fitted share who leave per day is the truth's logistic curve
    gen = np.random.default_rng(11)
    c = _hinge_complaints(gen, n=20_000)
    res = service_tolerance(c, covariate_cols=["n_handoffs"], below="flat")
    at_mean = -0.8 + 0.3 * c["n_handoffs"].mean()                  # the fit holds the hand-offs at their mean
    assert res.whole_days()[0] == 5 and res.whole_days()[1] <= 5 <= res.whole_days()[2]
    table = leaving_by_day(res, value_per_customer=200.0).set_index("days")
    for day in (3, 5, 7, 9):
        true_p = 1 / (1 + np.exp(-(at_mean + 0.6 * max(0, day - 5))))         # severity carries no effect here
        assert table.loc[day, "p_leave"] == pytest.approx(true_p, abs=0.03)
    assert table.loc[5, "extra_p"] == pytest.approx(0.0, abs=1e-12)
    assert table.loc[7, "extra_loss_eur"] == pytest.approx(200.0 * (table.loc[7, "p_leave"] - table.loc[5, "p_leave"]))
    assert table.loc[7, "extra_per_day"] == pytest.approx(table.loc[7, "p_leave"] - table.loc[6, "p_leave"])
    assert "extra_loss_eur" not in leaving_by_day(res)
    with pytest.raises(TypeError, match="`result` must be a ToleranceResult"):
        leaving_by_day(table)
    with pytest.raises(ValueError, match="value_per_customer"):
        leaving_by_day(res, value_per_customer=-1.0)


def test_whole_days_widens_the_interval_outwards_by_hand():
    res = ToleranceResult(6.25, (5.39, 7.55), False, 0.0, (0.0, 0.0), 1.0, (0.5, 1.5), pd.DataFrame(), pd.DataFrame(),
                          (), "flat", 100, 0, 0.95)
    assert res.whole_days() == (6, 5, 8)


@pytest.mark.parametrize(("estimate", "ci", "outcome", "words"), [
    (0.5, (0.36, 0.69), "negative", "below 1, the whole interval lies below 1"),
    (1.7, (1.55, 1.87), "positive", "above 1, the whole interval lies above 1"),
    (0.9, (0.7, 1.2), "inconclusive", "the interval contains 1")])
def test_odds_ratio_sign_reads_the_side_of_one_on_the_odds_ratio_scale(estimate, ci, outcome, words):
    v = odds_ratio_sign("the odds ratio of leaving", estimate, ci)
    assert v.outcome == outcome and words in v.sentence
    assert f"is {estimate:.2f} (95% CI {ci[0]:.2f} to {ci[1]:.2f})" in v.sentence        # two decimals throughout
    with pytest.raises(ValueError, match="odds ratio above 0"):
        odds_ratio_sign("x", 0.0, (0.0, 1.0))


def test_handling_label_reads_the_predictors_in_words():
    assert handling_label("resolved_front_line") == "solved by the first employee"
    assert handling_label("severity_2") == "severity 2" and handling_label("n_handoffs") == "hand-offs between staff"
    with pytest.raises(TypeError, match="`name` must be a str"):
        handling_label(3)


def test_service_tolerance_bad_input(rng):
    c = _hinge_complaints(rng, n=200)
    with pytest.raises(ValueError, match=r"`below` must be one of \['flat', 'free'\]"):
        service_tolerance(c, covariate_cols=[], below="none")
    with pytest.raises(ValueError, match=r"column 'days_to_resolve' must hold numbers"):
        service_tolerance(c.assign(days_to_resolve="slow"), covariate_cols=[])
    with pytest.raises(ValueError, match=r"`min_side` \(150\) on each side"):
        service_tolerance(c, covariate_cols=[], min_side=150)
    with pytest.raises(ValueError, match=r"no candidate tolerance"):
        service_tolerance(c.assign(days_to_resolve=3), covariate_cols=[])
    with pytest.raises(ValueError, match=r"`complaints` has no column\(s\) \['resolved_front_line'"):
        service_tolerance(c)
    with pytest.raises(TypeError, match=r"`step` must be a number"):
        service_tolerance(c, covariate_cols=[], step="1")


def test_service_tolerance_recovers_the_worlds_tolerance(default_world):
    w = default_world
    res = service_tolerance(w.complaints)
    truth = w.truth["complaints"]
    assert res.ci[0] <= truth["tolerance_days"] <= res.ci[1] and not res.ci_open
    assert res.slope_below_ci[0] <= 0 <= res.slope_below_ci[1]          # flat up to the tolerance
    assert res.slope_above_ci[0] > 0
    # the outcome (no purchase in 180 days) is a proxy of leaving: the slope beyond is attenuated, not inflated
    assert res.slope_above_ci[0] <= truth["defection_log_odds"]["days_beyond_tolerance"]


def test_service_recovery_signs_match_the_truth(default_world):
    res = service_recovery(default_world.complaints).table.set_index("predictor")
    truth = default_world.truth["complaints"]["defection_log_odds"]
    # staying is the opposite of leaving: front-line resolution helps, slowness and hand-offs hurt
    assert np.sign(res.loc["resolved_front_line", "coef"]) == -np.sign(truth["resolved_front_line"])
    assert res.loc["days_to_resolve", "coef"] < 0 and res.loc["n_handoffs", "coef"] < 0
    assert res.loc["days_to_resolve", "pvalue"] < 0.01


# --- plots ---------------------------------------------------------------------------------------------


def test_survival_and_churn_plots_draw_the_numbers():
    km = kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1], groups=["a", "a", "b", "b"])
    ax = plots.km_plot(km, time_label="years")
    assert len(ax.lines) == 2 and ax.get_xlabel() == "years"
    assert ax.lines[1].get_ydata()[-1] == 0.0       # group b: both left
    cohorts = cohort_table(_cohort_tx(), period="M")
    ax = plots.cohort_heatmap(cohorts)
    np.testing.assert_allclose(ax.collections[0].get_array().compressed(),
                               cohorts.shares.to_numpy()[~np.isnan(cohorts.shares.to_numpy())])
    ax = plots.cohort_heatmap(cohorts.shares)        # the shares frame itself still works
    assert ax.collections[0].get_array().size == cohorts.shares.size
    with pytest.raises(TypeError, match=r"`cohorts` must be cohort_table's result"):
        plots.cohort_heatmap([1, 2])
    ev = evaluate_churn(np.r_[np.ones(20), np.zeros(80)], np.linspace(1, 0, 100))
    ax = plots.gains_plot(ev)
    assert np.allclose(ax.lines[0].get_ydata()[1:], ev.lift["cumulative_gains"])
    ax = plots.calibration_plot(ev)
    assert np.allclose(ax.lines[0].get_ydata(), ev.calibration["observed_rate"])


# --- in-sample optimism ---------------------------------------------------------------------------------


def test_auc_optimism_equals_scikit_learns_cross_val_predict(small_world):
    """Second implementation: the same pipeline as ChurnModel, scored by cross_val_predict on the same folds."""
    ds = churn_dataset(small_world.transactions, as_of="2025-01-01", horizon_days=90)
    X, y = ds.drop(columns="churned"), ds["churned"]
    ours = auc_optimism(X, y, n_splits=4, rng=7)
    ref = make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression(max_iter=5000))
    folds = StratifiedKFold(4, shuffle=True, random_state=int(np.random.default_rng(7).integers(2**31 - 1)))
    held_out = cross_val_predict(ref, X.clip(lower=0), y, cv=folds, method="predict_proba")[:, 1]
    assert ours.cv_auc == pytest.approx(roc_auc_score(y, held_out), abs=1e-6)
    in_sample = ref.fit(X.clip(lower=0), y).predict_proba(X.clip(lower=0))[:, 1]
    assert ours.in_sample_auc == pytest.approx(roc_auc_score(y, in_sample), abs=1e-6)
    assert ours.optimism == pytest.approx(ours.in_sample_auc - ours.cv_auc, abs=1e-15)
    assert (ours.n, ours.n_splits) == (len(y), 4)
    assert auc_optimism(X, y, n_splits=4, rng=7) == ours                   # same seed, same folds


def test_auc_optimism_is_large_on_noise_and_grows_as_the_training_set_shrinks(small_world):
    rng = np.random.default_rng(3)
    noise = pd.DataFrame(rng.normal(size=(80, 12)), columns=[f"x{k}" for k in range(12)]).abs()
    res = auc_optimism(noise, rng.random(80) < 0.5, rng=0)
    # nothing to predict: cross-validated AUC about 0.5, yet the fit scores its own customers well above it
    assert abs(res.cv_auc - 0.5) < 0.15 and res.optimism > 0.15, res
    ds = churn_dataset(small_world.transactions, as_of="2025-01-01", horizon_days=90)
    X, y = ds.drop(columns="churned"), ds["churned"]
    everyone = auc_optimism(X, y, rng=0)
    few = auc_optimism(X, y, max_customers=150, rng=0)
    assert few.n == 150 and everyone.n == len(y)
    assert abs(everyone.optimism) < 0.02 < few.optimism, (everyone, few)
    assert auc_optimism(X, y, max_customers=10**6, rng=0) == everyone     # more than there are: all of them


@pytest.mark.parametrize("optimism, words", [(0.05, "overstates it by 0.050"), (-0.004, "understates it by 0.004: a "
                                             "difference of chance, not optimism"),
                                             (0.0002, "leaves it unchanged to three decimals")])
def test_auc_optimism_sentence_reads_the_direction_from_the_numbers(optimism, words):
    res = AUCOptimism(0.8 + optimism, 0.8, optimism, 1200, 5)
    assert res.sentence.startswith("On the same 1,200 customers, the AUC is")
    assert res.sentence.endswith(f"evaluating on the fitting data {words}.")


def test_auc_optimism_bad_input():
    X = pd.DataFrame({"days_since_last": np.arange(40)})
    y = np.r_[np.zeros(37), np.ones(3)]
    with pytest.raises(ValueError, match=r"smaller class; `n_splits` = 5 folds need at least one each"):
        auc_optimism(X, y)
    with pytest.raises(ValueError, match=r"`churned` must have one value per row of `features` \(40\); got 39"):
        auc_optimism(X, y[1:], n_splits=3)
    with pytest.raises(TypeError, match=r"`model` must be a ChurnModel; got LogisticRegression"):
        auc_optimism(X, y, n_splits=3, model=LogisticRegression())
    with pytest.raises(ValueError, match=r"`max_customers` must be in \[6, "):
        auc_optimism(X, y, n_splits=3, max_customers=5)
    with pytest.raises(TypeError, match=r"`features` must be a pandas DataFrame"):
        auc_optimism(X.to_numpy(), y, n_splits=3)


# --- whom to reactivate -----------------------------------------------------------------------------------


def test_winnable_probability_is_alive_and_no_purchase():
    # a customer alive with probability a who, when alive, buys in the window with probability q:
    # risk = 1 - a q, and P(alive and no purchase) = a (1 - q)
    a = np.array([0.2, 0.5, 0.9, 1.0, 0.0])
    q = np.array([0.5, 0.1, 0.7, 0.3, 0.8])
    np.testing.assert_allclose(winnable_probability(1 - a * q, a), a * (1 - q), atol=1e-12)
    # and by simulation (seeded): the share of customers alive who buy nothing
    rng = np.random.default_rng(11)
    alive = rng.random((200_000, 5)) < a
    buys = alive & (rng.random((200_000, 5)) < q)
    np.testing.assert_allclose((alive & ~buys).mean(axis=0), winnable_probability(1 - a * q, a), atol=0.005)
    # two models that disagree (a purchase likelier than being there) give 0, not a negative probability
    assert winnable_probability([0.2], [0.5]).tolist() == [0.0]


@pytest.mark.parametrize("risk, p_alive, message", [
    ([0.5, 1.2], [0.5, 0.5], r"`risk` must be probabilities in \[0, 1\]"),
    ([0.5, 0.5], [0.5, np.nan], r"`p_alive` must be probabilities in \[0, 1\] \(no missing values\)"),
    ([0.5], [0.5, 0.5], r"`risk` and `p_alive` must have the same length; got 1 and 2"),
])
def test_winnable_probability_bad_input(risk, p_alive, message):
    with pytest.raises(ValueError, match=message):
        winnable_probability(risk, p_alive)


def test_reactivation_list_hand_worked():
    scores = pd.DataFrame({"risk": [0.98, 0.30, 0.75, 0.60, 0.85, 0.55],
                           "p_alive": [0.05, 0.99, 0.80, 0.95, 0.70, 0.90],
                           "clv": [10.0, 900.0, 60.0, 150.0, 40.0, 300.0]}, index=[1, 2, 3, 4, 5, 6])
    # winnable = p_alive - (1 - risk): 0.03, 0.29, 0.55, 0.55, 0.55, 0.45
    out = reactivation_list(scores, size=2)
    assert out.index.tolist() == [4, 3]                          # winnable >= 0.5, highest CLV first
    np.testing.assert_allclose(out["winnable"], [0.55, 0.55])
    assert reactivation_list(scores, size=10).index.tolist() == [4, 3, 5]    # fewer than asked: all who qualify
    assert reactivation_list(scores, size=2, min_winnable=0.4).index.tolist() == [6, 4]
    # the old rule, risk x p_alive x CLV, puts the safe customer 2 first (winnable 0.29: likely to buy anyway)
    assert (scores["risk"] * scores["p_alive"] * scores["clv"]).idxmax() == 2
    assert 2 not in reactivation_list(scores, size=5).index
    renamed = scores.rename(columns={"risk": "r", "p_alive": "pa", "clv": "v"})
    assert reactivation_list(renamed, size=2, risk_col="r", p_alive_col="pa", value_col="v").index.tolist() == [4, 3]


def test_reactivation_list_bad_input():
    scores = pd.DataFrame({"risk": [0.9, 0.5], "p_alive": [0.8, 0.9], "clv": [1.0, np.nan]})
    with pytest.raises(ValueError, match=r"`scores`: column 'clv' must be numeric without missing values; 1 rows"):
        reactivation_list(scores, size=1)
    with pytest.raises(ValueError, match=r"`size` must be in \[1, "):
        reactivation_list(scores.fillna(1.0), size=0)
    with pytest.raises(ValueError, match=r"`min_winnable` must be in \[0.0, 1.0\]; got 1.5"):
        reactivation_list(scores.fillna(1.0), size=1, min_winnable=1.5)
    with pytest.raises(ValueError, match=r"p_alive"):
        reactivation_list(scores.drop(columns="p_alive"), size=1)
    with pytest.raises(ValueError, match=r"`p_alive` must be probabilities"):
        reactivation_list(scores.fillna(1.0).assign(p_alive=[1.5, 0.2]), size=1)


def test_alive_on_hand_worked():
    truth = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5],
                          "alive_end": pd.array([True, False, False, False, pd.NA], dtype="boolean"),
                          "dropout_date": pd.to_datetime([None, "2024-03-01", "2024-02-01", "2024-01-31", None])})
    got = alive_on(truth, "2024-02-01")
    # alive at the end; left later; left that day (after its purchase); left the day before; a prospect
    assert got.to_dict() == {1: True, 2: True, 3: True, 4: False, 5: False}
    assert got.index.name == "customer_id" and got.name == "alive"
    with pytest.raises(ValueError, match=r"dropout_date"):
        alive_on(truth.drop(columns="dropout_date"), "2024-02-01")
    with pytest.raises(ValueError, match=r"`day`"):
        alive_on(truth, "not a date")


def test_alive_on_agrees_with_who_buys_later(small_world):
    """The truth's check: a customer who buys on or after a day (before the experiment brings some back) was alive on it."""
    day = pd.Timestamp("2025-01-01")
    start = pd.to_datetime(small_world.retention_experiment["assigned_date"]).min()
    tx = small_world.transactions
    later = tx.loc[(tx["date"] >= day) & (tx["date"] < start), "customer_id"].unique()
    alive = alive_on(small_world.truth_customers, day)
    assert len(later) > 100 and alive.loc[later].all()
    # and a customer who left before the day buys nothing in [day, start)
    gone = alive.index[~alive & small_world.truth_customers.set_index("customer_id")["buyer"].to_numpy()]
    assert len(gone) > 100 and not np.isin(gone, later).any()


def test_reactivation_check_hand_worked_and_bad_input():
    churned = pd.Series([1, 1, 0, 1, 0], index=[1, 2, 3, 4, 5])
    alive = pd.Series([True, False, True, True, True], index=[1, 2, 3, 4, 5])
    value = pd.Series([10.0, 50.0, 80.0, 20.0, 40.0], index=[1, 2, 3, 4, 5])
    out = reactivation_check({"all": [1, 2, 3, 4, 5], "chosen": [1, 4], "safe": [3, 5]}, churned=churned, alive=alive,
                             value=value)
    assert out.index.tolist() == ["all", "chosen", "safe"] and out.index.name == "list"
    assert out.loc["all"].to_dict() == {"customers": 5, "alive_share": 0.8, "churn_share": 0.6, "winnable_share": 0.4,
                                        "mean_value": 40.0, "winnable_value": 6.0}
    assert out.loc["chosen", "winnable_value"] == 15.0 and out.loc["safe", "winnable_share"] == 0.0
    with pytest.raises(ValueError, match=r"`alive` has no value for 1 customers of list 'x' \(e.g. 9\)"):
        reactivation_check({"x": [1, 9]}, churned=churned.reindex([1, 9]).fillna(0), alive=alive, value=value)
    with pytest.raises(ValueError, match=r"`lists`: list 'x' is empty"):
        reactivation_check({"x": []}, churned=churned, alive=alive, value=value)
    with pytest.raises(TypeError, match=r"`lists` must be a non-empty mapping"):
        reactivation_check([1, 2], churned=churned, alive=alive, value=value)
    with pytest.raises(TypeError, match=r"`value` must be a pandas Series indexed by customer; got list"):
        reactivation_check({"x": [1]}, churned=churned, alive=alive, value=[1.0])


def test_reactivation_list_reaches_customers_a_contact_can_still_win_back(default_world):
    """On the default world (the notebook's dates), against the truth: the chosen are alive on the test date and
    then lapse far more often than all customers, the highest risks (mostly gone) or risk x past spend; the old
    rule, risk x p_alive x CLV, fell below the base rate (0.12 against 0.21)."""
    tx = default_world.transactions
    train = churn_dataset(tx, as_of="2025-01-01", horizon_days=180, complaints=default_world.complaints)
    test = churn_dataset(tx, as_of="2025-07-01", horizon_days=180, complaints=default_world.complaints)
    features = [c for c in train.columns if c != "churned"]
    risk = ChurnModel().fit(train[features], train["churned"]).predict(test[features])
    value = customer_value(tx, as_of="2025-07-01").table.reindex(test.index)
    scored = test.assign(risk=risk, p_alive=value["p_alive"], clv=value["clv"])
    chosen = reactivation_list(scored, size=len(scored) // 10)
    truth = default_world.truth_customers.set_index("customer_id").reindex(scored.index)
    alive = truth["alive_end"].astype(bool) | (truth["dropout_date"] >= pd.Timestamp("2025-07-01"))
    winnable = alive & (scored["churned"] == 1)
    k = len(chosen)
    shares = {"base": winnable.mean(), "chosen": winnable[chosen.index].mean(),
              "risk": winnable[scored.nlargest(k, "risk").index].mean(),
              "spend": winnable[(scored["risk"] * scored["monetary_total"]).nlargest(k).index].mean(),
              "product": winnable[(scored["risk"] * scored["p_alive"] * scored["clv"]).nlargest(k).index].mean()}
    assert k == 730
    assert shares["chosen"] > 2 * shares["base"] and shares["chosen"] > 0.5, shares
    assert shares["chosen"] > max(shares["risk"], shares["spend"], shares["product"]) + 0.3, shares
    assert shares["product"] < shares["base"], shares
    # what a contact can still save (the truth's yearly spend of the winnable, per customer contacted) beats a
    # random contact and risk x past spend
    spend = truth["purchase_rate"] * truth["mean_spend"] * 365.2425 / 7 * winnable
    assert spend[chosen.index].mean() > 1.3 * spend.mean() > spend[(scored["risk"] * scored["monetary_total"]).nlargest(k).index].mean()


def test_tolerance_plot_draws_the_leaving_rates_the_estimate_and_the_truth(rng):
    res = service_tolerance(_hinge_complaints(rng), covariate_cols=["n_handoffs"])
    ax = plots.tolerance_plot(res, truth=5.0, min_complaints=20)
    shown = res.by_day[res.by_day["complaints"] >= 20]
    points = next(line for line in ax.lines if line.get_marker() == "o")
    assert points.get_xdata().tolist() == shown.index.tolist()
    assert points.get_ydata() == pytest.approx(100 * shown["leaving_rate"].to_numpy())
    verticals = [line.get_xdata()[0] for line in ax.lines if len(set(line.get_xdata())) == 1 and line.get_marker() != "o"]
    assert res.tolerance in verticals and 5.0 in verticals
    span = ax.patches[0]              # axvspan: a Rectangle (matplotlib >= 3.9) or a Polygon
    band = [span.get_x(), span.get_x() + span.get_width()] if hasattr(span, "get_width") else span.get_xy()[:, 0]
    assert min(band) == pytest.approx(res.ci[0]) and max(band) == pytest.approx(res.ci[1])
    assert ax.get_xlabel() == "days to resolve the complaint" and "%" in ax.get_ylabel()
    # the fitted curve stays within the days that have points (it used to run on past the last one), and the
    # legend sits outside the axes, off the points
    curve = next(line for line in ax.lines if line.get_marker() != "o" and len(set(line.get_xdata())) > 1)
    assert min(curve.get_xdata()) >= shown.index.min() and max(curve.get_xdata()) <= shown.index.max()
    assert res.by_day.index.max() > shown.index.max()           # there were days to extrapolate to
    assert ax.get_legend().get_bbox_to_anchor().x0 >= ax.get_window_extent().x1
    assert "tolerate" not in ax.get_title()
    with pytest.raises(ValueError, match="min_complaints"):
        plots.tolerance_plot(res, min_complaints=0)
