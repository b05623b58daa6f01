"""fidelia_kit.survey: reference values (pingouin, hand-worked), coverage and the world's truth."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.api as sm
from scipy import stats

from fidelia_kit import plots
from fidelia_kit.schema import REVERSE_ITEMS, SURVEY_ITEMS
from fidelia_kit.survey import (
    bartlett_sphericity,
    compare_nps,
    cronbach_alpha,
    driver_importance,
    factor_analysis,
    importance_performance,
    kmo,
    nps,
    nps_by,
    nps_category,
    omega,
    parallel_analysis,
    poststratify,
    rate_difference,
    response_rates,
    reverse_code,
    satisfaction_to_loyalty,
    scale_means,
    scale_scores,
    share_of_wallet_check,
)
from fidelia_kit.synth import generate_world, true_wallet_report_error

ALL_ITEMS = [i for items in SURVEY_ITEMS.values() for i in items]


@pytest.fixture(scope="module")
def survey(default_world):
    return default_world.survey_responses


@pytest.fixture(scope="module")
def reversed_items(survey):
    return reverse_code(survey[ALL_ITEMS], list(REVERSE_ITEMS))


# --- scoring and reliability ---------------------------------------------------------------------

def test_reverse_code_hand_worked():
    df = pd.DataFrame({"q1": [1, 5, np.nan], "q2": [2, 4, 3]})
    out = reverse_code(df, ["q1"])
    assert out["q1"].tolist()[:2] == [5.0, 1.0] and np.isnan(out["q1"].iloc[2])
    assert out["q2"].tolist() == [2, 4, 3]
    assert reverse_code(pd.DataFrame({"x": [0, 10]}), "x", scale=(0, 10))["x"].tolist() == [10.0, 0.0]
    with pytest.raises(ValueError, match=r"answers outside the scale 1-5 in column\(s\) \['q2'\]"):
        reverse_code(pd.DataFrame({"q2": [6]}), ["q2"])
    with pytest.raises(ValueError, match=r"`columns` \['q9'\] are not in `items`"):
        reverse_code(df, ["q9"])


def test_alpha_equals_pingouin_on_complete_answers(reversed_items):
    items = reversed_items[list(SURVEY_ITEMS["staff"])].dropna()
    ours = cronbach_alpha(items)
    ref_alpha, ref_ci = pg.cronbach_alpha(items)          # pingouin 0.7, Feldt interval rounded to 3 decimals
    assert ours.alpha == pytest.approx(ref_alpha, rel=1e-12)
    assert np.round(ours.ci, 3).tolist() == ref_ci.tolist()
    assert (ours.n, ours.k) == (len(items), 4)


def test_alpha_pairwise_equals_pingouin_with_missing_answers(reversed_items):
    items = reversed_items[list(SURVEY_ITEMS["accessibility"])]
    assert items.isna().any().any()
    ours = cronbach_alpha(items, missing="pairwise")
    ref_alpha, ref_ci = pg.cronbach_alpha(items, nan_policy="pairwise")
    assert ours.alpha == pytest.approx(ref_alpha, rel=1e-12)
    assert np.round(ours.ci, 3).tolist() == ref_ci.tolist()
    listwise = cronbach_alpha(items)
    assert listwise.n == len(items.dropna())
    assert listwise.alpha == pytest.approx(pg.cronbach_alpha(items, nan_policy="listwise")[0], rel=1e-12)


def test_item_table_hand_checks(reversed_items):
    items = reversed_items[list(SURVEY_ITEMS["communication"])].dropna()
    res = cronbach_alpha(items)
    for c in items.columns:
        rest = items.drop(columns=c).sum(axis=1)
        assert res.items.loc[c, "item_total_r"] == pytest.approx(items[c].corr(rest))
        assert res.items.loc[c, "alpha_if_deleted"] == pytest.approx(pg.cronbach_alpha(items.drop(columns=c))[0])


def test_every_construct_is_reliable_once_reversed_and_not_before(survey, reversed_items):
    for construct, items in SURVEY_ITEMS.items():
        after = cronbach_alpha(reversed_items[list(items)]).alpha
        assert after > 0.7, (construct, after)
        if any(i in REVERSE_ITEMS for i in items):
            assert cronbach_alpha(survey[list(items)]).alpha < after - 0.3, construct


def test_omega_recovers_known_loadings(rng):
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    f = rng.standard_normal(40_000)
    x = f[:, None] * lam + rng.standard_normal((40_000, 4)) * np.sqrt(1 - lam**2)
    truth = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert omega(pd.DataFrame(x, columns=list("abcd"))) == pytest.approx(truth, abs=0.01)


def test_kmo_and_bartlett_hand_worked():
    # equicorrelation 0.5 among 3 items: inverse has diagonal 1.5 and off-diagonal -0.5,
    # so every partial correlation is 1/3 and KMO = 6(1/4) / (6(1/4) + 6(1/9)) = 9/13
    r = pd.DataFrame(np.full((3, 3), 0.5) + 0.5 * np.eye(3), columns=list("abc"), index=list("abc"))
    res = kmo(r)
    assert res.overall == pytest.approx(9 / 13)
    assert res.items.tolist() == pytest.approx([9 / 13] * 3)
    assert res.items.index.tolist() == ["a", "b", "c"]
    # |R| = (1 - 0.5)^2 (1 + 2 x 0.5) = 0.5; chi2 = -(n - 1 - (2p + 5)/6) ln 0.5 with n = 101, p = 3
    test = bartlett_sphericity(r, n=101)
    assert test.statistic == pytest.approx(-(100 - 11 / 6) * np.log(0.5))
    assert test.df == 3 and test.pvalue == pytest.approx(stats.chi2.sf(test.statistic, 3)) and test.n == 101


def test_kmo_and_bartlett_results_still_unpack_with_a_deprecation_warning():
    r = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
    with pytest.warns(DeprecationWarning, match="unpacking kmo"):
        overall, _ = kmo(r)
    assert overall == pytest.approx(9 / 13)
    with pytest.warns(DeprecationWarning, match="unpacking bartlett_sphericity"):
        chi2, df, _ = bartlett_sphericity(r, n=101)
    assert df == 3 and chi2 == pytest.approx(-(100 - 11 / 6) * np.log(0.5))
    with pytest.warns(DeprecationWarning, match="indexing bartlett_sphericity"):
        assert bartlett_sphericity(r, n=101)[1] == 3


@pytest.mark.parametrize("corr, match", [(np.eye(3)[:2], "square correlation matrix"),
                                         (np.array([[1, 0.5], [0.4, 1]]), "symmetric correlation matrix"),
                                         (np.array([[2, 0.5], [0.5, 1]]), "ones on the diagonal")])
def test_kmo_and_bartlett_refuse_what_is_not_a_correlation_matrix(corr, match):
    with pytest.raises(ValueError, match=match):
        kmo(corr)
    with pytest.raises(ValueError, match=match):
        bartlett_sphericity(corr, n=50)


def test_parallel_analysis_finds_two_factors(rng):
    f = rng.standard_normal((1500, 2))
    load = np.array([[0.8, 0], [0.7, 0], [0.75, 0], [0, 0.8], [0, 0.7], [0, 0.75]])
    x = f @ load.T + rng.standard_normal((1500, 6)) * 0.6
    pa = parallel_analysis(pd.DataFrame(x), rng=1)
    assert pa.n_factors == 2 == int(pa.table["keep"].sum())
    assert pa.n_resamples == 100 and list(pa.to_frame().columns) == ["component", "observed", "random", "keep"]


def test_parallel_analysis_is_seeded_by_default_and_n_iter_is_deprecated(rng):
    x = pd.DataFrame(rng.standard_normal((200, 4)))
    pd.testing.assert_frame_equal(parallel_analysis(x, n_resamples=10).table, parallel_analysis(x, n_resamples=10).table)
    with pytest.warns(DeprecationWarning, match="`n_iter` is deprecated; use `n_resamples`"):
        old = parallel_analysis(x, n_iter=10)
    pd.testing.assert_frame_equal(old.table, parallel_analysis(x, n_resamples=10).table)


def test_factor_analysis_puts_every_item_on_its_own_construct(reversed_items):
    res = factor_analysis(reversed_items, n_factors="parallel", rng=0)
    assert res.n_factors == 5
    factor = res.assignment()
    for construct, items in SURVEY_ITEMS.items():
        assert factor[list(items)].nunique() == 1, construct
    assert factor.nunique() == 5
    assert res.kmo > 0.7 and res.bartlett.pvalue < 1e-10
    assert res.communalities.between(0, 1).all()
    assert res.variance["cumulative"].iloc[-1] == pytest.approx(res.communalities.sum() / len(ALL_ITEMS))


@pytest.mark.parametrize("n_factors, rotation", [(1, None), (5, None), (5, "varimax")])
def test_factor_analysis_reaches_the_ml_solution_of_statsmodels(reversed_items, n_factors, rotation):
    """scikit-learn's default tol=1e-2 (and randomized SVD) left the loadings 2e-3 to 4e-3 off."""
    from statsmodels.multivariate.factor import Factor

    items = reversed_items.dropna()
    ours = factor_analysis(items, n_factors=n_factors, rotation=rotation)
    ref = Factor(items.to_numpy(float), n_factors, method="ml", smc=False).fit()   # statsmodels: BFGS, gtol 1e-7
    L, R = ours.loadings.to_numpy(), ref.loadings
    # the ML solution is unique up to an orthogonal rotation: compare L L' (and the communalities)
    assert np.abs(L @ L.T - R @ R.T).max() < 1e-4
    assert np.abs(ours.communalities.to_numpy() - ref.communality).max() < 1e-4
    if n_factors == 1:   # one factor: the loadings themselves, up to sign
        assert np.abs(L[:, 0] - R[:, 0] * np.sign(R[:, 0].sum())).max() < 1e-4


