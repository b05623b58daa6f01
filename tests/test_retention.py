"""fidelia_kit.retention: hand-worked values, second implementations (scipy, statsmodels) and
the world's truth."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression

from fidelia_kit import plots
from fidelia_kit.retention import (
    adjusted_effect,
    campaign_roi,
    compare_arms,
    cuped,
    fit_uplift,
    minimum_detectable_effect,
    power_curve,
    qini_curve,
    sample_size,
    targeting_policy,
    uplift_at_k,
    uplift_curve,
)

FEATURES = ["days_since_last", "n_purchases_365d", "spend_365d", "spend_90d", "avg_basket", "online_share",
            "discount_share", "tenure_days"]


def _wilson(k, n, z):
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


# --- experiments ----------------------------------------------------------------------------------

def test_compare_arms_binary_hand_worked_newcombe():
    df = pd.DataFrame({"arm": ["control"] * 100 + ["mail"] * 100,
                       "kept": [1] * 10 + [0] * 90 + [1] * 20 + [0] * 80})
    out = compare_arms(df, "arm", "kept")
    z = stats.norm.isf(0.025)
    l1, u1 = _wilson(20, 100, z)
    l2, u2 = _wilson(10, 100, z)
    # Newcombe (1998) method 10: combine the two Wilson intervals
    lo = 0.1 - np.sqrt((0.2 - l1) ** 2 + (u2 - 0.1) ** 2)
    hi = 0.1 + np.sqrt((u1 - 0.2) ** 2 + (0.1 - l2) ** 2)
    row = out.loc["mail"]
    assert (row["n"], row["rate"], row["lift"]) == (100, pytest.approx(0.2), pytest.approx(0.1))
    assert (row["lift_low"], row["lift_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert row["rel_lift"] == pytest.approx(1.0)
    assert out.loc["control", "rate"] == pytest.approx(0.1)


def test_compare_arms_continuous_is_welch(rng):
    df = pd.DataFrame({"arm": np.repeat(["control", "a", "b"], 200),
                       "revenue": np.r_[rng.gamma(2, 10, 200), rng.gamma(2, 12, 200), rng.gamma(2, 10.5, 200)]})
    out = compare_arms(df, "arm", "revenue")
    a, c = df.loc[df.arm == "a", "revenue"], df.loc[df.arm == "control", "revenue"]
    va, vc = a.var() / len(a), c.var() / len(c)
    dof = (va + vc) ** 2 / (va**2 / (len(a) - 1) + vc**2 / (len(c) - 1))   # Welch-Satterthwaite
    half = stats.t.isf(0.025, dof) * np.sqrt(va + vc)
    assert out.loc["a", "lift_low"] == pytest.approx(a.mean() - c.mean() - half)
    p = out.loc[["a", "b"], "pvalue"].to_numpy()
    holm = np.minimum(1, np.maximum.accumulate(np.sort(p) * np.array([2, 1])))[np.argsort(np.argsort(p))]
    assert out.loc[["a", "b"], "pvalue_holm"].to_numpy() == pytest.approx(holm)
    assert out.attrs["kind"] == "continuous"


@pytest.mark.parametrize("df, kwargs, match", [
    (pd.DataFrame({"arm": ["a", "b"], "y": [1, 0]}), {}, r"the control arm 'control' has no customers"),
    (pd.DataFrame({"arm": pd.Categorical(["control", "a"], categories=["control", "a", "call"]), "y": [1, 0]}), {},
     r"arm\(s\) \['call'\] of column 'arm' have no customers"),
    (pd.DataFrame({"arm": ["control", "a"], "y": [1, 3]}), {"kind": "binary"}, r"column 'y' must hold 0/1"),
    (pd.DataFrame({"arm": ["control", "a"], "y": [1, np.nan]}), {}, r"column 'y' has 1 missing outcome"),
    (pd.DataFrame({"arm": ["control", "control"], "y": [1, 0]}), {}, r"only one arm"),
])
def test_compare_arms_bad_input(df, kwargs, match):
    with pytest.raises(ValueError, match=match):
        compare_arms(df, "arm", "y", **kwargs)


def test_experiment_recovers_each_arms_true_effect(default_world):
    w = default_world
    e = w.retention_experiment
    out = compare_arms(e, "arm", "active_90d")
    truth = w.truth["experiment"]["average_effect_in_arm"]
    for arm, effect in truth.items():
        assert out.loc[arm, "lift_low"] <= effect <= out.loc[arm, "lift_high"], (arm, effect)


def test_cuped_narrows_the_interval_on_the_same_estimand(default_world):
    e = default_world.retention_experiment
    adj = adjusted_effect(e, "arm", "revenue_90d", ["spend_90d", "spend_365d", "days_since_last"])
    plain = compare_arms(e, "arm", "revenue_90d")
    for arm in ("email_discount", "personal_call"):
        assert adj.loc[arm, "se"] < adj.loc[arm, "unadjusted_se"]
        assert adj.loc[arm, "variance_reduction"] > 0.05
        assert adj.loc[arm, "unadjusted_effect"] == pytest.approx(plain.loc[arm, "lift"])
        # same estimand: the two estimates agree within their standard error
        assert abs(adj.loc[arm, "effect"] - plain.loc[arm, "lift"]) < 2 * adj.loc[arm, "unadjusted_se"]


def test_regression_adjustment_on_simulated_experiment(rng):
    n = 4000
    x = rng.normal(50, 10, n)
    t = rng.permutation(np.arange(n) % 2)
    y = 5 + 3.0 * t + 0.8 * x + rng.normal(0, 4, n)
    df = pd.DataFrame({"arm": np.where(t == 1, "treated", "control"), "y": y, "x": x})
    out = adjusted_effect(df, "arm", "y", "x")
    assert abs(out.loc["treated", "effect"] - 3.0) < 2.5 * out.loc["treated", "se"]
    assert out.loc["treated", "variance_reduction"] > 0.7   # x explains most of y's variance


def test_cuped_hand_worked():
    df = pd.DataFrame({"arm": ["control"] * 3 + ["mail"] * 3, "pre": [1.0, 2, 3, 2, 3, 4], "post": [2.0, 3, 5, 4, 6, 7]})
    out = cuped(df, "arm", "post", "pre", control="control").loc["mail"]
    # pooled: sum dx dy = 9.5, sum dx^2 = 5.5 -> theta = 19/11; effect = 7/3 - theta x 1 = 20/33
    assert out["theta"] == pytest.approx(19 / 11)
    assert out["effect"] == pytest.approx(20 / 33)
    assert out["unadjusted_effect"] == pytest.approx(7 / 3)
    y_cv = df["post"] - 19 / 11 * (df["pre"] - 2.5)
    se = np.sqrt(y_cv[3:].var(ddof=1) / 3 + y_cv[:3].var(ddof=1) / 3)
    assert out["se"] == pytest.approx(se)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((20 / 33 - 1.959964 * se, 20 / 33 + 1.959964 * se))
    assert out["pvalue"] == pytest.approx(2 * stats.norm.sf(20 / 33 / se))
    with pytest.raises(ValueError, match="covariate 'pre' is constant"):
        cuped(df.assign(pre=1.0), "arm", "post", "pre")
    with pytest.raises(ValueError, match=r"column 'pre' has 1 missing value\(s\)"):
        cuped(df.assign(pre=[1.0, np.nan, 3, 2, 3, 4]), "arm", "post", "pre")


def test_cuped_variance_reduction_is_the_squared_correlation(rng):
    n = 20_000
    x = rng.gamma(2.0, 50.0, n)                            # pre-period revenue
    t = rng.permutation(np.arange(n) % 2)
    y = 20 + 0.7 * x + 8.0 * t + rng.normal(0, 40, n)
    df = pd.DataFrame({"arm": np.where(t == 1, "call", "control"), "pre": x, "post": y})
    out = cuped(df, "arm", "post", "pre").loc["call"]
    rho = np.corrcoef(x, y)[0, 1]
    assert out["variance_reduction"] == pytest.approx(rho**2, abs=0.01)
    assert abs(out["effect"] - 8.0) < 2.5 * out["se"]
    # the unadjusted SE is Welch's, the same as adjusted_effect's HC2 SE of the plain difference
    lin = adjusted_effect(df, "arm", "post", "pre").loc["call"]
    assert out["unadjusted_se"] == pytest.approx(lin["unadjusted_se"], rel=1e-9)
    # one covariate, same slope in both arms: Lin's adjustment and CUPED nearly agree
    assert out["effect"] == pytest.approx(lin["effect"], abs=0.2 * out["se"])


def test_sample_size_matches_cohens_h():
    assert sample_size(0.10, 0.02) == 3835       # 10% -> 12%, alpha 0.05, power 0.8
    h = 2 * np.arcsin(np.sqrt(0.12)) - 2 * np.arcsin(np.sqrt(0.10))
    z = stats.norm.isf(0.025) + stats.norm.isf(0.2)
    assert sample_size(0.10, 0.02) == int(np.ceil(2 * (z / h) ** 2))
    assert sample_size(0.10, 0.02, ratio=2.0) == int(np.ceil((1 + 1 / 2) * (z / h) ** 2))
    assert minimum_detectable_effect(3835, 0.10) == pytest.approx(0.02, abs=1e-4)
    pc = power_curve(0.10, [0.02, 0.04], [3835, 1000])
    assert pc.loc[0.02, 3835] == pytest.approx(0.8, abs=1e-3)
    assert pc.loc[0.04, 1000] > pc.loc[0.02, 1000]
    with pytest.raises(ValueError, match="`min_lift` must be non-zero"):
        sample_size(0.10, 0.0)
    with pytest.raises(ValueError, match=r"`base_rate` must be in"):
        sample_size(1.5, 0.02)


def test_power_curve_with_unequal_arms_equals_the_formula_by_hand():
    h = abs(2 * np.arcsin(np.sqrt(0.12)) - 2 * np.arcsin(np.sqrt(0.10)))
    z = stats.norm.isf(0.025)
    pc = power_curve(0.10, [0.02], [1000], ratio=2.0)     # 1,000 control, 2,000 treated customers
    assert pc.columns.name == "n_control"
    shift = h * np.sqrt(1000 / (1 + 1 / 2))
    assert pc.loc[0.02, 1000] == pytest.approx(stats.norm.cdf(shift - z) + stats.norm.cdf(-shift - z), rel=1e-9)
    assert power_curve(0.10, [0.02], [1000]).columns.name == "n per arm"


def test_campaign_roi_hand_worked():
    df = pd.DataFrame({"arm": ["control"] * 4 + ["call"] * 4, "active": [0, 1, 0, 0, 1, 1, 0, 1],
                       "revenue": [0, 40, 0, 0, 50, 30, 0, 40], "cost": [0] * 4 + [6] * 4})
    out = campaign_roi(df, "arm", "active", "revenue", "cost", margin=0.5).loc["call"]
    # 4 customers x (30 - 10) = 80 EUR more revenue; profit 0.5 x 80 - 24 = 16; ROI 16 / 24
    assert out["incremental_customers"] == pytest.approx(2.0)
    assert out["incremental_revenue"] == pytest.approx(80.0)
    assert out["profit"] == pytest.approx(16.0) and out["roi"] == pytest.approx(16 / 24)
    # Welch's interval for the difference in mean revenue, by hand: means 30 and 10, variances 466.67 and
    # 400 (n - 1), SE sqrt(466.67 / 4 + 400 / 4) = 14.72 on 5.965 Welch-Satterthwaite degrees of freedom
    vt, vc = np.var([50, 30, 0, 40], ddof=1) / 4, np.var([0, 40, 0, 0], ddof=1) / 4
    dof = (vt + vc) ** 2 / (vt**2 / 3 + vc**2 / 3)
    half = stats.t.isf(0.025, dof) * np.sqrt(vt + vc)
    assert (vt + vc, dof) == (pytest.approx(866.67 / 4, rel=1e-4), pytest.approx(5.965, abs=0.001))
    # carried to revenue (x n = 4), profit (x margin, - cost 24) and ROI (/ 24): cost is known
    assert (out["revenue_low"], out["revenue_high"]) == pytest.approx((4 * (20 - half), 4 * (20 + half)), rel=1e-12)
    assert (out["profit_low"], out["profit_high"]) == pytest.approx((2 * (20 - half) - 24, 2 * (20 + half) - 24), rel=1e-12)
    assert (out["roi_low"], out["roi_high"]) == pytest.approx(((2 * (20 - half) - 24) / 24, (2 * (20 + half) - 24) / 24),
                                                              rel=1e-12)


# --- uplift ---------------------------------------------------------------------------------------

def test_qini_and_uplift_curves_hand_worked():
    uplift = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    t = np.array([1, 0, 1, 0, 1, 0])
    y = np.array([1, 0, 1, 1, 0, 0])
    q = qini_curve(uplift, t, y)
    # after 2: Yt=1, Yc=0 -> 1; after 4: Yt=2, Yc=1, Nt=Nc=2 -> 1; after 6: Yt=2, Yc=1 -> 1
    assert q["model"].tolist()[2] == pytest.approx(1.0) and q["model"].tolist()[4] == pytest.approx(1.0)
    assert q["model"].iloc[1] == pytest.approx(1.0)   # one treated responder, no controls yet
    u = uplift_curve(uplift, t, y)
    assert u["model"].iloc[4] == pytest.approx((2 / 2 - 1 / 2) * 4)
    perfect = qini_curve(y * t - y * (1 - t), t, y)
    assert perfect.attrs["auc"] == pytest.approx(1.0)
    assert uplift_at_k(uplift, t, y, k=4 / 6) == pytest.approx(1.0 - 0.5)


def _sklift_qini_points(y, score, t):
    """scikit-uplift 0.5.1 ``sklift.metrics.qini_curve``, restated: sort by score descending, keep
    the last row of each group of equal scores, Qini = Y_t - Y_c N_t / N_c there (0 / 0 -> 0),
    and start the curve at (0, 0). (Maksimov et al., scikit-uplift, github.com/maks-sh/scikit-uplift.)"""
    order = np.argsort(score, kind="mergesort")[::-1]
    y, score, t = y[order], score[order], t[order]
    idx = np.r_[np.where(np.diff(score))[0], len(score) - 1]
    n_t, y_t = np.cumsum(t)[idx], np.cumsum(y * t)[idx]
    n_all = idx + 1
    n_c, y_c = n_all - n_t, np.cumsum(y * (1 - t))[idx]
    q = y_t - y_c * np.divide(n_t, n_c, out=np.zeros(len(idx)), where=n_c != 0)
    return np.r_[0, n_all].astype(float), np.r_[0, q]


def _sklift_qini_auc_score(y, score, t):
    """``sklift.metrics.qini_auc_score(negative_effect=True)``, restated: areas (trapezoidal rule)
    of the model's and the perfect Qini curve (perfect score y t - y (1 - t)) above the straight
    line from (0, 0) to the curve's end, divided."""
    x_model, q_model = _sklift_qini_points(y, score, t)
    x_perfect, q_perfect = _sklift_qini_points(y, y * t - y * (1 - t), t)
    baseline = np.trapezoid([0, q_perfect[-1]], [0, x_perfect[-1]])
    return (np.trapezoid(q_model, x_model) - baseline) / (np.trapezoid(q_perfect, x_perfect) - baseline)


