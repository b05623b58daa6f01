"""customer_features: the kit's one computation of per-customer measures, checked by hand and
against the other functions that compute the same measure."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fidelia_kit.features import FEATURES, Feature, customer_features, features_dictionary
from fidelia_kit.segmentation import behaviour_features, rfm_table


@pytest.fixture
def log():
    """Customer 1 buys on 2024-03-01 (two receipts), 2024-05-31 and 2024-06-01 (as_of - 92, -1, -0:
    the last is on as_of and ignored); customer 2 on 2024-04-02 only; customer 3 registers and never buys."""
    tx = pd.DataFrame({
        "transaction_id": [1, 2, 3, 4, 5, 6],
        "customer_id": [1, 1, 2, 1, 1, 1],
        "date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-04-02", "2024-05-31", "2024-06-01", "2024-03-01"]),
        "amount": [10.0, 20.0, 50.0, 30.0, 99.0, 6.0],
        "gross_margin": [2.0, 5.0, -1.0, 6.0, 9.0, 1.0],
        "n_items": [1, 3, 2, 4, 1, 2],
        "channel": ["store", "online", "app", "store", "store", "store"],
        "payment_method": ["cash", "card", "mobile", "card", "card", "cash"],
        "discount": [0.0, 2.0, 0.0, 0.0, 0.0, 0.0],
        "points_earned": [10, 20, 50, 30, 99, 6],
        "points_redeemed": [0, 0, 0, 500, 0, 0],
    })
    complaints = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2024-05-01", "2024-06-01"])})
    customers = pd.DataFrame({"customer_id": [1, 2, 3, 4], "referred_by": pd.array([pd.NA, 1, 1, 1], "Int64"),
                              "first_seen": pd.to_datetime(["2024-03-01", "2024-04-02", "2024-05-05", "2024-06-01"])})
    return tx, complaints, customers


def test_every_measure_by_hand(log):
    tx, complaints, customers = log
    f = customer_features(tx, as_of="2024-06-01", complaints=complaints, customers=customers)
    assert list(f.index) == [1, 2, 3]  # customer 4 registered on as_of: not yet seen
    one, two, three = (f.loc[i] for i in (1, 2, 3))
    # customer 1: receipts 1, 2, 6 on 2024-03-01 (92 days before as_of), 4 on 2024-05-31
    assert one["n_receipts"] == 4 and one["n_purchases"] == 2
    assert one["n_purchases_90d"] == 1 and one["n_purchases_prev_90d"] == 1 and one["n_purchases_365d"] == 2
    assert one["trend"] == 0
    assert one["monetary_total"] == pytest.approx(66.0) and one["monetary_90d"] == pytest.approx(30.0)
    assert one["monetary_mean"] == pytest.approx(33.0) and one["avg_basket"] == pytest.approx(16.5)
    assert one["margin_total"] == pytest.approx(14.0)
    assert one["days_since_last"] == 1 and one["tenure_days"] == 92
    assert one["mean_gap_days"] == pytest.approx(91.0) and one["overdue"] == pytest.approx(1 / 91)
    assert one["online_share"] == 0.25 and one["app_share"] == 0.0 and one["digital_share"] == 0.25
    assert one["cash_share"] == 0.5 and one["mobile_share"] == 0.0 and one["discount_share"] == 0.25
    assert one["items_per_basket"] == pytest.approx(2.5) and one["points_balance"] == 66 - 500
    assert one["complaints"] == 1 and one["referrals"] == 2  # 2 and 3 registered before as_of, 4 on it
    # customer 2: one day, 60 days before as_of
    assert two["n_purchases_90d"] == 1 and two["n_purchases_prev_90d"] == 0 and two["trend"] == 1
    assert two["mean_gap_days"] == 60 and two["overdue"] == 1.0 and two["app_share"] == 1.0
    assert two["complaints"] == 0  # the complaint is dated as_of
    # customer 3 never bought: counts and sums 0, means and dates missing
    assert three["n_receipts"] == 0 and three["monetary_total"] == 0 and three["referrals"] == 0
    assert np.isnan(three["avg_basket"]) and pd.isna(three["last_purchase"]) and np.isnan(three["overdue"])
    assert f["n_receipts"].dtype == "int64" and f["points_balance"].dtype == "int64"


def test_default_as_of_is_the_day_after_the_last_receipt(log):
    tx, _, _ = log
    f = customer_features(tx)
    assert f.loc[1, "days_since_last"] == 1 and f.loc[1, "n_receipts"] == 5
    assert f.equals(customer_features(tx, as_of="2024-06-02"))


def test_row_order_does_not_matter(log):
    tx, complaints, customers = log
    a = customer_features(tx, as_of="2024-06-01", complaints=complaints, customers=customers)
    b = customer_features(tx.iloc[::-1], as_of="2024-06-01", complaints=complaints.iloc[::-1],
                          customers=customers.iloc[::-1])
    pd.testing.assert_frame_equal(a, b)


def test_it_agrees_with_rfm_table_and_behaviour_features_on_a_world(small_world):
    w = small_world
    f = customer_features(w.transactions, items=w.transaction_items)
    rfm = rfm_table(w.transactions)
    for col in ("days_since_last", "n_purchases", "monetary_total", "monetary_mean", "tenure_days"):
        np.testing.assert_allclose(f[col].astype(float), rfm[col].astype(float), rtol=1e-12, err_msg=col)
    b = behaviour_features(w.transactions, w.transaction_items)
    for col in ["avg_basket", "items_per_basket", "online_share", "app_share", "cash_share", "mobile_share",
                "discount_share"] + [c for c in b if c.startswith("cat_")]:
        np.testing.assert_allclose(f[col], b.loc[f.index, col], rtol=1e-12, err_msg=col)
    assert (f["n_receipts"] == b.loc[f.index].iloc[:, 0]).all()  # behaviour_features' receipt count


def test_the_vocabulary_is_documented_once():
    assert all(isinstance(v, Feature) and v.unit and v.meaning.endswith(".") for v in FEATURES.values())
    retired = {"purchase_days", "purchases_90d", "spend_total", "spend_90d", "spend_365d", "revenue", "total",
               "n_transactions"}
    assert not retired & set(FEATURES)
    text = features_dictionary()
    for name in FEATURES:
        assert f"| `{name}` |" in text


@pytest.mark.parametrize("kwargs, error, match", [
    ({"transactions": [1, 2]}, TypeError, "`transactions` must be a pandas DataFrame"),
    ({"transactions": pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"]})}, ValueError,
     r"`transactions` has no column\(s\) \['amount'\]"),
    ({"as_of": "not a date"}, ValueError, "`as_of` must be a date"),
    ({"as_of": "2020-01-01"}, ValueError, "no purchases before as_of=2020-01-01"),
    ({"complaints": pd.DataFrame({"customer_id": [1]})}, ValueError, r"`complaints` has no column\(s\) \['date'\]"),
    ({"customers": "customers.csv"}, TypeError, "`customers` must be a pandas DataFrame"),
])
def test_bad_input_is_named(log, kwargs, error, match):
    tx = log[0]
    with pytest.raises(error, match=match):
        customer_features(**{"transactions": tx, **kwargs})