@pytest.mark.parametrize("items, match", [
    (pd.DataFrame({"a": ["x", "y", "z"], "b": [1, 2, 3]}), r"column\(s\) \['a'\] are not numeric answers"),
    (pd.DataFrame({"a": [1, 2, 3]}), r"needs at least 2 item columns; got 1"),
    (pd.DataFrame({"a": [np.nan, np.nan], "b": [1.0, 2.0]}), r"column\(s\) \['a'\] have no answers \(all missing\)"),
    (pd.DataFrame({"a": [1.0, np.nan], "b": [np.nan, 2.0]}), r"only 0 respondent\(s\) answered every item"),
])
def test_alpha_bad_input(items, match):
    with pytest.raises(ValueError, match=match):
        cronbach_alpha(items)


def test_answers_out_of_scale_are_refused():
    with pytest.raises(ValueError, match=r"answers outside the scale 1-5 in column\(s\) \['b'\]"):
        scale_scores(pd.DataFrame({"a": [1, 2], "b": [3, 7]}), {"s": ["a", "b"]})


# --- NPS -----------------------------------------------------------------------------------------

def test_nps_hand_worked_and_se_equals_trinomial_mean_se():
    scores = pd.Series([10, 9, 8, 7, 6, 0, 9, 3])
    r = nps(scores)
    x = np.select([scores >= 9, scores <= 6], [1, -1], 0)
    assert r.nps == pytest.approx(100 * x.mean())                         # 3 promoters, 3 detractors: 0
    assert r.se == pytest.approx(100 * x.std(ddof=0) / np.sqrt(len(x)))    # SE of the +1/0/-1 scores
    assert (r.promoters, r.passives, r.detractors) == pytest.approx((3 / 8, 2 / 8, 3 / 8))
    z = stats.norm.isf(0.025)
    assert r.ci == pytest.approx((r.nps - z * r.se, r.nps + z * r.se))


def test_adjusted_wald_hand_worked():
    scores = [10] * 6 + [7] * 3 + [2]           # n = 10, 6 promoters, 1 detractor
    r = nps(scores, method="adjusted_wald")
    pa, da = (6 + 0.75) / 13, (1 + 0.75) / 13  # Rocks (2016): +3/4 each, n + 3
    half = 100 * stats.norm.isf(0.025) * np.sqrt((pa + da - (pa - da) ** 2) / 13)
    assert r.nps == pytest.approx(50.0)
    assert r.ci == pytest.approx((100 * (pa - da) - half, 100 * (pa - da) + half))


def test_weighted_nps_equals_replicated_answers():
    scores = pd.Series([10, 6, 8, 9])
    weighted = nps(scores, weights=[2, 1, 1, 3])
    replicated = nps(pd.Series([10, 10, 6, 8, 9, 9, 9]))
    assert weighted.nps == pytest.approx(replicated.nps)
    assert weighted.n == pytest.approx(49 / 15)   # Kish: (sum w)^2 / sum w^2


@pytest.mark.parametrize("method", ["wald", "adjusted_wald"])
def test_nps_interval_covers_the_truth_95_percent_of_the_time(method):
    rng = np.random.default_rng(2016)
    probs = np.array([0.2, 0.35, 0.45])        # detractors, passives, promoters -> true NPS 25
    truth = 100 * (probs[2] - probs[0])
    hits = 0
    reps = 2_000
    for _ in range(reps):
        cat = rng.choice(3, size=150, p=probs)
        scores = np.choose(cat, [3, 7, 10])
        lo, hi = nps(scores, method=method).ci
        hits += lo <= truth <= hi
    assert 0.93 <= hits / reps <= 0.97


def test_nps_by_and_compare(survey):
    df = survey.assign(group=np.where(survey["response_id"] % 2 == 0, "even", "odd"))
    table = nps_by(df, group_col="group")
    assert table.loc["even", "nps"] == pytest.approx(nps(df.loc[df["group"] == "even", "recommend"]).nps)
    a, b = nps([10, 10, 9, 2, 7]), nps([10, 3, 3, 5, 8, 9])
    c = compare_nps(a, b)
    assert c.difference == pytest.approx(b.nps - a.nps)
    assert c.se == pytest.approx(np.hypot(a.se, b.se))
    assert c.pvalue == pytest.approx(2 * stats.norm.sf(abs(c.difference) / c.se))


