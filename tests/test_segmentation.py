"""fidelia_kit.segmentation: hand-worked examples, invariants and the world's truth."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import adjusted_rand_score

from fidelia_kit import plots
from fidelia_kit.segmentation import (
    LADDER_RUNGS,
    RFM_SEGMENTS,
    CustomerClusters,
    behaviour_features,
    category_affinity,
    cluster_customers,
    cluster_traits,
    contact_plan,
    customer_profit,
    future_value_proxy,
    ladder_transitions,
    loyalty_ladder,
    pareto_curve,
    ranking_change,
    rfm_scores,
    rfm_segments,
    rfm_table,
    rfm_weights,
    value_by_score_group,
    value_tiers,
    weighted_rfm_score,
)


def _tx(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


# --- rfm_table ------------------------------------------------------------------------------

def test_rfm_table_hand_worked_with_same_day_purchases():
    tx = _tx([(1, "2024-01-01", 10.0), (1, "2024-01-01", 5.0), (1, "2024-01-10", 20.0), (2, "2024-01-05", 7.0)])
    rfm = rfm_table(tx)
    assert (rfm["as_of"] == pd.Timestamp("2024-01-11")).all()
    assert "as_of" not in rfm.attrs       # the column says it; attrs do not survive pandas operations
    assert rfm.loc[1, ["days_since_last", "n_purchases", "monetary_total", "monetary_mean", "tenure_days"]].tolist() == [1, 2, 35.0, 17.5, 10]
    assert rfm.loc[2, ["days_since_last", "n_purchases", "monetary_total", "tenure_days"]].tolist() == [6, 1, 7.0, 6]
    assert rfm.loc[1, "first_purchase"] == pd.Timestamp("2024-01-01")
    assert rfm.loc[1, "last_purchase"] == pd.Timestamp("2024-01-10")


def test_rfm_table_as_of_ignores_later_purchases():
    tx = _tx([(1, "2024-01-01", 10.0), (1, "2024-01-01", 5.0), (1, "2024-01-10", 20.0), (2, "2024-01-05", 7.0)])
    rfm = rfm_table(tx, as_of="2024-01-08")
    assert rfm.loc[1, ["days_since_last", "n_purchases", "monetary_total"]].tolist() == [7, 1, 15.0]
    assert rfm.loc[2, "days_since_last"] == 3
    with pytest.raises(ValueError, match="no purchases before as_of=2023-12-01"):
        rfm_table(tx, as_of="2023-12-01")


def test_rfm_table_single_customer_single_purchase():
    rfm = rfm_table(_tx([(9, "2025-05-05", 3.5)]))
    assert rfm.loc[9, ["days_since_last", "n_purchases", "tenure_days"]].tolist() == [1, 1, 1]
    assert rfm_scores(rfm).loc[9, ["R", "F", "M"]].tolist() == [1, 1, 1]


def test_rfm_table_matches_a_plain_pandas_groupby(small_world):
    tx = small_world.transactions
    rfm = rfm_table(tx)
    as_of = tx["date"].max() + pd.Timedelta(days=1)
    g = tx.groupby("customer_id")
    assert (rfm["n_purchases"] == g["date"].nunique()).all()
    assert np.allclose(rfm["monetary_total"], g["amount"].sum())
    assert (rfm["days_since_last"] == (as_of - g["date"].max()).dt.days).all()
    assert (rfm["tenure_days"] == (as_of - g["date"].min()).dt.days).all()


@pytest.mark.parametrize("change, match", [
    (lambda t: t.drop(columns=["amount"]), r"`transactions` has no column\(s\) \['amount'\]"),
    (lambda t: t.iloc[:0], r"`transactions` has no rows"),
    (lambda t: t.assign(amount=[-1.0, 2.0]), r"column 'amount' has 1 negative value\(s\)"),
    (lambda t: t.assign(date=["2024-01-01", "soon"]), r"column 'date' has 1 value\(s\) that are not dates"),
    (lambda t: t.assign(date=[1, 2]), r"column 'date' must hold dates; got numbers"),
    (lambda t: t.assign(amount=["a", "b"]), r"column 'amount' must hold numbers"),
])
def test_rfm_table_bad_input_names_the_column(change, match):
    tx = _tx([(1, "2024-01-01", 1.0), (2, "2024-01-02", 2.0)])
    with pytest.raises(ValueError, match=match):
        rfm_table(change(tx))


# --- rfm_scores ------------------------------------------------------------------------------

def _rfm(n_purchases, days=None, money=None):
    n = len(n_purchases)
    return pd.DataFrame({"days_since_last": days if days is not None else np.arange(n),
                         "n_purchases": n_purchases,
                         "monetary_total": money if money is not None else np.arange(1.0, n + 1),
                         "tenure_days": np.arange(n) + 10}, index=pd.Index(np.arange(1, n + 1), name="customer_id"))


def test_scores_with_heavy_ties_hand_worked():
    rfm = _rfm([1, 1, 1, 1, 1, 1, 2, 3, 4, 5])
    # 'equal': score = 1 + floor(q * (customers strictly below) / n)
    assert rfm_scores(rfm, ties="equal")["F"].tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    # 'split': equal-sized bins by rank, ties broken by customer id
    assert rfm_scores(rfm, ties="split")["F"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_recency_is_reversed_and_code_concatenates():
    rfm = _rfm([1, 2, 3, 4, 5], days=[50, 40, 30, 20, 10], money=[5.0, 4.0, 3.0, 2.0, 1.0])
    s = rfm_scores(rfm, tenure=True)
    assert s["R"].tolist() == [1, 2, 3, 4, 5]
    assert s["M"].tolist() == [5, 4, 3, 2, 1]
    assert s.loc[5, "rfm_code"] == "5515" and s.loc[5, "rfm_sum"] == 16


def test_one_time_buyers_only_and_fewer_customers_than_bins():
    rfm = _rfm([1, 1, 1])
    assert rfm_scores(rfm, q=5)["F"].tolist() == [1, 1, 1]
    assert rfm_scores(rfm, q=5, ties="split")["F"].tolist() == [1, 2, 4]


@pytest.mark.parametrize("kwargs, err, match", [
    ({"q": 1}, ValueError, r"`q` must be in \[2, 9\]"),
    ({"q": 12}, ValueError, r"`q` must be in \[2, 9\]"),
    ({"ties": "random"}, ValueError, r"`ties` must be one of \['equal', 'split'\]"),
    ({"q": 2.5}, TypeError, r"`q` must be an integer"),
])
def test_rfm_scores_bad_options(kwargs, err, match):
    with pytest.raises(err, match=match):
        rfm_scores(_rfm([1, 2]), **kwargs)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(1, 6), min_size=1, max_size=40), q=st.integers(2, 9),
       ties=st.sampled_from(["equal", "split"]), seed=st.integers(0, 1000))
def test_scores_are_in_range_and_row_order_does_not_matter(values, q, ties, seed):
    rfm = _rfm(values, days=[v * 3 % 7 for v in values], money=[float(v % 4) for v in values])
    s = rfm_scores(rfm, q=q, ties=ties)
    assert s[["R", "F", "M"]].isin(range(1, q + 1)).all().all()
    shuffled = rfm.sample(frac=1, random_state=seed)
    pd.testing.assert_frame_equal(rfm_scores(shuffled, q=q, ties=ties).loc[s.index], s)
    # a higher value never gets a lower score
    order = np.argsort(rfm["n_purchases"].to_numpy(), kind="stable")
    assert np.all(np.diff(s["F"].to_numpy()[order]) >= 0)


# --- rfm_segments -----------------------------------------------------------------------------

def test_standard_scheme_covers_every_cell_once_and_names_the_corners():
    grid = pd.DataFrame([(r, f) for r in range(1, 6) for f in range(1, 6)], columns=["R", "F"])
    seg = rfm_segments(grid)
    assert seg["segment"].notna().all() and len(RFM_SEGMENTS) == 11
    cell = seg.set_index(["R", "F"])["segment"]
    assert cell[(5, 5)] == "Champions" and cell[(1, 5)] == "Cannot lose them"
    assert cell[(5, 1)] == "New" and cell[(1, 1)] == "Lost" and cell[(3, 3)] == "Need attention"
    assert set(seg["segment"]) == set(RFM_SEGMENTS["segment"])


def test_custom_scheme_is_validated():
    scores = pd.DataFrame({"R": [1, 2, 3], "F": [3, 2, 1]})
    good = pd.DataFrame([("low", 1, 3, 1, 1), ("high", 1, 3, 2, 3)], columns=["segment", "r_min", "r_max", "f_min", "f_max"])
    assert rfm_segments(scores, scheme=good)["segment"].tolist() == ["high", "high", "low"]
    gap = good.iloc[:1]
    with pytest.raises(ValueError, match=r"cover every \(R, F\) cell exactly once; uncovered \[\(1, 2\)"):
        rfm_segments(pd.DataFrame({"R": [1], "F": [1]}), scheme=pd.concat([gap, gap.assign(f_min=3, f_max=3)]))
    overlap = pd.concat([good, good.iloc[:1]])
    with pytest.raises(ValueError, match=r"covered twice \[\(1, 1\)"):
        rfm_segments(scores, scheme=overlap)
    with pytest.raises(ValueError, match=r"standard scheme is for scores 1..5"):
        rfm_segments(pd.DataFrame({"R": [7], "F": [1]}))
    with pytest.raises(TypeError, match="`scheme` must be 'standard' or a DataFrame"):
        rfm_segments(scores, scheme=3)


# --- profit, tiers, pareto ----------------------------------------------------------------------

def test_customer_profit_hand_worked():
    tx = pd.DataFrame({"customer_id": [1, 2], "amount": [100.0, 50.0], "gross_margin": [30.0, 20.0],
                       "discount": [10.0, 0.0], "points_redeemed": [500, 0]})
    comp = pd.DataFrame({"customer_id": [1], "compensation": [20.0], "n_handoffs": [2]})
    p = customer_profit(tx, comp, cost_per_complaint=12.0, cost_per_handoff=6.0)
    # customer 1: list margin 30 + 10 = 40; costs 10 + 500 x 0.01 + 20 + (12 + 2 x 6) = 59
    assert p.loc[1, ["gross_margin_list", "cost_to_serve", "profit"]].tolist() == [40.0, 59.0, -19.0]
    assert p.loc[2, ["monetary_total", "profit"]].tolist() == [50.0, 20.0]
    # the caller's column names
    renamed = {"customer_id": "cid", "amount": "paid", "gross_margin": "margin", "discount": "disc",
               "points_redeemed": "pts"}
    comp2 = comp.rename(columns={"customer_id": "cid", "compensation": "comp", "n_handoffs": "hand"})
    p2 = customer_profit(tx.rename(columns=renamed), comp2, customer_col="cid", value_col="paid", margin_col="margin",
                         discount_col="disc", points_col="pts", compensation_col="comp", handoffs_col="hand")
    pd.testing.assert_frame_equal(p2.rename_axis("customer_id"), p)
    with pytest.raises(ValueError, match=r"`transactions` has no column\(s\) \['paid'\]"):
        customer_profit(tx, value_col="paid")


def test_value_tiers_hand_worked():
    profit = pd.Series([10.0, 9, 8, 7, 6, 5, 4, 3, 2, -5], index=range(1, 11))
    future = pd.Series([1.0, 1, 1, 1, 1, 50, 1, 1, 1, -3], index=range(1, 11))
    t = value_tiers(profit, future, top_share=0.2, potential_share=0.1)
    assert t.loc[[1, 2], "tier"].tolist() == ["high performance"] * 2
    assert t.loc[6, "tier"] == "high potential"
    assert t.loc[10, "tier"] == "below zero"
    assert (t.loc[[3, 4, 5, 7, 8, 9], "tier"] == "maintain").all()
    with pytest.raises(ValueError, match="`future_value` is missing for 1 customer"):
        value_tiers(profit, future.drop(3))


def test_pareto_gini_and_abc_hand_worked():
    r = pareto_curve(pd.Series([1.0, 2.0, 3.0, 4.0]))
    x = np.array([1.0, 2, 3, 4])
    assert r.gini == pytest.approx(np.abs(x[:, None] - x[None, :]).sum() / (2 * 16 * x.mean()))  # = 0.25
    assert r.gini == pytest.approx(0.25)
    r = pareto_curve(pd.Series([5.0, 50.0, 10.0, 5.0, 30.0], index=list("abcde")))
    assert r.classes.to_dict() == {"a": "B", "b": "A", "c": "B", "d": "C", "e": "A"}
    assert r.summary.loc["A", "share_value"] == pytest.approx(0.8)
    assert r.curve["share_value"].iloc[-1] == pytest.approx(1.0)


def test_whale_curve_with_unprofitable_customers():
    r = pareto_curve(pd.Series([10.0, 5.0, -5.0]))
    assert r.curve["share_value"].max() == pytest.approx(1.5)
    with pytest.raises(ValueError, match="must add up to more than 0"):
        pareto_curve(pd.Series([-1.0, 0.5]))


# --- the ladder ----------------------------------------------------------------------------------

@pytest.fixture
def mini_world():
    customers = pd.DataFrame({
        "customer_id": [1, 2, 3, 4, 5, 6, 7],
        "first_seen": pd.to_datetime(["2024-01-01"] * 6 + ["2024-06-01"]),
        "referred_by": pd.array([None, None, None, None, None, 4, None], dtype="Int64"),
    })
    d = pd.Timestamp("2024-01-01")
    rows = [(2, d)]                                                   # 2: one purchase -> buyer
    rows += [(3, d), (3, d + pd.Timedelta(days=40))]                  # 3: two days -> occasional
    rows += [(4, d + pd.Timedelta(days=30 * i)) for i in range(5)]    # 4: habitual, and referred 6 -> advocate
    rows += [(5, d + pd.Timedelta(days=20 * i)) for i in range(6)]    # 5: habitual; survey 80% share -> exclusive
    rows += [(6, d + pd.Timedelta(days=3)), (6, d + pd.Timedelta(days=200))]
    tx = pd.DataFrame(rows, columns=["customer_id", "date"])
    survey = pd.DataFrame({"customer_id": [5, 3], "response_date": pd.to_datetime(["2024-03-01", "2024-03-01"]),
                           "recommend": pd.array([7, 10], dtype="Int64"), "share_of_wallet": pd.array([80, 10], dtype="Int64")})
    return {"customers": customers, "transactions": tx, "survey_responses": survey}


def test_loyalty_ladder_hand_worked(mini_world):
    lad = loyalty_ladder(mini_world, as_of="2024-12-31", market_size=20)
    rung = lad.rungs["rung"].astype(str).to_dict()
    # 3 is a promoter (10), so an advocate despite only occasional buying
    assert rung == {1: "potential", 2: "buyer", 3: "advocate", 4: "advocate", 5: "exclusive", 6: "occasional", 7: "potential"}
    f = lad.funnel.set_index("rung")["people"]
    assert f["possible"] == 13 and f.sum() == 20
    assert list(lad.funnel["rung"]) == list(LADDER_RUNGS)
    early = loyalty_ladder(mini_world, as_of="2024-01-02", market_size=20)
    moved = ladder_transitions(early, lad)
    # the counts add up to the market, as the funnels do: 'possible' to 'possible' holds the 13 never registered
    # (it was 0, so the table added up to the 7 registered while the funnels added up to 20)
    assert moved.to_numpy().sum() == 20 and moved.loc["possible", "possible"] == 13
    with_totals = ladder_transitions(early, lad, totals=True)
    assert with_totals["total"].drop("total").tolist() == early.funnel["people"].tolist()   # rows: the earlier ladder
    assert with_totals.loc["total"].drop("total").tolist() == lad.funnel["people"].tolist()  # columns: the later one
    assert with_totals.loc["total", "total"] == 20
    with pytest.raises(ValueError, match="`totals` adds counts"):
        ladder_transitions(early, lad, normalize=True, totals=True)
    unknown = ladder_transitions(loyalty_ladder(mini_world, as_of="2024-01-02"), loyalty_ladder(mini_world, as_of="2024-12-31"))
    assert unknown.to_numpy().sum() == 7 and unknown.loc["possible", "possible"] == 0   # no market size: registered only
    assert moved.loc["possible", "potential"] == 1        # customer 7 registered in June
    assert moved.loc["buyer", "advocate"] == 2            # 3 and 4
    assert moved.loc["buyer", "exclusive"] == 1
    with pytest.raises(ValueError, match="must not be later"):
        ladder_transitions(lad, early)


def test_ladder_counts_add_up_to_the_population(default_world):
    lad = loyalty_ladder(default_world)
    assert lad.funnel["people"].sum() == default_world.truth["market_size"]
    assert (lad.funnel["rung"] != "possible").sum() == 6
    assert lad.funnel.set_index("rung").drop("possible")["people"].sum() == len(default_world.customers)
    truth = default_world.truth_customers.set_index("customer_id")
    assert (lad.rungs.loc[~truth["buyer"], "rung"] == "potential").all()


# --- clusters and tiers on the world ---------------------------------------------------------------

def test_clusters_recover_separated_blobs(rng):
    centers = np.array([[0, 0, 0], [12, 0, 0], [0, 12, 0]])  # far apart: no point can be confused
    truth = np.repeat([0, 1, 2], 200)
    X = pd.DataFrame(centers[truth] + rng.standard_normal((600, 3)), columns=["a", "b", "c"])
    for method in ("kmeans", "gmm"):
        res = cluster_customers(X, k=range(2, 6), method=method, rng=1)
        assert res.k == 3
        assert adjusted_rand_score(truth, res.labels) == pytest.approx(1.0)
        assert res.profile["size"].sum() == 600
    # the pipeline predicts new customers like the labels
    assert (res.pipeline.predict(X) == res.labels.to_numpy()).all()


@pytest.mark.parametrize("features, kwargs, err, match", [
    (pd.DataFrame({"a": ["x", "y", "z"]}), {}, ValueError, r"column\(s\) \['a'\] are not"),
    (pd.DataFrame({"a": [1.0, np.nan, 2.0]}), {}, ValueError, "missing values"),
    (pd.DataFrame({"a": [1.0, 2.0, 3.0]}), {"k": [1]}, ValueError, r"`k` must be integers >= 2"),
    (pd.DataFrame({"a": [1.0, 2.0, 3.0]}), {"k": [5]}, ValueError, "only 3 customers"),
    (pd.DataFrame({"a": [1.0, 2.0, 3.0]}), {"k": [2], "method": "dbscan"}, ValueError, r"`method` must be one of"),
])
def test_cluster_bad_input(features, kwargs, err, match):
    with pytest.raises(err, match=match):
        cluster_customers(features, **kwargs)


def test_clustering_recovers_the_latent_profiles(default_world):
    w = default_world
    feat = behaviour_features(w.transactions, w.transaction_items)
    res = cluster_customers(feat, k=range(2, 9), rng=0)
    truth = w.truth_customers.set_index("customer_id")["profile"].reindex(feat.index)
    ari = adjusted_rand_score(truth, res.labels)
    assert abs(res.k - 4) <= 1  # four latent profiles; the silhouette picks 5 by a hair (0.197 vs 0.196)
    assert ari >= 0.6, ari     # 0.78 on the default world


def test_value_tiers_track_future_value_better_than_rfm(default_world):
    """Customers the tiers say to retain or develop hold more of the truth's expected
    future spend than the same number of customers with the highest RFM sum."""
    w = default_world
    rfm = rfm_table(w.transactions)
    scores = rfm_scores(rfm)
    profit = customer_profit(w.transactions, w.complaints)["profit"].reindex(rfm.index)
    tiers = value_tiers(profit, future_value_proxy(rfm, profit))
    truth = w.truth_customers.set_index("customer_id")["expected_spend_52w"].reindex(rfm.index)
    chosen = tiers["tier"].isin(["high performance", "high potential"])
    top_rfm = scores["rfm_sum"].rank(method="first", ascending=False) <= chosen.sum()
    assert truth[chosen].sum() > truth[top_rfm].sum()
    assert stats.spearmanr(tiers["future_value"], truth).statistic > stats.spearmanr(scores["rfm_sum"], truth).statistic


# --- plots -------------------------------------------------------------------------------------------

def test_plots_draw_the_numbers(small_world):
    w = small_world
    rfm = rfm_table(w.transactions)
    scores = rfm_scores(rfm)
    ax = plots.rfm_heatmap(rfm, scores)
    expected = scores[["R", "F"]].join(rfm["monetary_mean"]).pivot_table(index="F", columns="R", values="monetary_mean")
    relative = 100 * (expected / rfm["monetary_mean"].mean() - 1)       # % above or below the average customer
    drawn = np.ma.filled(ax.collections[0].get_array(), np.nan).reshape(expected.shape)
    assert np.allclose(drawn, relative.sort_index(ascending=False).to_numpy(), equal_nan=True)
    # a diverging scale centred on the average, symmetric (it was viridis stretched from the smallest to the largest
    # cell mean, so cells a few euros apart looked as different as the scale allows)
    norm = ax.collections[0].norm
    assert norm.vmin == pytest.approx(-norm.vmax) and norm.vmax == pytest.approx(np.nanmax(np.abs(relative.to_numpy())))
    cmap = ax.collections[0].get_cmap()
    assert cmap(0.0)[0] > cmap(0.0)[2] and cmap(1.0)[2] > cmap(1.0)[0]      # red below the average, blue above
    assert "recency" in ax.get_xlabel() and "spend per purchase day" in ax.get_title()
    assert "monetary mean" not in ax.figure.axes[-1].get_ylabel()            # the colour bar says what it shows

    seg = rfm_segments(scores)
    ax = plots.segment_bars(seg, value=rfm["monetary_total"], value_label="revenue")
    widths = [p.get_width() for p in ax.patches]
    assert widths == seg["segment"].value_counts(sort=False).tolist()
    assert all(t.get_text().endswith("of revenue") for t in ax.texts)     # the share says of what ("of value" did not)

    res = pareto_curve(rfm["monetary_total"])
    ax = plots.pareto_plot(res, value_label="revenue")
    assert np.allclose(ax.lines[0].get_ydata(), res.curve["share_value"])
    assert "Gini" in ax.get_title()

    lad = loyalty_ladder(w)
    ax = plots.ladder_funnel(lad)
    assert sorted(p.get_width() for p in ax.patches) == sorted(lad.funnel.query("rung != 'possible'")["people"])

    feat = behaviour_features(w.transactions)
    cres = cluster_customers(feat, k=[3], rng=0)
    ax = plots.cluster_profiles(cres)
    assert ax.get_ylabel() == "cluster" and len(ax.get_yticklabels()) == 3


def test_cluster_traits_hand_worked():
    # online_share means 0.9, 0.1, 0.2: average 0.4, population SD sqrt((0.25 + 0.09 + 0.04) / 3) = 0.3559;
    # cluster 0's z = 0.5 / 0.3559 = 1.405, its strongest trait (avg_basket: (30 - 40.33) / 13.89 = -0.744)
    profile = pd.DataFrame({"size": [10, 20, 30], "share": [1 / 6, 1 / 3, 1 / 2], "online_share": [0.9, 0.1, 0.2],
                            "avg_basket": [30.0, 31.0, 60.0]}, index=pd.Index([0, 1, 2], name="cluster"))
    traits = cluster_traits(profile, n=2)
    first = traits.iloc[0]
    assert (first["cluster"], first["feature"], first["direction"]) == (0, "online_share", "high")
    assert first["z"] == pytest.approx(0.5 / np.sqrt(0.38 / 3)) and first["average"] == pytest.approx(0.4)
    assert traits.iloc[1]["z"] == pytest.approx((30 - 121 / 3) / np.std([30.0, 31.0, 60.0]))
    assert len(traits) == 6 and "size" not in set(traits["feature"]) and "share" not in set(traits["feature"])
    with pytest.raises(ValueError, match="`n`"):
        cluster_traits(profile, n=3)
    with pytest.raises(TypeError, match="`result` must be"):
        cluster_traits([1, 2])


def test_category_affinity_hand_worked():
    items = pd.DataFrame({"transaction_id": [1, 1, 2, 2, 3, 4], "category": ["a", "b", "a", "b", "a", "c"]})
    aff = category_affinity(items).set_index(["antecedent", "consequent"])
    # 4 baskets: a in 3, b in 2, a&b in 2 -> support 0.5, confidence(a->b) 2/3, lift (2/3)/(1/2)
    assert aff.loc[("a", "b"), "support"] == pytest.approx(0.5)
    assert aff.loc[("a", "b"), "confidence"] == pytest.approx(2 / 3)
    assert aff.loc[("a", "b"), "lift"] == pytest.approx(4 / 3)
    assert aff.loc[("b", "a"), "confidence"] == pytest.approx(1.0)
    assert ("a", "c") not in aff.index   # never together
    by = category_affinity(items, groups=pd.Series({1: "x", 2: "x", 3: "y", 4: "y"}))
    assert set(by["group"]) == {"x"}      # group y has no pair bought together


def test_category_affinities_differ_by_profile_as_the_world_says(default_world):
    w = default_world
    profile = w.truth_customers.set_index("customer_id")["profile"]
    basket_profile = w.transactions.set_index("transaction_id")["customer_id"].map(profile)
    aff = category_affinity(w.transaction_items, groups=basket_profile).sort_values("support", ascending=False)
    top_pair = aff.groupby("group").head(1).set_index("group")
    # the pairs each profile buys together most often come from its own favourite categories
    assert {top_pair.loc["family", "antecedent"], top_pair.loc["family", "consequent"]} <= {"grocery", "kids", "household"}
    assert {top_pair.loc["premium", "antecedent"], top_pair.loc["premium", "consequent"]} <= {"electronics", "home", "fashion"}
    # across all customers, categories of one profile go together (lift > 1), within a profile they do not
    overall = category_affinity(w.transaction_items).set_index(["antecedent", "consequent"])
    assert overall.loc[("kids", "household"), "lift"] > 1.2
    within = aff.set_index(["group", "antecedent", "consequent"])
    assert abs(within.loc[("family", "kids", "household"), "lift"] - 1) < 0.1


# --- bad input (issue 11): a date argument that is not a date is named ---------------------------------

@pytest.mark.parametrize("as_of", ["notadate", "2024-02-30", 5, ""])
def test_rfm_table_and_loyalty_ladder_name_an_as_of_that_is_not_a_date(as_of):
    # rfm_table used to fail inside pandas (DateParseError), or read 5 as 5 ns after 1970
    tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2024-01-01", "2024-01-11", "2024-01-05"],
                       "amount": [10.0, 30.0, 5.0]})
    with pytest.raises(ValueError, match=rf"`as_of` must be a date such as '2024-06-30'; got {as_of!r}\."):
        rfm_table(tx, as_of=as_of)
    customers = pd.DataFrame({"customer_id": [1, 2], "first_seen": ["2024-01-01"] * 2, "referred_by": [None, None]})
    with pytest.raises(ValueError, match=r"`as_of` must be a date"):
        loyalty_ladder({"customers": customers, "transactions": tx}, as_of=as_of)
    # a valid date with a time and a zone still means that day
    assert (rfm_table(tx, as_of="2024-01-20T15:00+02:00")["as_of"] == pd.Timestamp("2024-01-20")).all()


def test_silhouettes_of_many_labelings_equal_scikit_learns(rng):
    # cluster_customers scores every k from one pass over the distances; each score must equal
    # sklearn.metrics.silhouette_score on the same labeling (singletons score 0 there too).
    from sklearn.metrics import silhouette_score

    from fidelia_kit.segmentation.clusters import _silhouettes

    X = rng.normal(size=(700, 5))
    X[:100] += 3.0  # some structure
    labelings = [rng.integers(0, k, len(X)) for k in (2, 3, 7)] + [(X[:, 0] > 1.5).astype(int),
                                                                    np.r_[np.zeros(699, int), 5]]
    mine = _silhouettes(X, labelings, chunk=128)
    assert mine == pytest.approx([silhouette_score(X, lab) for lab in labelings], abs=1e-12)
    assert _silhouettes(X, [np.zeros(len(X), int)]) == [-1.0]


# --- the one API: old positions still work, with a DeprecationWarning ---------------------------------

def test_options_passed_by_position_warn_and_give_the_same_answer():
    tx = _tx([(1, "2024-01-01", 10.0), (1, "2024-01-10", 20.0), (2, "2024-01-05", 7.0), (3, "2024-01-07", 1.0)])
    with pytest.warns(DeprecationWarning, match=r"rfm_table: pass `as_of` by name"):
        old = rfm_table(tx, "2024-01-08")
    pd.testing.assert_frame_equal(old, rfm_table(tx, as_of="2024-01-08"))
    rfm = rfm_table(tx)
    with pytest.warns(DeprecationWarning, match=r"rfm_scores: pass `q` by name"):
        old = rfm_scores(rfm, 3)
    pd.testing.assert_frame_equal(old, rfm_scores(rfm, q=3))
    with pytest.warns(DeprecationWarning, match=r"rfm_segments: pass `scheme` by name"):
        old = rfm_segments(rfm_scores(rfm), "standard")
    pd.testing.assert_frame_equal(old, rfm_segments(rfm_scores(rfm)))
    customers = pd.DataFrame({"customer_id": [1, 2, 3], "first_seen": ["2024-01-01"] * 3, "referred_by": [None] * 3})
    tables = {"customers": customers, "transactions": tx}
    with pytest.warns(DeprecationWarning, match=r"loyalty_ladder: pass `as_of` by name"):
        old = loyalty_ladder(tables, "2024-01-08")
    pd.testing.assert_frame_equal(old.rungs, loyalty_ladder(tables, as_of="2024-01-08").rungs)
    X = pd.DataFrame({"a": [0.0, 0.1, 0.2, 5.0, 5.1, 5.2]})
    with pytest.warns(DeprecationWarning, match=r"cluster_customers: pass `k` by name"):
        old = cluster_customers(X, [2])
    assert old.k == 2 and old.labels.tolist() == cluster_customers(X, k=[2]).labels.tolist()


# --- behaviour features: receipts, channels and the caller's column names -----------------------------

def _receipts():
    return pd.DataFrame({
        "customer_id": [1, 1, 1, 2], "transaction_id": [10, 11, 12, 13],
        "date": ["2024-01-01", "2024-01-01", "2024-01-05", "2024-01-02"],   # customer 1: 3 receipts, 2 days
        "amount": [10.0, 20.0, 30.0, 8.0], "n_items": [1, 2, 3, 4],
        "channel": ["store", "online", "app", "app"], "payment_method": ["cash", "card", "mobile", "cash"],
        "discount": [0.0, 1.0, 0.0, 2.0]})


def test_behaviour_features_hand_worked_counts_receipts_and_channels_apart():
    tx = _receipts()
    f = behaviour_features(tx)
    assert "n_purchases" not in f.columns                     # it counts receipts: n_receipts
    assert f.loc[1, "n_receipts"] == 3 and rfm_table(tx).loc[1, "n_purchases"] == 2
    assert f.loc[1, ["avg_basket", "items_per_basket"]].tolist() == [20.0, 2.0]
    # online_share is channel 'online' only; 'app' has its own share
    assert f.loc[1, ["online_share", "app_share"]].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert f.loc[2, ["online_share", "app_share", "cash_share", "discount_share"]].tolist() == [0.0, 1.0, 1.0, 1.0]
    items = pd.DataFrame({"transaction_id": [10, 11, 11, 13], "category": ["food", "food", "toys", "toys"],
                          "amount": [10.0, 5.0, 15.0, 8.0]})
    mix = behaviour_features(tx, items)
    assert mix.loc[1, ["cat_food", "cat_toys"]].tolist() == [0.5, 0.5] and mix.loc[2, "cat_toys"] == 1.0


def test_behaviour_features_take_the_callers_column_names():
    names = {"customer_id": "cid", "transaction_id": "rid", "amount": "paid", "n_items": "k", "channel": "via",
             "payment_method": "pay", "discount": "off"}
    tx = _receipts().rename(columns=names)
    f = behaviour_features(tx, customer_col="cid", transaction_col="rid", value_col="paid", n_items_col="k",
                           channel_col="via", payment_col="pay", discount_col="off")
    pd.testing.assert_frame_equal(f.rename_axis("customer_id"), behaviour_features(_receipts()))
    with pytest.raises(ValueError, match=r"`transactions` has no column\(s\) \['customer_id'"):
        behaviour_features(tx)


# --- the clustering estimator -------------------------------------------------------------------------

def _blobs(rng, n=60):
    centers = np.array([[0, 0], [10, 0], [0, 10]])
    truth = np.repeat([0, 1, 2], n)
    return pd.DataFrame(centers[truth] + rng.standard_normal((3 * n, 2)), columns=["a", "b"]), truth


def test_customer_clusters_follows_the_estimator_contract(rng):
    import pickle

    from sklearn.metrics import silhouette_score

    from fidelia_kit._estimator import clone
    from fidelia_kit.exceptions import NotFittedError

    X, truth = _blobs(rng)
    model = CustomerClusters(k=range(2, 5), rng=3)
    assert model.get_params() == {"k": range(2, 5), "method": "kmeans", "sample_size": 5_000, "rng": 3}
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.predict(X)
    assert model.fit(X) is model
    assert model.k_ == 3 and adjusted_rand_score(truth, model.labels_) == pytest.approx(1.0)
    # the sample is every customer here, so each silhouette is scikit-learn's on the scaled features
    Z = model.pipeline_[:-1].transform(X)
    assert model.silhouette_ == pytest.approx(silhouette_score(Z, model.labels_), abs=1e-10)
    assert list(model.silhouettes_.index) == [2, 3, 4] and model.silhouettes_.idxmax() == 3
    assert (model.predict(X) == model.labels_).all()
    again = pickle.loads(pickle.dumps(model))
    assert (again.predict(X) == model.labels_).all()
    twin = clone(model).fit(X)                       # same settings, same seed: the same answer
    assert (twin.labels_ == model.labels_).all() and not hasattr(clone(model), "labels_")
    res = model.result()
    assert (res.k, res.silhouette) == (model.k_, model.silhouette_) and "ClusterResult(" in repr(res)
    assert res.to_frame()["size"].sum() == len(X)
    with pytest.raises(ValueError, match=r"no column\(s\) \['b'\]"):
        model.predict(X[["a"]])
    with pytest.raises(ValueError, match="has no setting `n_clusters`"):
        model.set_params(n_clusters=3)


def test_gaussian_mixture_also_reports_silhouettes(rng):
    X, _ = _blobs(rng)
    model = CustomerClusters(k=[2, 3], method="gmm").fit(X)
    assert model.k_ == 3 and list(model.scores_.columns) == ["silhouette", "bic"]
    assert model.scores_["bic"].idxmin() == 3 and model.silhouette_ > 0.7


# --- the loyalty ladder: answers dated before as_of, advocacy that expires --------------------------

def _ladder_tables():
    customers = pd.DataFrame({"customer_id": [1, 2, 3], "first_seen": ["2023-01-01"] * 3, "referred_by": [None] * 3})
    tx = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3],
                       "date": ["2023-01-05", "2023-02-05", "2023-01-05", "2024-05-05", "2023-01-05", "2024-05-05"]})
    # customer 2 answered twice: 10 in March 2023, then 5 in March 2024; customer 3 answered 8 once
    survey = pd.DataFrame({"customer_id": [2, 2, 3], "response_date": ["2023-03-01", "2024-03-01", "2023-03-01"],
                           "recommend": [10, 5, 8], "share_of_wallet": [50, 50, 50]})
    return {"customers": customers, "transactions": tx, "survey_responses": survey}


def test_ladder_uses_each_customers_latest_answer_before_as_of():
    t = _ladder_tables()
    mid = loyalty_ladder(t, as_of="2023-06-01")
    assert mid.rungs.loc[2, "rung"] == "advocate" and mid.rungs.loc[2, "response_date"] == pd.Timestamp("2023-03-01")
    late = loyalty_ladder(t, as_of="2024-06-01")
    # the 2024 answer (5) replaces the 2023 one (10): no longer a promoter
    assert late.rungs.loc[2, "recommend"] == 5 and late.rungs.loc[2, "rung"] == "occasional"
    # an answer given after as_of is not known at as_of
    assert loyalty_ladder(t, as_of="2023-02-01").rungs.loc[2, "rung"] == "buyer"
    # a lower promoter threshold makes the 8 an advocate
    assert loyalty_ladder(t, as_of="2023-06-01", promoter_min=8).rungs.loc[3, "rung"] == "advocate"


def test_advocacy_expires_without_fresh_evidence():
    t = _ladder_tables()
    t["survey_responses"] = t["survey_responses"].iloc[[0]]       # customer 2's 10 of March 2023 only
    assert loyalty_ladder(t, as_of="2023-12-01").rungs.loc[2, "rung"] == "advocate"     # within 365 days
    assert loyalty_ladder(t, as_of="2024-06-01").rungs.loc[2, "rung"] == "occasional"   # 15 months later: expired
    assert loyalty_ladder(t, as_of="2024-06-01", window_days=500).rungs.loc[2, "rung"] == "advocate"
    # customer 1 stopped buying in Feb 2023: occasional (two days), never habitual, not an advocate
    assert loyalty_ladder(t, as_of="2024-06-01").rungs.loc[1, "rung"] == "occasional"


def test_results_are_frozen_with_a_readable_repr_and_a_frame():
    import dataclasses

    lad = loyalty_ladder(_ladder_tables(), as_of="2024-06-01")
    with pytest.raises(dataclasses.FrozenInstanceError):
        lad.as_of = pd.Timestamp("2020-01-01")
    assert repr(lad).startswith("LoyaltyLadder(rungs=<DataFrame") and lad.to_frame()["people"].sum() == 3
    par = pareto_curve(pd.Series([60.0, 20.0, 10.0, 10.0]))
    # the top 20% of 4 customers is 0.8 of the first: 0.8 x 60% = 48% of the value
    assert par.top20_share == pytest.approx(0.48)
    assert par.to_frame()["customers"].tolist() == [2, 2, 0] and "gini=0.4" in repr(par)


# --- ladder moves: what the survey made, and demotions ---------------------------------------------------

def test_ladder_moves_hand_worked_separate_the_surveys_advocates_and_count_demotions():
    from fidelia_kit.segmentation import ladder_moves

    customers = pd.DataFrame({"customer_id": [1, 2, 3, 4], "first_seen": ["2023-01-01"] * 3 + ["2023-08-01"],
                              "referred_by": [None] * 4})
    monthly = [f"2023-{m:02d}-03" for m in range(1, 7)]
    tx = pd.DataFrame([(1, d) for d in monthly] + [(1, "2024-05-01")]            # 1: habitual, then rarely
                      + [(2, "2023-01-05"), (2, "2023-09-05")]                      # 2: occasional; answers 10 in Oct
                      + [(3, "2023-02-01")] + [(4, "2023-08-02")],                  # 3: buyer; 4: enters later
                      columns=["customer_id", "date"])
    survey = pd.DataFrame({"customer_id": [2, 3], "response_date": ["2023-10-01", "2023-10-01"],
                           "recommend": [10, 4], "share_of_wallet": [30, 10]})
    t = {"customers": customers, "transactions": tx, "survey_responses": survey}
    a, b = loyalty_ladder(t, as_of="2023-07-01"), loyalty_ladder(t, as_of="2024-06-01")
    assert a.rungs["rung"].astype(str).to_dict() == {1: "habitual", 2: "buyer", 3: "buyer"}
    assert b.rungs["rung"].astype(str).to_dict() == {1: "occasional", 2: "advocate", 3: "buyer", 4: "buyer"}
    m = ladder_moves(a, b)
    assert (m.moved_up, m.moved_down, m.stayed, m.entered) == (1, 1, 1, 1)
    assert m.habitual_to_occasional == 1
    assert (m.new_advocates, m.new_advocates_by_answer) == (1, 1)
    assert (m.answers_before, m.answers_between) == (0, 2)
    assert int(m.transitions.to_numpy().sum()) == 4


# --- lifecycle phases of the contact plan ----------------------------------------------------------------

def test_contact_phases_hand_worked_assign_every_phase():
    from fidelia_kit.segmentation import LIFECYCLE_PHASES, contact_phases

    days = {1: ["2024-12-01"],                                        # new: 31 days of tenure
            2: [f"2024-{m:02d}-10" for m in range(1, 13)],            # loyal and the biggest spender
            3: ["2023-06-01", "2023-12-20"],                          # silent for 378 days
            4: ["2024-03-01", "2024-10-01"],                          # active, not loyal
            5: [f"2024-{m:02d}-10" for m in range(6, 10)]}            # 4 purchase days, but spends little
    amounts = {1: 20.0, 2: 20.0, 3: 20.0, 4: 30.0, 5: 1.0}
    tx = pd.DataFrame([(c, d, amounts[c]) for c, ds in days.items() for d in ds],
                      columns=["customer_id", "date", "amount"])
    out = contact_phases(tx, as_of="2025-01-01")
    assert out["phase"].astype(str).tolist() == ["reaffirm", "enrich", "reactivate", "refresh", "refresh"]
    assert list(out["phase"].cat.categories) == list(LIFECYCLE_PHASES)
    assert out.loc[2, ["n_purchases_365d", "monetary_365d"]].tolist() == [12, 240.0]
    assert out.loc[1, "action"] == "welcome" and out.loc[3, "action"] == "win back"
    # median spend of the active customers 1, 2, 4, 5 is (20 + 60) / 2 = 40: customer 5 (4 EUR) is not valuable
    assert contact_phases(tx, as_of="2025-01-01", value_quantile=0.0).loc[5, "phase"] == "enrich"
    with pytest.raises(ValueError, match=r"`lapsed_days` must be in \[91,"):
        contact_phases(tx, lapsed_days=90)


def test_contact_phases_on_the_world_reach_every_phase_unlike_cluster_means(small_world):
    from fidelia_kit.segmentation import contact_phases

    phases = contact_phases(small_world.transactions)
    counts = phases["phase"].value_counts()
    assert (counts > 0).all(), counts
    # the cluster rule's 'reaffirm' needs a cluster averaging under 2 receipts: no cluster of this world does
    profile = cluster_customers(behaviour_features(small_world.transactions), k=range(2, 6)).profile
    assert (profile["n_receipts"] >= 2).all()
    assert "reaffirm" not in set(contact_plan(profile, frequency_col="n_receipts")["phase"])


@pytest.mark.parametrize("score, words", [(-0.2, "no substantial structure"), (0.25, "no substantial structure"),
                                          (0.3, "weak structure, which could be artificial"),
                                          (0.7, "a reasonable structure"), (0.71, "a strong structure")])
def test_silhouette_strength_follows_kaufman_and_rousseeuw(score, words):
    from fidelia_kit.segmentation import silhouette_strength

    assert silhouette_strength(score) == words


def test_silhouette_strength_refuses_what_is_not_a_silhouette():
    from fidelia_kit.segmentation import silhouette_strength

    with pytest.raises(ValueError, match=r"`score` must be in \[-1, 1\]"):
        silhouette_strength(1.5)
    with pytest.raises(TypeError, match="a mean silhouette"):
        silhouette_strength("0.3")


# --- future profit: the CLV net of the cost to serve --------------------------------------------------

def test_future_profit_hand_worked_and_the_undiscounted_fallback():
    from types import SimpleNamespace

    from fidelia_kit.segmentation import future_profit

    value = SimpleNamespace(table=pd.DataFrame({"clv": [30.0, 0.0], "expected_purchases": [3.2, 2.0],
                                                "expected_spend": [25.0, 10.0], "margin_rate": [0.4, 0.0]},
                                               index=[1, 2]))
    costs = pd.DataFrame({"cost_to_serve": [12.0, 9.0], "discounts": [4.0, 0.0]}, index=[1, 2])
    rfm = pd.DataFrame({"n_purchases": [4, 3]}, index=[1, 2])
    # 1: D = 30 / (0.4 x 25) = 3 discounted purchases; the 4 EUR of discounts are already out of the CLV's
    # margin, so (12 - 4) / 4 = 2 EUR each is charged: 30 - 6 = 24 (charging discounts again gave 21);
    # 2: no margin, 2 purchases at 3 EUR each
    assert future_profit(value, costs, rfm).tolist() == [24.0, -6.0]
    with pytest.raises(TypeError, match="result of fidelia_kit.clv.customer_value"):
        future_profit(value.table, costs, rfm)
    with pytest.raises(ValueError, match="discounts"):
        future_profit(value, costs[["cost_to_serve"]], rfm)


def test_future_profit_on_the_world_reaches_below_zero_where_the_bare_clv_cannot(small_world):
    from fidelia_kit.clv import customer_value
    from fidelia_kit.segmentation import future_profit

    w = small_world
    rfm = rfm_table(w.transactions)
    costs = customer_profit(w.transactions, w.complaints)
    value = customer_value(w.transactions)
    fp = future_profit(value, costs, rfm)
    clv = value.table["clv"].reindex(rfm.index)
    assert fp.notna().all() and (fp <= clv + 1e-9).all()
    # discounts are in the CLV's margin already: a customer whose only cost to serve is discounts keeps the CLV
    only_discounts = costs.index[((costs["cost_to_serve"] - costs["discounts"]).abs() < 1e-9)
                                 & (costs["discounts"] > 0)].intersection(rfm.index)
    assert len(only_discounts) > 0
    assert np.allclose(fp[only_discounts], clv[only_discounts])
    bare = value_tiers(costs["profit"].reindex(rfm.index), clv)
    net = value_tiers(costs["profit"].reindex(rfm.index), fp)
    assert (bare["tier"] == "below zero").sum() == 0 < (net["tier"] == "below zero").sum()


# --- RFM weights -----------------------------------------------------------------------------------

def test_weighted_rfm_score_by_hand_and_equal_weights_rank_as_the_sum():
    scores = pd.DataFrame({"R": [5, 1, 3], "F": [1, 5, 3], "M": [1, 3, 2], "T": [2, 2, 5]}, index=[7, 8, 9])
    # (3*5 + 1*1 + 1*1 + 0*2) / 5 = 3.4; (3 + 5 + 3) / 5 = 2.2; (9 + 3 + 2) / 5 = 2.8
    assert weighted_rfm_score(scores, weights={"R": 3, "F": 1, "M": 1, "T": 0}).tolist() == pytest.approx([3.4, 2.2, 2.8])
    assert weighted_rfm_score(scores, weights=[3, 1, 1, 0]).tolist() == pytest.approx([3.4, 2.2, 2.8])
    equal = weighted_rfm_score(scores)
    assert equal.tolist() == pytest.approx((scores.sum(axis=1) / 4).tolist())
    assert equal.name == "rfm_weighted" and list(equal.index) == [7, 8, 9]


@pytest.mark.parametrize("weights, error, match", [
    ({"R": 1, "F": 1}, ValueError, r"missing \['M'\]"),
    ({"R": 1, "F": 1, "M": 1, "X": 1}, ValueError, r"unknown \['X'\]"),
    ([1, 2], ValueError, "must have 3 values"),
    ({"R": -1, "F": 1, "M": 1}, ValueError, "weight of R must be a finite number >= 0"),
    ({"R": 0, "F": 0, "M": 0}, ValueError, "all 0"),
    ("recency", TypeError, "must be None, a dict"),
])
def test_weighted_rfm_score_rejects_bad_weights(weights, error, match):
    scores = pd.DataFrame({"R": [5, 1], "F": [1, 5], "M": [1, 3]})
    with pytest.raises(error, match=match):
        weighted_rfm_score(scores, weights=weights)


def test_rfm_weights_recover_known_weights_and_match_scipys_nnls():
    gen = np.random.default_rng(3)
    scores = pd.DataFrame(gen.integers(1, 6, size=(400, 4)), columns=list("RFMT"))
    later = pd.Series(6.0 * scores["R"] + 2.0 * scores["F"] + 0.0 * scores["M"] - 1.0 * scores["T"]
                      + gen.normal(0, 1, 400))
    res = rfm_weights(scores, later)
    # the negative slope of T is held at 0; R and F share the weight about 3:1
    assert res.weights["T"] == 0 and res.weights.sum() == pytest.approx(1.0)
    assert res.weights["R"] / res.weights["F"] == pytest.approx(3.0, rel=0.1)
    S = scores.to_numpy(float)
    from scipy.optimize import nnls
    beta, _ = nnls(S - S.mean(axis=0), later.to_numpy() - later.mean())
    assert res.coef.to_numpy() == pytest.approx(beta, rel=1e-9)
    # the fitted weights explain at least as much of the later value as equal weights (least squares)
    assert res.r2 >= res.r2_equal and res.n == 400
    # customers missing from later_value brought 0
    short = rfm_weights(scores, later.iloc[:200])
    assert short.n == 400


def test_rfm_weights_bootstrap_interval_covers_the_true_weights_and_is_seeded():
    gen = np.random.default_rng(3)
    scores = pd.DataFrame(gen.integers(1, 6, size=(400, 4)), columns=list("RFMT"))
    later = pd.Series(6.0 * scores["R"] + 2.0 * scores["F"] - 1.0 * scores["T"] + gen.normal(0, 1, 400))
    res = rfm_weights(scores, later, n_boot=200, ci=0.95, rng=1)
    true = pd.Series({"R": 0.75, "F": 0.25, "M": 0.0, "T": 0.0})       # 6 : 2 : 0 : 0 (the negative T held at 0)
    assert ((res.ci_low <= true + 1e-12) & (true <= res.ci_high + 1e-12)).all()
    assert ((res.ci_low <= res.weights + 1e-12) & (res.weights <= res.ci_high + 1e-12)).all()
    assert res.ci_high["R"] - res.ci_low["R"] < 0.05            # 400 customers, noise sd 1 against slopes of 2-6
    again = rfm_weights(scores, later, n_boot=200, ci=0.95, rng=1)
    assert again.ci_low.equals(res.ci_low) and res.n_boot == 200
    assert list(res.to_frame().columns) == ["weight", "coef", "ci_low", "ci_high"]
    assert rfm_weights(scores, later).ci_low is None
    # two nearly identical scores share one signal: the point estimate can give one of them 0, while its
    # bootstrap interval reaches far above 0 (a 0 weight does not mean the score carries no information)
    twin = scores.assign(F=np.where(gen.random(400) < 0.95, scores["R"], scores["F"]))
    pair = rfm_weights(twin, 1.0 * twin["R"] + 1.0 * twin["F"] + gen.normal(0, 3, 400), n_boot=200, rng=2)
    assert pair.ci_high[["R", "F"]].min() > 0.3
    with pytest.raises(ValueError, match="n_boot"):
        rfm_weights(scores, later, n_boot=-1)


def test_value_by_score_group_by_hand():
    score = pd.Series([5.0, 1.0, 4.0, 2.0, 3.0, 0.0], index=list("abcdef"))
    value = pd.Series({"a": 12.0, "b": 0.0, "c": 6.0, "d": 3.0, "e": 3.0})          # f bought nothing: 0
    g = value_by_score_group(score, value, n_groups=3)
    # top third: a, c (mean 9); middle: e, d (mean 3); bottom: b, f (mean 0); total 24, mean 4
    assert g["mean_value"].tolist() == [9.0, 3.0, 0.0] and g["customers"].tolist() == [2, 2, 2]
    assert g["share_value"].tolist() == pytest.approx([0.75, 0.25, 0.0])
    assert g["index"].tolist() == pytest.approx([2.25, 0.75, 0.0])
    with pytest.raises(ValueError, match="fewer than `n_groups`"):
        value_by_score_group(score, value, n_groups=7)
    with pytest.raises(TypeError, match="`value` must be a pandas Series"):
        value_by_score_group(score, [1.0] * 6)


def test_rfm_weights_on_a_world_predict_the_next_year_at_least_as_well_as_equal_weights(small_world):
    w = small_world
    tx = w.transactions
    cut = tx["date"].min() + (tx["date"].max() - tx["date"].min()) / 2
    scores = rfm_scores(rfm_table(tx, as_of=cut), tenure=True)
    later = tx[tx["date"] >= cut].groupby("customer_id")["amount"].sum()
    res = rfm_weights(scores, later)
    assert res.r2 >= res.r2_equal
    # the truth's expected future spend is ranked at least as well by the learned weights as by equal weights,
    # within 0.02 of Spearman's rho (they were fitted to realised, noisy spend, not to the truth)
    truth = w.truth_customers.set_index("customer_id")["expected_spend_52w"].reindex(scores.index).fillna(0)
    from scipy import stats
    rho_fit = stats.spearmanr(weighted_rfm_score(scores, weights=res.weights.to_dict()), truth).statistic
    rho_eq = stats.spearmanr(weighted_rfm_score(scores), truth).statistic
    assert rho_fit >= rho_eq - 0.02


def test_rfm_weights_bad_input():
    scores = pd.DataFrame({"R": [1, 2, 3, 4], "F": [1, 2, 1, 2], "M": [2, 2, 1, 1]})
    with pytest.raises(TypeError, match="`later_value` must be a pandas Series"):
        rfm_weights(scores, [1, 2, 3, 4])
    with pytest.raises(ValueError, match="no score predicts a higher later value"):
        rfm_weights(scores, pd.Series([5.0, 5.0, 5.0, 5.0]))        # the same later value for everyone
    with pytest.raises(ValueError, match="missing or infinite"):
        rfm_weights(scores, pd.Series([1.0, np.nan, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"no column\(s\) \['M'\]"):
        rfm_weights(scores.drop(columns="M"), pd.Series([1.0, 2.0, 3.0, 4.0]))


def test_ranking_change_by_hand_and_against_scipy():
    a = pd.Series([5.0, 4.0, 3.0, 2.0, 1.0], index=list("abcde"))
    b = pd.Series([4.0, 5.0, 1.0, 2.0, 3.0], index=list("abcde"))
    r = ranking_change(a, b, top_share=0.4)
    # ranks of b: 4, 5, 1, 2, 3; d = 1, -1, 2, 0, -2; rho = 1 - 6 * 10 / (5 * 24) = 0.5
    assert r.spearman == pytest.approx(0.5) and r.n_top == 2 and r.top_overlap == 1.0
    assert ranking_change(a, b, top_share=0.6).top_overlap == pytest.approx(2 / 3)
    from scipy import stats
    gen = np.random.default_rng(0)
    x = pd.Series(gen.integers(1, 6, 300).astype(float))
    y = x + gen.integers(0, 3, 300)
    assert ranking_change(x, y).spearman == pytest.approx(stats.spearmanr(x, y).statistic, rel=1e-12)
    # ties are broken by the customer index, so row order does not matter
    assert ranking_change(x.iloc[::-1], y).top_overlap == ranking_change(x, y).top_overlap


def test_ranking_change_bad_input():
    a = pd.Series([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="`score_b` must be a pandas Series"):
        ranking_change(a, [1, 2, 3])
    with pytest.raises(ValueError, match="the same customers"):
        ranking_change(a, pd.Series([1.0, 2.0, 3.0], index=[5, 6, 7]))
    with pytest.raises(ValueError, match="top_share"):
        ranking_change(a, a, top_share=0)
    with pytest.raises(ValueError, match="missing values"):
        ranking_change(a, pd.Series([1.0, np.nan, 2.0]))