def _tied_uplift_data(rng, n=2000):
    t = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    y = (rng.random(n) < 0.3 + 0.15 * t * (x > 0)).astype(int)
    score = np.round(x + rng.normal(0, 1, n), 0)       # about 9 distinct scores: many ties
    return score, t, y


def test_qini_curve_equals_scikit_uplift_formulas_with_ties(rng):
    score, t, y = _tied_uplift_data(rng)
    assert len(np.unique(score)) < 15
    q = qini_curve(score, t, y)
    x_ref, q_ref = _sklift_qini_points(y, score, t)
    assert np.allclose(q["model"].to_numpy()[x_ref.astype(int)], q_ref)   # equal at every threshold
    assert q.attrs["auc"] == pytest.approx(_sklift_qini_auc_score(y, score, t), rel=1e-12)
    x_perfect, q_perfect = _sklift_qini_points(y, y * t - y * (1 - t), t)
    assert np.allclose(q["perfect"].to_numpy()[x_perfect.astype(int)], q_perfect)
    # between thresholds the curve is a straight line
    assert np.allclose(q["model"], np.interp(np.arange(len(score) + 1), x_ref, q_ref))


def test_qini_curve_and_uplift_at_k_do_not_depend_on_row_order_with_ties(rng):
    """With ties, the old stable sort gave Qini AUC 0.108-0.125 on shuffles of the same data."""
    score, t, y = _tied_uplift_data(rng)
    base_q, base_u = qini_curve(score, t, y), uplift_curve(score, t, y)
    base_k = [uplift_at_k(score, t, y, k=k) for k in (0.1, 0.3, 0.5)]
    for _ in range(5):
        p = rng.permutation(len(score))
        assert qini_curve(score[p], t[p], y[p]).attrs["auc"] == pytest.approx(base_q.attrs["auc"], rel=1e-12)
        assert np.allclose(qini_curve(score[p], t[p], y[p])["model"], base_q["model"])
        assert uplift_curve(score[p], t[p], y[p]).attrs["auc"] == pytest.approx(base_u.attrs["auc"], rel=1e-12)
        assert [uplift_at_k(score[p], t[p], y[p], k=k) for k in (0.1, 0.3, 0.5)] == pytest.approx(base_k, rel=1e-12)