def test_compare_nps_uses_the_adjusted_wald_method_of_its_inputs_hand_worked():
    """compare_nps used Wald SEs even for adjusted-Wald inputs."""
    a_scores = [10] * 5 + [7] * 3 + [3] * 2            # n 10: 5 promoters, 2 detractors, NPS 30
    b_scores = [9] * 6 + [8] * 6 + [0] * 8             # n 20: 6 promoters, 8 detractors, NPS -10
    a, b = nps(a_scores, method="adjusted_wald"), nps(b_scores, method="adjusted_wald")
    c = compare_nps(a, b)
    # adjusted (Rocks 2016; Lewis & Sauro 2021): a: 5.75/13 promoters, 2.75/13 detractors; b: 6.75/23, 8.75/23
    na, va = 3 / 13, 8.5 / 13 - (3 / 13) ** 2            # adjusted NPS (share) and variance, a
    nb, vb = -2 / 23, 15.5 / 23 - (2 / 23) ** 2           # b
    se = 100 * np.sqrt(va / 13 + vb / 23)
    assert c.method == "adjusted_wald"
    assert c.difference == pytest.approx(-40.0)           # the plain NPS difference
    assert c.se == pytest.approx(se) and c.se == pytest.approx(27.41736, abs=1e-5)
    z = stats.norm.isf(0.025)
    assert c.ci == pytest.approx((100 * (nb - na) - z * se, 100 * (nb - na) + z * se))
    assert c.pvalue == pytest.approx(2 * stats.norm.sf(abs(100 * (nb - na)) / se))
    # arrays with method=, and the Wald method as before: sqrt(0.61 / 10 + 0.69 / 20)
    assert compare_nps(a_scores, b_scores, method="adjusted_wald").se == pytest.approx(se)
    w = compare_nps(a_scores, b_scores)
    assert (w.method, w.se) == ("wald", pytest.approx(100 * np.sqrt(0.61 / 10 + 0.69 / 20)))
    with pytest.raises(ValueError, match=r"different interval methods \(\['adjusted_wald', 'wald'\]\)"):
        compare_nps(a, nps(b_scores))


@pytest.mark.parametrize("scores, match", [
    ([3, 11], r"whole numbers 0-10; 1 value\(s\) are not: \[11.0\]"),
    ([3.5, 2], r"whole numbers 0-10"),
    (["high", "low"], r"must be numeric answers 0-10"),
    ([np.nan, np.nan], r"has no answers \(all missing\)"),
])
def test_nps_bad_input(scores, match):
    with pytest.raises(ValueError, match=match):
        nps(scores)


# --- drivers and IPA -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def construct_scores(survey):
    return scale_scores(survey, SURVEY_ITEMS, reverse=REVERSE_ITEMS).join(survey["overall_satisfaction"].astype(float))


@pytest.mark.parametrize("method", ["relative_weights", "shapley"])
def test_importances_sum_to_r2(construct_scores, method):
    drivers = list(SURVEY_ITEMS)
    out = driver_importance(construct_scores, outcome_col="overall_satisfaction", driver_cols=drivers, method=method)
    data = construct_scores.dropna()
    r2 = sm.OLS(data["overall_satisfaction"], sm.add_constant(data[drivers])).fit().rsquared
    assert out.table["estimate"].sum() == pytest.approx(r2)
    assert out.r2 == pytest.approx(r2) and out.n == len(data)
    assert out.table["share"].sum() == pytest.approx(1.0)


def test_shapley_equals_brute_force_over_orderings(construct_scores):
    drivers = ["staff", "accessibility", "communication", "added_services"]
    data = construct_scores[drivers + ["overall_satisfaction"]].dropna()

    def r2(cols):
        if not cols:
            return 0.0
        return sm.OLS(data["overall_satisfaction"], sm.add_constant(data[list(cols)])).fit().rsquared

    brute = dict.fromkeys(drivers, 0.0)
    orders = list(itertools.permutations(drivers))
    for order in orders:
        for i, d in enumerate(order):
            brute[d] += (r2(order[: i + 1]) - r2(order[:i])) / len(orders)
    ours = driver_importance(construct_scores, outcome_col="overall_satisfaction", driver_cols=drivers,
                             method="shapley").importance
    for d in drivers:
        assert ours[d] == pytest.approx(brute[d], abs=1e-10)


def test_relative_weights_of_orthogonal_drivers_are_squared_correlations(rng):
    x = rng.standard_normal((5_000, 3))
    x = np.linalg.qr(x - x.mean(axis=0))[0]       # exactly uncorrelated columns
    y = x @ np.array([3.0, 2.0, 1.0]) + 0.05 * rng.standard_normal(5_000)
    df = pd.DataFrame(np.column_stack([y, x]), columns=["y", "a", "b", "c"])
    out = driver_importance(df, outcome_col="y", driver_cols=["a", "b", "c"])
    for c in "abc":
        assert out.table.loc[c, "estimate"] == pytest.approx(df["y"].corr(df[c]) ** 2, abs=1e-9)


def test_driver_ranking_matches_the_truth(default_world, construct_scores):
    truth = pd.Series(default_world.truth["satisfaction"]["driver_weights"])
    for method in ("relative_weights", "shapley"):
        out = driver_importance(construct_scores, outcome_col="overall_satisfaction", driver_cols=list(SURVEY_ITEMS),
                                method=method)
        assert out.ranking == list(truth.sort_values(ascending=False).index), method


def test_bootstrap_intervals_are_seeded_and_bracket_the_estimate(construct_scores):
    drivers = list(SURVEY_ITEMS)
    a = driver_importance(construct_scores, outcome_col="overall_satisfaction", driver_cols=drivers, n_resamples=50, rng=3)
    b = driver_importance(construct_scores, outcome_col="overall_satisfaction", driver_cols=drivers, n_resamples=50, rng=3)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table
    assert ((t["ci_low"] <= t["estimate"]) & (t["estimate"] <= t["ci_high"])).all()
    assert a.n_resamples == 50 and a.ci == 0.95
    # the share of R^2 has its own interval: the same resamples, each driver's importance over that resample's R^2
    # (recomputed here by refitting every resample without bootstrap; R^2 varies between resamples, so it is not
    # the importance interval divided by the full sample's R^2)
    data = construct_scores[["overall_satisfaction"] + drivers].dropna()
    rng = np.random.default_rng(3)
    shares = np.array([driver_importance(data.iloc[rng.integers(0, len(data), len(data))], outcome_col="overall_satisfaction",
                                         driver_cols=drivers).table["share"].reindex(drivers).to_numpy()
                       for _ in range(50)])
    assert t["share_ci_low"].reindex(drivers).to_numpy() == pytest.approx(np.quantile(shares, 0.025, axis=0), rel=1e-9)
    assert t["share_ci_high"].reindex(drivers).to_numpy() == pytest.approx(np.quantile(shares, 0.975, axis=0), rel=1e-9)
    assert ((t["share_ci_low"] <= t["share"]) & (t["share"] <= t["share_ci_high"])).all()
    assert not np.allclose(t["share_ci_low"], t["ci_low"] / a.r2)


def test_driver_importance_old_signature_warns_and_gives_the_same_answer(construct_scores):
    drivers = list(SURVEY_ITEMS)
    new = driver_importance(construct_scores, outcome_col="overall_satisfaction", driver_cols=drivers, n_resamples=20)
    with pytest.warns(DeprecationWarning, match="pass `outcome_col`, `driver_cols` by name"):
        old = driver_importance(construct_scores, "overall_satisfaction", drivers, n_resamples=20)
    pd.testing.assert_frame_equal(old.table, new.table)
    with pytest.warns(DeprecationWarning, match="`n_boot` is deprecated; use `n_resamples`"):
        old = driver_importance(construct_scores, outcome="overall_satisfaction", drivers=drivers, n_boot=20)
    pd.testing.assert_frame_equal(old.table, new.table)


def test_importance_performance_quadrants_hand_worked():
    imp = pd.Series({"a": 4.5, "b": 4.4, "c": 2.0, "d": 2.1})
    perf = pd.Series({"a": 2.0, "b": 4.0, "c": 2.5, "d": 4.5})
    by_mean = importance_performance(imp, perf).table["quadrant"].to_dict()
    assert by_mean == {"a": "concentrate here", "b": "keep up the good work", "c": "low priority", "d": "possible overkill"}
    mid = importance_performance(imp, perf, cut="midpoint", scale=(1, 5))
    assert mid.importance_cut == mid.performance_cut == 3.0 and mid.table.loc["c", "quadrant"] == "low priority"
    assert mid.cut == "midpoint" and mid.to_frame()["attribute"].tolist() == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match=r"needs values on the scale 1-5; \['a'\]"):
        importance_performance(imp.replace(4.5, 6.0), perf, cut="midpoint")


def test_importance_performance_puts_an_attribute_within_its_interval_of_a_cross_hair_on_the_border():
    # Notebook 01 put accessibility in "concentrate here" with a performance of 3.346 against a cross-hair of
    # 3.350: a gap far inside the interval of a mean of about 2,000 answers. Hand-worked: the cross-hairs are the
    # means, importance (0.30 + 0.10 + 0.20) / 3 = 0.20 and performance (3.0 + 3.6 + 3.33) / 3 = 3.31.
    imp = pd.Series({"a": 0.30, "b": 0.10, "c": 0.20})
    perf = pd.Series({"a": 3.0, "b": 3.6, "c": 3.33})
    imp_ci = pd.DataFrame({"ci_low": [0.25, 0.05, 0.18], "ci_high": [0.35, 0.15, 0.22]}, index=["a", "b", "c"])
    perf_ci = pd.DataFrame({"ci_low": [2.95, 3.55, 3.28], "ci_high": [3.05, 3.65, 3.38]}, index=["a", "b", "c"])
    ipa = importance_performance(imp, perf, importance_ci=imp_ci, performance_ci=perf_ci)
    assert ipa.importance_cut == pytest.approx(0.20) and ipa.performance_cut == pytest.approx(3.31)
    assert ipa.table["on_border"].to_dict() == {"a": False, "b": False, "c": True}
    assert ipa.table.loc["a", "quadrant"] == "concentrate here"       # the point's quadrant is kept beside it
    assert ipa.sentence == ("Placed beyond the uncertainty of their intervals: a in concentrate here; b in possible "
                            "overkill. On the border, so no quadrant can be assigned from these data: c (its importance "
                            "and performance intervals contain the cross-hairs).")
    only_perf = importance_performance(imp, perf, performance_ci=perf_ci)
    assert "c (its performance interval contains the cross-hair)" in only_perf.sentence
    assert only_perf.sentence.startswith("Placed beyond the uncertainty of their performance intervals (the other "
                                         "axis has none, so it is taken as exact): a in concentrate here")
    none = importance_performance(imp, perf)
    assert not none.table["on_border"].any() and none.sentence.startswith("Without intervals")
    with pytest.raises(ValueError, match=r"`importance_ci` has no interval for \['c'\]"):
        importance_performance(imp, perf, importance_ci=imp_ci.loc[["a", "b"]])
    with pytest.raises(TypeError, match=r"`performance_ci` must be a DataFrame with columns ci_low and ci_high"):
        importance_performance(imp, perf, performance_ci=[(2.9, 3.1)] * 3)