def test_uplift_at_k_ties_and_rounding_hand_worked():
    score = np.array([3.0, 2, 2, 2, 1, 1])
    t = np.array([1, 0, 1, 0, 1, 0])
    y = np.array([1, 0, 1, 1, 0, 0])
    # k = 0.5: m = 3 places; score 3 is in, the three customers tied at 2 share two places (2/3 each):
    # treated (1 + 2/3 x 1) / (1 + 2/3) = 1; control (2/3 x 0 + 2/3 x 1) / (4/3) = 0.5
    assert uplift_at_k(score, t, y, k=0.5) == pytest.approx(0.5)
    # k = 0.25: 1.5 customers rounds (half to even) to 2: score 3 and one place shared by three
    # treated (1 + 1/3) / (1 + 1/3) = 1; control (1/3 x 1) / (2/3) = 0.5
    assert uplift_at_k(score, t, y, k=0.25) == pytest.approx(0.5)
    # without ties and with k N whole, the plain difference of means, as scikit-uplift's
    # uplift_at_k(strategy="overall") takes the first int(k N) rows
    rng = np.random.default_rng(5)
    u, tt, yy = rng.random(200), rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    top = np.argsort(u, kind="mergesort")[::-1][: int(200 * 0.3)]
    ref = yy[top][tt[top] == 1].mean() - yy[top][tt[top] == 0].mean()
    assert uplift_at_k(u, tt, yy, k=0.3) == pytest.approx(ref, rel=1e-12)
    with pytest.raises(ValueError, match="holds only one arm"):
        uplift_at_k(score, t, y, k=1 / 6)