def test_factor_match_finds_an_item_that_strays_from_its_construct():
    # two factors of three items each; b1 is written to measure factor a, though the questionnaire files it under b
    rng = np.random.default_rng(3)
    f = rng.standard_normal((800, 2))
    x = pd.DataFrame(f[:, [0, 0, 0, 1, 1, 1]] + 0.6 * rng.standard_normal((800, 6)),
                     columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    x["b1"] = f[:, 0] + 0.6 * rng.standard_normal(800)
    m = factor_analysis(x, n_factors=2).match({"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]})
    assert m["matches"].to_dict() == {"a1": True, "a2": True, "a3": True, "b1": False, "b2": True, "b3": True}
    assert m.loc["b1", "factor"] == m.loc["a1", "construct_factor"] != m.loc["b2", "construct_factor"]
    with pytest.raises(ValueError, match=r"`constructs\['c'\]`: items \['c1'\] were not in the factor analysis"):
        factor_analysis(x, n_factors=2).match({"c": ["c1"]})


def test_scale_means_match_statsmodels_t_interval():
    rng = np.random.default_rng(4)
    scores = pd.DataFrame({"x": rng.normal(3, 1, 50), "y": rng.normal(4, 0.5, 50)})
    scores.loc[:4, "y"] = np.nan
    got = scale_means(scores, ci=0.9)
    from statsmodels.stats.weightstats import DescrStatsW

    for col in scores:
        low, high = DescrStatsW(scores[col].dropna()).tconfint_mean(alpha=0.1)
        assert got.loc[col, ["ci_low", "ci_high"]].tolist() == pytest.approx([low, high], rel=1e-12)
    assert got["n"].tolist() == [50, 45]
    with pytest.raises(ValueError, match=r"columns \['z'\] have fewer than 2 answers"):
        scale_means(pd.DataFrame({"z": [1.0, np.nan]}))
    with pytest.raises(TypeError, match=r"`scores` must be a DataFrame"):
        scale_means(np.ones((3, 2)))


def test_nps_category_cut_points():
    got = nps_category(pd.Series([0, 6, 7, 8, 9, 10, None], dtype="Int64"))
    assert got.tolist()[:6] == ["detractor", "detractor", "passive", "passive", "promoter", "promoter"]
    assert pd.isna(got.iloc[6]) and got.cat.ordered
    with pytest.raises(ValueError, match="scores"):
        nps_category([11])


def test_response_rates_wilson_by_hand():
    # 3 of 4 answered: Wilson centre (3 + 1.96^2 / 2) / (4 + 1.96^2), half-width 1.96 / (4 + 1.96^2)
    # * sqrt(3 * 1 / 4 + 1.96^2 / 4)
    pop = pd.DataFrame({"customer_id": range(1, 9), "age": ["young"] * 4 + ["old"] * 4})
    got = response_rates(pop, [1, 5, 6, 7, 7], by="age")
    z = stats.norm.ppf(0.975)
    centre, half = (3 + z**2 / 2) / (4 + z**2), z / (4 + z**2) * np.sqrt(3 * 1 / 4 + z**2 / 4)
    assert got.loc["old", ["n", "responded", "rate"]].tolist() == [4, 3, 0.75]
    assert got.loc["old", ["ci_low", "ci_high"]].tolist() == pytest.approx([centre - half, centre + half], rel=1e-9)
    assert got.loc["young", "rate"] == 0.25
    with pytest.raises(ValueError, match=r"`respondents`: 1 ids are not in `population` \(e.g. \[99\]\)"):
        response_rates(pop, [1, 99], by="age")
    with pytest.raises(ValueError, match=r"`population` has 1 duplicate 'customer_id' values"):
        response_rates(pd.concat([pop, pop.iloc[:1]]), [1], by="age")
    with pytest.raises(ValueError, match=r"`population` has no column"):
        response_rates(pop, [1], by="region")


def test_rate_difference_newcombe_by_hand():
    # Newcombe (1998) method 10 from the two Wilson intervals (l1, u1), (l2, u2) of p1 = 50/100, p2 = 20/100:
    # low = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), high = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)
    pop = pd.DataFrame({"customer_id": range(1, 201), "age": ["young"] * 100 + ["old"] * 100})
    rates = response_rates(pop, list(range(1, 21)) + list(range(101, 151)), by="age")
    got = rate_difference(rates, "old", "young")
    (l1, u1), (l2, u2) = rates.loc["old", ["ci_low", "ci_high"]], rates.loc["young", ["ci_low", "ci_high"]]
    d = 0.5 - 0.2
    assert got["estimate"] == pytest.approx(d)
    assert got["ci_low"] == pytest.approx(d - np.sqrt((0.5 - l1) ** 2 + (u2 - 0.2) ** 2), rel=1e-9)
    assert got["ci_high"] == pytest.approx(d + np.sqrt((u1 - 0.5) ** 2 + (0.2 - l2) ** 2), rel=1e-9)
    assert rate_difference(rates, "young", "old")["estimate"] == pytest.approx(-d)
    with pytest.raises(ValueError, match=r"`reference` 'middle' is not a group of `rates`"):
        rate_difference(rates, "old", "middle")
    with pytest.raises(ValueError, match=r"`group` and `reference` must differ"):
        rate_difference(rates, "old", "old")


def test_response_rates_show_the_worlds_nonresponse(default_world):
    # the world makes older and more satisfied customers answer more (AGE_RESPONSE, nonresponse_satisfaction):
    # the rates by age band rise from the youngest to the oldest band, and by the truth's NPS group from
    # detractors to promoters, each with intervals apart
    w = default_world
    day = w.survey_responses["response_date"].min()
    tx = w.transactions
    active = tx.loc[(tx["date"] < day) & (tx["date"] >= day - pd.Timedelta(days=365)), "customer_id"].unique()
    pop = w.customers[w.customers["customer_id"].isin(active)]
    assert len(pop) == w.truth["survey"]["n_eligible"]
    by_age = response_rates(pop, w.survey_responses["customer_id"], by="age_band")
    assert by_age["ci_high"].iloc[0] < by_age["ci_low"].iloc[-1]
    assert by_age["responded"].sum() == w.truth["survey"]["n_responded"]
    truth = w.truth_customers.set_index("customer_id")["recommend"]
    pop = pop.assign(group=nps_category(pop["customer_id"].map(truth)).to_numpy())
    by_group = response_rates(pop, w.survey_responses["customer_id"], by="group")
    assert by_group.loc["detractor", "ci_high"] < by_group.loc["promoter", "ci_low"]


# --- behaviour and weighting ---------------------------------------------------------------------------

def test_satisfaction_to_loyalty_builds_the_outcomes_correctly():
    survey = pd.DataFrame({"customer_id": [1, 2, 3], "response_date": pd.to_datetime(["2024-01-10"] * 3),
                           "overall_satisfaction": [9, 3, 6], "recommend": [10, 2, 7]})
    tx = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3], "amount": [10.0, 5.0, 7.0, 4.0, 1.0],
                       "date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-12-01", "2024-01-20", "2024-12-31"])})
    # 1 bought 5 EUR in the 180 days after answering; 2 only later; 3 bought 4 EUR within and 1 later
    with pytest.warns(Warning):  # three rows are too few for a stable fit; statsmodels says so
        links = satisfaction_to_loyalty(survey, tx, horizon_days=180)
    d = links.data.set_index("customer_id")
    assert d["spend"].to_dict() == {1: 5.0, 2: 0.0, 3: 4.0}
    assert d["stayed"].to_dict() == {1: 1.0, 2: 0.0, 3: 1.0}


def test_satisfied_customers_stay_spend_and_recommend_more(survey, default_world):
    links = satisfaction_to_loyalty(survey, default_world.transactions)
    assert links.stay.params["overall_satisfaction"] > 0 and links.stay.pvalues["overall_satisfaction"] < 0.01
    assert links.spend.params["overall_satisfaction"] > 0
    assert links.recommend.params["overall_satisfaction"] > 0.5


def test_survey_docstring_examples_run():
    """The docstring examples are doctests (poststratify's once showed [0.5, 0.5, 2.0])."""
    import doctest

    import fidelia_kit.survey as module
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 3 and result.failed == 0


def test_poststratify_matches_population_margins():
    sample = pd.DataFrame({"age": ["y", "y", "y", "o"], "r": ["n", "s", "n", "s"]})
    population = pd.DataFrame({"age": ["y"] * 2 + ["o"] * 6, "r": ["n", "s"] + ["n", "s"] * 3})
    w = poststratify(sample, population, by="age")
    assert w.tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 3.0])  # y: (2/8)/(3/4); o: (6/8)/(1/4)
    share_o = w[sample["age"] == "o"].sum() / w.sum()
    assert share_o == pytest.approx(6 / 8)
    with pytest.warns(UserWarning, match=r"1 population cell\(s\) of \['age', 'r'\] have no respondents") as caught:
        poststratify(sample, population, by=["age", "r"])
    assert caught[0].filename == __file__     # the warning names the caller's line, not the kit's wrapper
    with pytest.raises(ValueError, match="cells not in `population`"):
        poststratify(sample.assign(age="z"), population, by="age")


def test_weighting_brings_the_nps_closer_to_the_population_truth(default_world, survey):
    w = default_world
    day = pd.Timestamp(w.truth["survey"]["date"])
    tx = w.transactions
    active = tx.loc[(tx["date"] < day) & (tx["date"] >= day - pd.Timedelta(days=365)), "customer_id"].unique()
    population = w.customers[w.customers["customer_id"].isin(active)]
    sample = survey.merge(w.customers, on="customer_id")
    weights = poststratify(sample, population, by=["age_band", "region"])
    truth = w.truth["survey"]["nps_population"]
    raw, weighted = nps(sample["recommend"]), nps(sample["recommend"], weights=weights)
    assert abs(weighted.nps - truth) < abs(raw.nps - truth) - 3
    assert weighted.se > raw.se  # weighting costs precision


# --- plots ---------------------------------------------------------------------------------------

def test_survey_plots_draw_the_numbers(survey, reversed_items, construct_scores):
    items = reversed_items[list(SURVEY_ITEMS["staff"])]
    ax = plots.likert_bars(items)
    widths = np.array([p.get_width() for p in ax.patches]).reshape(5, 4)   # 5 levels x 4 items
    expected = np.array([[(items[c] == lvl).sum() / items[c].notna().sum() for c in items.columns]
                         for lvl in range(1, 6)])
    assert np.allclose(widths, expected)
    assert ax.get_title() and "share" in ax.get_xlabel()

    fa = factor_analysis(reversed_items, n_factors=5)
    ax = plots.loadings_heatmap(fa)
    assert np.allclose(ax.collections[0].get_array().reshape(fa.loadings.shape), fa.loadings.to_numpy())

    table = nps_by(survey.merge(pd.DataFrame({"customer_id": survey["customer_id"], "half": survey["response_id"] % 2}),
                                on="customer_id"), group_col="half")
    ax = plots.nps_by_group(table)
    assert np.allclose(ax.lines[0].get_xdata(), table["nps"])

    imp = survey[[f"imp_{c}" for c in SURVEY_ITEMS]].mean().set_axis(list(SURVEY_ITEMS))
    ipa = importance_performance(imp, construct_scores[list(SURVEY_ITEMS)].mean())
    ax = plots.ipa_matrix(ipa)
    assert ax.get_xlabel().startswith("performance") and ax.get_ylabel() == "importance"
    # the intervals the border rests on are drawn, and the importance axis says its unit
    perf_ci = scale_means(construct_scores[list(SURVEY_ITEMS)])
    ax = plots.ipa_matrix(ipa, performance_ci=perf_ci, importance_label="stated importance (mean rating, 1-5)")
    bars = ax.collections[0].get_segments()          # one horizontal segment per attribute: its performance interval
    got = np.array(sorted((float(seg[0][0]), float(seg[1][0])) for seg in bars))
    assert got == pytest.approx(np.array(sorted(zip(perf_ci["ci_low"], perf_ci["ci_high"]))))
    assert ax.get_ylabel() == "stated importance (mean rating, 1-5)"
    with pytest.raises(TypeError, match="importance_label"):
        plots.ipa_matrix(ipa, importance_label=1)

    # the bars are shares of R^2 (the scale of the true weights, as the notebook's text reads them), not raw
    # variance explained (the bars used to show the latter, staff 0.19 instead of its share 0.42)
    drivers = driver_importance(construct_scores, outcome_col="overall_satisfaction", driver_cols=list(SURVEY_ITEMS),
                                n_resamples=30, rng=1)
    ax = plots.driver_bars(drivers)
    assert sorted(p.get_width() for p in ax.patches) == pytest.approx(sorted(drivers.table["share"]))
    assert sum(p.get_width() for p in ax.patches) == pytest.approx(1.0)
    assert f"R² = {drivers.r2:.2f}" in ax.get_title() and "share of R²" in ax.get_xlabel()
    ax = plots.driver_bars(drivers, value="estimate")
    assert sorted(p.get_width() for p in ax.patches) == pytest.approx(sorted(drivers.importance))
    with pytest.raises(ValueError, match="`value` must be one of"):
        plots.driver_bars(drivers, value="weights")


# --- bad input and degenerate data (issue 11): errors that name the argument and the columns ----------

def _three_items(seed=0, n=60):
    rng = np.random.default_rng(seed)
    base = rng.integers(1, 6, n)
    return pd.DataFrame({f"q{j}": np.clip(base + rng.integers(-1, 2, n), 1, 5) for j in range(1, 4)})


def test_alpha_refuses_items_without_variance():
    # used to give NaN with RuntimeWarnings
    with pytest.raises(ValueError, match=r"`items`: every item has the same answer from every respondent \(no "
                                         r"variance\), so alpha is 0 / 0; columns \['a', 'b'\]"):
        cronbach_alpha(pd.DataFrame({"a": [3] * 10, "b": [4] * 10}))


def test_alpha_refuses_items_that_cancel_out():
    # an item and its exact reverse used to give alpha = -inf
    with pytest.raises(ValueError, match=r"`items`: the sum of the items has no variance \(the items cancel out "
                                         r"exactly.*reverse_code\(\)"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [5, 4, 3, 2, 1]}))
    # with a third item alpha is defined, but deleting that item leaves the cancelling pair: NaN, not -inf
    items = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [5, 4, 3, 2, 1], "c": [1, 3, 2, 5, 4]})
    res = cronbach_alpha(items)
    assert res.alpha == pytest.approx(pg.cronbach_alpha(items)[0], rel=1e-12)
    assert np.isnan(res.items.loc["c", "alpha_if_deleted"])


@pytest.mark.parametrize("fn", [omega, lambda df: factor_analysis(df, n_factors=1)])
def test_omega_and_factor_analysis_name_a_constant_item(fn):
    # used to fail inside numpy ("Eigenvalues did not converge") or scikit-learn ("Input X contains NaN")
    with pytest.raises(ValueError, match=r"`items`: column\(s\) \['q3'\] have the same value in every row \(no variance\)"):
        fn(_three_items().assign(q3=3))


@pytest.mark.parametrize("fn", [omega, lambda df: factor_analysis(df, n_factors=1)])
def test_omega_and_factor_analysis_name_collinear_items(fn):
    items = _three_items()
    with pytest.raises(ValueError, match=r"`items`: column\(s\) \['q1', 'q4'\] are collinear"):
        fn(items.assign(q4=2 * items["q1"]))


@pytest.mark.parametrize("method", ["relative_weights", "shapley"])
def test_driver_importance_names_collinear_drivers(method):
    # relative weights used to return numbers for d = a + b; Shapley failed with IntCastingNaNError
    df = _three_items().assign(y=lambda d: d["q1"] + np.random.default_rng(1).normal(0, 1, len(d)))
    df["d"] = df["q1"] + df["q2"]
    with pytest.raises(ValueError, match=r"`df`: column\(s\) \['q1', 'q2', 'd'\] are collinear \(one is an exact "
                                         r"linear combination of the others\)"):
        driver_importance(df, outcome_col="y", driver_cols=["q1", "q2", "q3", "d"], method=method)