def test_random_scores_have_near_zero_normalized_area(rng):
    n = 20_000
    t = rng.integers(0, 2, n)
    y = rng.random(n) < 0.2 + 0.1 * t
    aucs = [qini_curve(rng.random(n), t, y).attrs["auc"] for _ in range(5)]
    assert abs(np.mean(aucs)) < 0.05


@pytest.mark.parametrize("method", ["two_model", "transformed_outcome", "x_learner"])
def test_uplift_models_find_a_known_effect(method, rng):
    n = 6000
    X = rng.normal(size=(n, 3))
    t = rng.integers(0, 2, n)
    tau = 0.25 * (X[:, 0] > 0)                     # only half the customers respond
    y = (rng.random(n) < 0.3 + tau * t).astype(int)
    model = fit_uplift(X, t, y, method=method, rng=1)
    pred = model.predict(X)
    # the transformed outcome has a much noisier target than the two-model fits (Athey & Imbens 2015)
    assert stats.pearsonr(pred, tau).statistic > (0.35 if method == "transformed_outcome" else 0.5)
    assert pred[X[:, 0] > 0].mean() - pred[X[:, 0] <= 0].mean() > 0.1


def test_uplift_estimates_track_the_worlds_true_effects(default_world):
    w = default_world
    e = w.retention_experiment.merge(w.truth_customers[["customer_id", "effect_email_discount", "effect_personal_call"]],
                                     on="customer_id")
    for arm, col in (("email_discount", "effect_email_discount"), ("personal_call", "effect_personal_call")):
        part = e[e["arm"].isin(["control", arm])]
        model = fit_uplift(part[FEATURES], (part["arm"] == arm).astype(int), part["active_90d"].astype(int),
                           method="two_model", estimator=LogisticRegression(max_iter=2000, C=0.5))
        pred = model.predict(e[FEATURES])
        r = stats.pearsonr(pred, e[col]).statistic
        assert r >= 0.3, (arm, r)