def test_driver_importance_names_a_constant_outcome():
    # used to be a bare LinAlgError("Singular matrix")
    with pytest.raises(ValueError, match=r"`df`: column\(s\) \['y'\] have the same value in every row"):
        driver_importance(_three_items().assign(y=4.0), outcome_col="y", driver_cols=["q1", "q2"])


@pytest.mark.parametrize("weights, match", [
    ([1, 2], r"`weights` must have one value per score \(3\); got 2"),
    ([0, 0, 0], r"`weights` are all 0; at least one must be positive"),
    ([1, -1, 1], r"`weights` must be >= 0; 1 are negative \(position 1\)"),
    ([1, np.nan, 1], r"`weights` has 1 missing or infinite value\(s\) \(position 1\)"),
])
def test_nps_refuses_bad_weights(weights, match):
    with pytest.raises(ValueError, match=match):
        nps([9, 10, 3], weights=weights)


def test_nps_refuses_weights_that_are_zero_on_every_answer():
    with pytest.raises(ValueError, match=r"`weights` are 0 for every answered score"):
        nps([9, np.nan, 3], weights=[0, 1, 0])
    assert nps([9, np.nan, 3], weights=[3, 1, 1]).nps == pytest.approx(100 * (3 - 1) / 4)


def test_the_ordered_logit_of_recommendation_equals_statsmodels_ordered_model():
    # satisfaction_to_loyalty fits its ordered logit with a faster logistic link; the fit must be
    # statsmodels' OrderedModel(distr="logit") exactly, parameters and standard errors.
    import pickle

    from statsmodels.miscmodels.ordinal_model import OrderedModel

    from fidelia_kit._ordinal import LogitOrderedModel

    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    y = np.digitize(1.2 * x + rng.logistic(size=400), [-2.0, -0.5, 0.5, 2.0])
    data = pd.DataFrame({"y": y, "x": x})
    ref = OrderedModel(data["y"], data[["x"]], distr="logit").fit(method="bfgs", disp=False, maxiter=500)
    fast = LogitOrderedModel(data["y"], data[["x"]]).fit(method="bfgs", disp=False, maxiter=500)
    np.testing.assert_allclose(fast.params, ref.params, rtol=1e-10)
    np.testing.assert_allclose(fast.bse, ref.bse, rtol=1e-8)
    assert abs(fast.params["x"] - 1.2) < 3 * fast.bse["x"]  # and it recovers the slope it was made with
    assert pickle.loads(pickle.dumps(fast.model)).__class__ is LogitOrderedModel


# --- the one API: options that became keyword-only still work by position, with a DeprecationWarning ------

def _warns_same(new, old_call, match):
    with pytest.warns(DeprecationWarning, match=match):
        old = old_call()
    return old, new


def test_options_passed_by_position_warn_and_give_the_same_answer():
    items = _three_items()
    scores = [10, 9, 9, 7, 3, 0, 8]
    old, new = _warns_same(nps(scores, weights=[1, 2, 1, 1, 1, 1, 3], ci=0.9),
                           lambda: nps(scores, [1, 2, 1, 1, 1, 1, 3], 0.9), r"nps: pass `weights`, `ci` by name")
    assert old == new
    old, new = _warns_same(cronbach_alpha(items, ci=0.9), lambda: cronbach_alpha(items, 0.9),
                           r"cronbach_alpha: pass `ci` by name")
    assert old.ci == new.ci
    old, new = _warns_same(reverse_code(items, ["q1"], scale=(0, 10)), lambda: reverse_code(items, ["q1"], (0, 10)),
                           r"reverse_code: pass `scale` by name")
    pd.testing.assert_frame_equal(old, new)
    old, new = _warns_same(scale_scores(items, {"s": ["q1", "q2"]}, reverse=["q2"]),
                           lambda: scale_scores(items, {"s": ["q1", "q2"]}, ["q2"]), r"scale_scores: pass `reverse` by name")
    pd.testing.assert_frame_equal(old, new)
    old, new = _warns_same(factor_analysis(items, n_factors=1, rotation=None),
                           lambda: factor_analysis(items, 1, None), r"factor_analysis: pass `n_factors`, `rotation` by name")
    pd.testing.assert_frame_equal(old.loadings, new.loadings)
    df = pd.DataFrame({"recommend": scores, "g": list("aabbabb"), "w": [1.0, 2, 1, 1, 1, 1, 3]})
    old, new = _warns_same(nps_by(df, group_col="g"), lambda: nps_by(df, "recommend", "g"),
                           r"nps_by: pass `score_col`, `group_col` by name")
    pd.testing.assert_frame_equal(old, new)
    old, new = _warns_same(nps_by(df, group_col="g", weights_col="w"), lambda: nps_by(df, group_col="g", weights="w"),
                           r"nps_by: `weights` is deprecated; use `weights_col`")
    pd.testing.assert_frame_equal(old, new)
    old, new = _warns_same(compare_nps(scores, scores[::-1], ci=0.9), lambda: compare_nps(scores, scores[::-1], 0.9),
                           r"compare_nps: pass `ci` by name")
    assert old.ci == new.ci
    sample, pop = pd.DataFrame({"g": ["a", "a", "b"]}), pd.DataFrame({"g": ["a", "b", "b", "b"]})
    old, new = _warns_same(poststratify(sample, pop, by="g"), lambda: poststratify(sample, pop, "g"),
                           r"poststratify: pass `by` by name")
    pd.testing.assert_series_equal(old, new)
    r = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
    old, new = _warns_same(bartlett_sphericity(r, n=101), lambda: bartlett_sphericity(r, 101),
                           r"bartlett_sphericity: pass `n` by name")
    assert old == new


def test_promoter_and_detractor_thresholds_are_the_kits_constants():
    from fidelia_kit.survey import DETRACTOR_MAX, PROMOTER_MIN

    assert (PROMOTER_MIN, DETRACTOR_MAX) == (9, 6)
    # one answer at each threshold and one just inside the passives
    r = nps([PROMOTER_MIN, DETRACTOR_MAX, DETRACTOR_MAX + 1, PROMOTER_MIN - 1])
    assert (r.promoters, r.detractors, r.passives) == (0.25, 0.25, 0.5)


def test_satisfaction_to_loyalty_reports_tidy_coefficients_and_takes_column_names(survey, default_world):
    links = satisfaction_to_loyalty(survey, default_world.transactions, horizon_days=120, ci=0.9)
    t = links.to_frame().set_index("model")
    assert t.loc["stay", "estimate"] == pytest.approx(links.stay.params["overall_satisfaction"])
    lo, hi = links.spend.conf_int(alpha=0.1).loc["overall_satisfaction"]
    assert (t.loc["spend", "ci_low"], t.loc["spend", "ci_high"]) == pytest.approx((lo, hi))
    assert links.n == len(links.data) and links.horizon_days == 120
    tx = default_world.transactions.rename(columns={"customer_id": "cid", "date": "day", "amount": "paid"})
    s = survey.rename(columns={"customer_id": "cid", "response_date": "answered", "recommend": "ltr"})
    other = satisfaction_to_loyalty(s, tx, horizon_days=120, ci=0.9, customer_col="cid", date_col="day",
                                    value_col="paid", response_date_col="answered", recommend_col="ltr")
    pd.testing.assert_frame_equal(other.coefficients, links.coefficients)
    # each row says what its estimate measures: log-odds, EUR and ordered-logit log-odds share one column
    assert t["unit"].to_dict() == {"stay": "log-odds of buying again, per point",
                                   "spend": "EUR spent in the horizon, per point",
                                   "recommend": "log-odds of a higher recommend, per point"}