def test_targeting_beats_treating_everyone_and_no_one(default_world):
    w = default_world
    e = w.retention_experiment.merge(w.truth_customers[["customer_id", "effect_personal_call"]], on="customer_id")
    part = e[e["arm"].isin(["control", "personal_call"])]
    model = fit_uplift(part[FEATURES], (part["arm"] == "personal_call").astype(int), part["active_90d"].astype(int),
                       estimator=LogisticRegression(max_iter=2000, C=0.5))
    value = 80.0   # what a reactivated customer is worth over the next year (EUR)
    policy = targeting_policy(model.predict(e[FEATURES]), value, 6.0)
    true_gain = e["effect_personal_call"].to_numpy() * value - 6.0     # the truth, customer by customer
    policy_profit = true_gain[policy.contact.to_numpy()].sum()
    assert policy_profit > true_gain.sum()       # better than calling everyone
    assert policy_profit > 0                     # better than calling no one
    assert policy.curve["expected_profit"].iloc[0] == 0


def test_targeting_policy_hand_worked():
    pol = targeting_policy([0.10, 0.02, -0.05, 0.30], value=[100, 100, 100, 10], cost=5)
    assert pol.contact.tolist() == [True, False, False, False]   # 10-5 > 0; 2-5, -5-5, 3-5 < 0
    assert pol.total == pytest.approx(5.0)
    assert pol.curve["expected_profit"].max() == pytest.approx(5.0)


# --- plots ---------------------------------------------------------------------------------------------

def test_retention_plots_draw_the_numbers(default_world):
    e = default_world.retention_experiment
    arms = compare_arms(e, "arm", "active_90d")
    ax = plots.arms_plot(arms)
    assert np.allclose(ax.lines[0].get_xdata(), arms["lift"].dropna())
    pc = power_curve(0.3, [0.03, 0.05], [500, 1000, 2000])
    ax = plots.power_curve_plot(pc)
    assert np.allclose(ax.lines[0].get_ydata(), pc.iloc[0])
    q = qini_curve(e["days_since_last"], (e["arm"] != "control").astype(int), e["active_90d"].astype(int))
    ax = plots.qini_plot(q)
    assert np.allclose(ax.lines[0].get_ydata(), q["model"])
    pol = targeting_policy(np.linspace(-0.1, 0.3, len(e)), 50.0, 6.0)
    ax = plots.profit_curve_plot(pol)
    assert np.allclose(ax.lines[0].get_ydata(), pol.curve["expected_profit"])


# --- bad input and degenerate data (issue 11): a clear error or a defined result with a warning --------

@pytest.mark.parametrize("kwargs, match", [
    ({"alpha": 2}, r"`alpha` must be a significance level strictly between 0 and 1; got 2"),
    ({"alpha": 0}, r"`alpha` must be a significance level strictly between 0 and 1; got 0"),
    ({"ratio": 0}, r"`ratio` must be in"),
])
def test_power_curve_refuses_bad_levels(kwargs, match):
    with pytest.raises(ValueError, match=match):
        power_curve(0.1, [0.02], [1000], **kwargs)


@pytest.mark.parametrize("base, lifts", [(0.9, [0.2]), (0.1, [0.02, -0.1]), (0.1, [-0.3])])
def test_power_curve_refuses_rates_outside_0_1(base, lifts):
    # 0.9 + 0.2 = 1.1 used to give NaN with a RuntimeWarning from arcsin
    with pytest.raises(ValueError, match=r"`lifts`: base_rate \+ lift must be a rate strictly between 0 and 1; 1 lift"):
        power_curve(base, lifts, [100])


def test_power_curve_names_the_control_arm_when_arms_differ():
    from statsmodels.stats.power import NormalIndPower

    assert power_curve(0.1, [0.02], [1000]).columns.name == "n per arm"
    pc = power_curve(0.1, [0.02], [1000], ratio=2)
    assert pc.columns.name == "n_control"
    assert pc.attrs["n_treatment"].tolist() == [2000.0]
    h = 2 * np.arcsin(np.sqrt(0.12)) - 2 * np.arcsin(np.sqrt(0.10))
    assert pc.loc[0.02, 1000] == pytest.approx(NormalIndPower().power(h, nobs1=1000, alpha=0.05, ratio=2), rel=1e-12)
    assert plots.power_curve_plot(pc).get_xlabel() == "customers in the control arm (count)"