# --- share_of_wallet_check ---------------------------------------------------------------------------

def _wallet(reported, true, dates=None):
    n = len(reported)
    survey = pd.DataFrame({"customer_id": range(1, n + 1), "response_date": dates or ["2024-05-01"] * n,
                           "share_of_wallet": pd.array(reported, dtype="Int64")})
    truth = pd.DataFrame({"customer_id": range(1, n + 1), "share_of_wallet": true})
    return survey, truth


def test_share_of_wallet_check_hand_worked():
    # differences 10, 10, 0, 10: mean 7.5, sd 5, se 2.5, t(3, 0.975) = 3.182446
    survey, truth = _wallet([80, 60, 30, 50], [70.0, 50.0, 30.0, 40.0])
    r = share_of_wallet_check(survey, truth)
    assert r.n == 4 and r.mean_difference == pytest.approx(7.5)
    assert r.ci == pytest.approx((7.5 - 3.182446 * 2.5, 7.5 + 3.182446 * 2.5), abs=1e-5)
    assert r.correlation == pytest.approx(np.corrcoef([80, 60, 30, 50], [70, 50, 30, 40])[0, 1])
    # Fisher z: atanh(r) +- 1.959964 / sqrt(n - 3)
    z = np.arctanh(r.correlation)
    assert r.correlation_ci == pytest.approx(tuple(np.tanh([z - 1.959964, z + 1.959964])), rel=1e-5)
    assert (r.exclusive_reported, r.exclusive_true, r.misclassified) == (1, 1, 0)


def test_share_of_wallet_check_misclassification_table_by_hand():
    # answers 80, 60, 75, 30 against truths 72, 71, 65, 20 at 70 %: customer 2 is exclusive but says
    # 60 (missed), customer 3 says 75 but is not (false exclusive)
    survey, truth = _wallet([80, 60, 75, 30], [72.0, 71.0, 65.0, 20.0])
    r = share_of_wallet_check(survey, truth)
    assert r.table.loc["exclusive", "exclusive"] == 1 and r.table.loc["not exclusive", "exclusive"] == 1
    assert r.table.loc["exclusive", "not exclusive"] == 1 and r.table.loc["not exclusive", "not exclusive"] == 1
    assert (r.exclusive_reported, r.exclusive_true, r.misclassified) == (2, 2, 2)
    assert share_of_wallet_check(survey, truth, exclusive_share=50).misclassified == 0   # all four agree at 50 %
    assert r.to_frame()["measure"].tolist() == ["mean_difference", "correlation"]


def test_share_of_wallet_check_takes_the_latest_answer_before_as_of():
    survey, truth = _wallet([80, 60, 30, 50], [70.0, 50.0, 30.0, 40.0])
    later = pd.DataFrame({"customer_id": [1, 2], "response_date": ["2024-09-01"] * 2,
                          "share_of_wallet": pd.array([70, pd.NA], dtype="Int64")})
    both = pd.concat([survey, later], ignore_index=True)
    r = share_of_wallet_check(both, truth)
    assert r.customers.loc[1, "reported"] == 70 and r.customers.loc[2, "reported"] == 60   # a blank does not count
    assert share_of_wallet_check(both, truth, as_of="2024-06-01").customers.loc[1, "reported"] == 80
    # people without a true share (never bought) are left out
    assert share_of_wallet_check(survey, truth.assign(share_of_wallet=[70.0, np.nan, 30.0, 40.0])).n == 3


def test_share_of_wallet_check_on_a_world_against_its_truth(small_world):
    w = small_world
    r = share_of_wallet_check(w.survey_waves, w.truth_customers)
    # computed independently: each respondent's latest answer with a share, against the truth
    s = w.survey_waves.dropna(subset=["share_of_wallet"]).sort_values(["customer_id", "response_date"])
    latest = s.drop_duplicates("customer_id", keep="last").set_index("customer_id")["share_of_wallet"].astype(float)
    true = w.truth_customers.set_index("customer_id")["share_of_wallet"].reindex(latest.index)
    assert r.n == true.notna().sum()
    assert r.exclusive_true == int((true >= 70).sum()) and r.exclusive_reported == int((latest >= 70).sum())
    assert r.mean_difference == pytest.approx(float((latest - true).mean()))
    # the world's answers misreport the true share by a known error: the interval covers its expectation
    report = w.truth["survey"]["share_of_wallet_report"]
    expected = true_wallet_report_error(r.customers["true"], bias=report["bias"], sd=report["sd"]).mean()
    assert r.ci[0] <= expected <= r.ci[1]


def test_share_of_wallet_check_on_a_world_without_reporting_error():
    """Answers that are the true share rounded to steps of 5: the interval covers the mean rounding
    error, each answer is within 2.5 points, and only truths in [67.5, 70) are misclassified."""
    w = generate_world(n_customers=1_000, seed=11, wallet_report_bias=0.0, wallet_report_sd=0.0)
    r = share_of_wallet_check(w.survey_waves, w.truth_customers)
    true = r.customers["true"]
    assert r.ci[0] <= float((5 * np.rint(true / 5) - true).mean()) <= r.ci[1]
    assert r.customers["difference"].abs().max() <= 2.5 + 1e-9
    wrong = r.customers[r.customers["exclusive_reported"] != r.customers["exclusive_true"]]
    assert ((wrong["true"] >= 67.5) & (wrong["true"] < 70)).all()


@pytest.mark.parametrize("change, match", [
    (lambda s, t: (s.drop(columns="share_of_wallet"), t), "no column"),
    (lambda s, t: (s.assign(share_of_wallet=120), t), "0 to 100"),
    (lambda s, t: (s, t.assign(share_of_wallet=-1.0)), "0 to 100"),
    (lambda s, t: (s, pd.concat([t, t.head(1)])), "duplicate"),
    (lambda s, t: (s.head(2), t), "at least 3"),
    (lambda s, t: (s.assign(share_of_wallet="high"), t), "numbers"),
])
def test_share_of_wallet_check_rejects_bad_input(change, match):
    survey, truth = _wallet([80, 60, 30, 50], [70.0, 50.0, 30.0, 40.0])
    with pytest.raises(ValueError, match=match):
        share_of_wallet_check(*change(survey, truth))
    with pytest.raises(ValueError, match="exclusive_share"):
        share_of_wallet_check(survey, truth, exclusive_share=150)
    with pytest.raises(ValueError, match="as_of"):
        share_of_wallet_check(survey, truth, as_of="not a date")