@pytest.mark.parametrize("n, base, power, ratio", [(3835, 0.10, 0.8, 1.0), (200, 0.5, 0.9, 1.0), (500, 0.02, 0.8, 3.0),
                                                   (100, 0.9, 0.8, 1.0), (30, 0.5, 0.8, 0.5)])
def test_minimum_detectable_effect_has_the_requested_power(n, base, power, ratio):
    from statsmodels.stats.power import NormalIndPower

    lift = minimum_detectable_effect(n, base, power=power, ratio=ratio)
    assert 0 < lift < 1 - base
    h = 2 * np.arcsin(np.sqrt(base + lift)) - 2 * np.arcsin(np.sqrt(base))
    assert NormalIndPower().power(h, nobs1=n, alpha=0.05, ratio=ratio) == pytest.approx(power, abs=1e-6)


@pytest.mark.parametrize("n, base", [(30, 0.9), (50, 0.99)])
def test_minimum_detectable_effect_is_nan_when_no_lift_reaches_the_power(n, base):
    # used to return 0.098 (power 0.59) and -0.022: the arcsine inversion wrapped past its peak
    from statsmodels.stats.power import NormalIndPower

    with pytest.warns(UserWarning, match=rf"no lift over base_rate={base:g} reaches power 0.8 with n={n} control "
                                         r"customers: even a rise to a rate of 1 has power 0\.\d\d"):
        assert np.isnan(minimum_detectable_effect(n, base))
    h_max = np.pi - 2 * np.arcsin(np.sqrt(base))    # the rise to a rate of 1
    assert NormalIndPower().power(h_max, nobs1=n, alpha=0.05) < 0.8


@pytest.mark.parametrize("kwargs, match", [
    ({"alpha": 0}, r"`alpha` must be a significance level strictly between 0 and 1; got 0"),
    ({"power": 1.5}, r"`power` must be a probability strictly between 0 and 1; got 1.5"),
    ({"power": 0.04, "alpha": 0.05}, r"`power` must exceed `alpha` \(0.05\)"),
    ({"alpha": "0.05"}, r"`alpha` must be a significance level"),
])
def test_minimum_detectable_effect_and_sample_size_refuse_bad_levels(kwargs, match):
    error = TypeError if isinstance(kwargs.get("alpha"), str) else ValueError
    with pytest.raises(error, match=match):
        minimum_detectable_effect(1000, 0.1, **kwargs)
    with pytest.raises(error, match=match):
        sample_size(0.1, 0.02, **kwargs)


def test_sample_size_refuses_a_lift_too_small_to_detect():
    # used to fail with "cannot convert float NaN to integer"
    with pytest.raises(ValueError, match=r"`min_lift`=1e-09 is too small to detect over base_rate=0.1: it would need "
                                         r"about 1.4e\+18 customers"):
        sample_size(0.1, 1e-9)
    assert sample_size(0.1, 1e-4) == pytest.approx(2 * (2.8016 / (1e-4 / np.sqrt(0.09))) ** 2, rel=1e-3)


@pytest.mark.parametrize("value", [0, 1])
def test_compare_arms_with_one_outcome_everywhere_warns_and_gives_p_1(value):
    df = pd.DataFrame({"arm": ["control"] * 5 + ["t"] * 5, "y": [value] * 10})
    with pytest.warns(UserWarning, match=rf"every outcome in arms 'control' and 't' is {value}; the score test is "
                                         r"undefined \(no variance\), so pvalue is set to 1"):
        out = compare_arms(df, "arm", "y")
    assert out.loc["t", "pvalue"] == stats.fisher_exact([[5 * value, 5 - 5 * value], [5 * value, 5 - 5 * value]])[1] == 1.0
    assert out.loc["t", "lift"] == 0.0
    assert np.isnan(out.loc["t", "rel_low"]) and np.isnan(out.loc["t", "rel_high"])


def test_compare_arms_with_one_value_everywhere_continuous_warns_and_gives_p_1():
    df = pd.DataFrame({"arm": ["control"] * 5 + ["t"] * 5, "y": [2.5] * 10})
    with pytest.warns(UserWarning, match=r"every outcome in arms 'control' and 't' is 2.5; Welch's t-test is undefined"):
        out = compare_arms(df, "arm", "y")
    assert out.loc["t", "pvalue"] == 1.0 and out.loc["t", "lift"] == 0.0 and out.loc["t", "rel_lift"] == 0.0
    assert out.attrs["kind"] == "continuous"


# --- coverage of the intervals: seeded simulations with a known truth (issue 10) -------------------------
# Each draws R small experiments from a fixed seed and counts how often the nominal 95% interval holds the
# true value. The count is binomial(R, 0.95) if the interval is right, so the tolerance is 3 standard
# errors of a proportion: 0.95 +- 3 sqrt(0.95 x 0.05 / R) (+-0.029 for R = 500).

def _within_binomial_tolerance(hits, nominal=0.95):
    hits = np.asarray(hits, dtype=bool)
    tol = 3 * np.sqrt(nominal * (1 - nominal) / len(hits))
    coverage = hits.mean()
    return abs(coverage - nominal) <= tol, f"coverage {coverage:.3f} over {len(hits)} replicates, {nominal} +- {tol:.3f}"


@pytest.fixture
def _no_gc_in_holm(monkeypatch):
    """statsmodels' Holm adjustment (``multipletests``, used by compare_arms) runs ``gc.collect()`` on every
    call, about 50 ms in a test process holding worlds; skipping it changes no number, only the time."""
    import gc

    monkeypatch.setattr(gc, "collect", lambda *args, **kwargs: 0)


@pytest.mark.usefixtures("_no_gc_in_holm")
@pytest.mark.parametrize("kind", ["binary", "continuous"])
def test_relative_lift_interval_covers_the_true_ratio(kind):
    """rel_low/rel_high: Katz's log interval for a ratio of proportions, the delta method on the log of a
    ratio of means; 500 experiments of 150 customers per arm, true relative lift +50% (0.20 -> 0.30) or
    +25% (mean revenue 0.4 x 50 -> 0.5 x 50 EUR, zero-inflated gamma)."""
    rng = np.random.default_rng(20261001)
    n, reps = 150, 500
    arm = np.repeat(["control", "treated"], n)
    if kind == "binary":
        p0, p1 = 0.20, 0.30
        truth = p1 / p0 - 1
        ys = np.c_[rng.random((reps, n)) < p0, rng.random((reps, n)) < p1].astype(int)
    else:
        truth = (0.5 * 50) / (0.4 * 50) - 1          # gamma(2, 25) has mean 50
        ys = np.c_[(rng.random((reps, n)) < 0.4) * rng.gamma(2, 25, (reps, n)),
                   (rng.random((reps, n)) < 0.5) * rng.gamma(2, 25, (reps, n))]
    hits = []
    for y in ys:
        row = compare_arms(pd.DataFrame({"arm": arm, "y": y}), "arm", "y").loc["treated"]
        hits.append(row["rel_low"] <= truth <= row["rel_high"])
    ok, message = _within_binomial_tolerance(hits)
    assert ok, message


def test_roi_interval_covers_the_true_roi():
    """roi_low/roi_high with a known cost per treated customer (a call at 2 EUR, as campaign_roi assumes):
    500 experiments of 150 customers per arm, 30% -> 45% active, revenue of an active customer gamma(2, 20)
    plus, half the time, gamma(1.5, 20): mean 55 EUR. True ROI = (margin x n x lift in mean revenue - cost) / cost."""
    rng = np.random.default_rng(20261002)
    n, reps, margin, cost = 150, 500, 0.3, 2.0
    arm = np.repeat(["control", "call"], n)

    def revenue(p):
        active = rng.random((reps, n)) < p
        more = rng.random((reps, n)) < 0.5
        return active, active * (rng.gamma(2, 20, (reps, n)) + more * rng.gamma(1.5, 20, (reps, n)))

    a0, r0 = revenue(0.30)
    a1, r1 = revenue(0.45)
    truth = (margin * (0.45 - 0.30) * (40 + 0.5 * 30) - cost) / cost        # per customer: n cancels
    hits = []
    for i in range(reps):
        df = pd.DataFrame({"arm": arm, "active": np.r_[a0[i], a1[i]].astype(int), "revenue": np.r_[r0[i], r1[i]],
                           "cost": np.r_[np.zeros(n), np.full(n, cost)]})
        row = campaign_roi(df, "arm", "active", "revenue", "cost", margin=margin).loc["call"]
        hits.append(row["roi_low"] <= truth <= row["roi_high"])
    ok, message = _within_binomial_tolerance(hits)
    assert ok, message
