"""Figures for the analyses (seaborn). Every function draws on ``ax`` (a new one if None),
titles the figure, labels the axes with units, and returns the Axes."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._validation import check_frame

__all__ = [
    "rfm_heatmap",
    "segment_bars",
    "pareto_plot",
    "ladder_funnel",
    "cluster_profiles",
]


def _axes(ax, figsize=(7, 4.5)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def rfm_heatmap(rfm: pd.DataFrame, scores: pd.DataFrame, *, ax=None, value: str = "monetary_mean"):
    """Recency score x frequency score, coloured by the mean of ``value`` in each cell.

    ``rfm`` is :func:`~fidelia_kit.segmentation.rfm_table`'s output, ``scores``
    :func:`~fidelia_kit.segmentation.rfm_scores`'. Cells show the mean (EUR) and the
    number of customers.
    """
    import seaborn as sns

    check_frame("scores", scores, ["R", "F"])
    check_frame("rfm", rfm, [value])
    df = scores[["R", "F"]].join(rfm[[value]])
    table = df.pivot_table(index="F", columns="R", values=value, aggfunc="mean").sort_index(ascending=False)
    counts = df.pivot_table(index="F", columns="R", values=value, aggfunc="size").reindex_like(table)
    labels = table.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}") + "\n" + counts.map(
        lambda c: "" if pd.isna(c) else f"n={int(c)}")
    ax = _axes(ax)
    sns.heatmap(table, annot=labels.to_numpy(), fmt="", cmap="viridis", ax=ax,
                cbar_kws={"label": f"mean {value.replace('_', ' ')} (EUR)"}, annot_kws={"fontsize": 7})
    ax.set_title("RFM grid: recency x frequency, colour = monetary value")
    ax.set_xlabel("recency score R (5 = bought most recently)")
    ax.set_ylabel("frequency score F (5 = buys most often)")
    return ax


def segment_bars(segments: pd.DataFrame, *, value: pd.Series | None = None, ax=None):
    """Customers per RFM segment (bars), with each segment's share of ``value`` if given."""
    import seaborn as sns

    check_frame("segments", segments, ["segment"])
    counts = segments["segment"].value_counts(sort=False).rename("customers").reset_index()
    counts.columns = ["segment", "customers"]
    ax = _axes(ax)
    sns.barplot(data=counts, y="segment", x="customers", color="steelblue", ax=ax)
    if value is not None:
        share = value.reindex(segments.index).groupby(segments["segment"], observed=False).sum() / value.sum()
        for i, (seg, s) in enumerate(share.reindex(counts["segment"]).items()):
            ax.text(counts["customers"].iloc[i], i, f"  {s:.0%} of value", va="center", fontsize=8)
    ax.set_title("Customers per RFM segment")
    ax.set_xlabel("customers (count)")
    ax.set_ylabel("segment")
    return ax


def pareto_plot(result, *, ax=None, value_label: str = "value"):
    """The Pareto (Lorenz-type) curve: share of value by share of customers, largest first.

    ``result`` is :func:`~fidelia_kit.segmentation.pareto_curve`'s output. The diagonal is
    'everyone brings the same'; with negative values the curve peaks above 100% (whale curve).
    """
    import seaborn as sns

    curve = result.curve
    ax = _axes(ax, (6, 5))
    sns.lineplot(data=curve, x="share_customers", y="share_value", ax=ax, label="customers, largest first")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label="equal shares")
    top20 = float(np.interp(0.2, curve["share_customers"], curve["share_value"]))
    ax.axvline(0.2, color="grey", lw=0.8)
    ax.annotate(f"top 20% bring {top20:.0%}", (0.2, top20), xytext=(0.3, top20 - 0.15),
                arrowprops={"arrowstyle": "->"})
    ax.set_title(f"Concentration of {value_label} (Gini {result.gini:.2f})")
    ax.set_xlabel("share of customers (cumulative)")
    ax.set_ylabel(f"share of {value_label} (cumulative)")
    ax.legend(loc="lower right")
    return ax


def ladder_funnel(ladder, *, ax=None, include_possible: bool = False):
    """People on each rung of the loyalty ladder, bottom rung at the bottom."""
    import seaborn as sns

    funnel = ladder.funnel
    if not include_possible:
        funnel = funnel[funnel["rung"] != "possible"]
    ax = _axes(ax)
    data = funnel.iloc[::-1]
    sns.barplot(data=data, y="rung", x="people", color="seagreen", ax=ax, order=list(data["rung"]))
    for i, row in enumerate(data.itertuples()):
        ax.text(row.people, i, f"  {row.people:,}", va="center", fontsize=8)
    ax.set_title(f"The loyalty ladder on {ladder.as_of.date()}")
    ax.set_xlabel("people (count)")
    ax.set_ylabel("rung")
    return ax


def cluster_profiles(result, *, ax=None, columns=None):
    """Heat map of each cluster's mean features, standardised across clusters (z-scores)."""
    import seaborn as sns

    profile = result.profile
    cols = columns or [c for c in profile.columns if c not in ("size", "share", "value_share")]
    z = profile[cols]
    z = (z - z.mean()) / z.std(ddof=0).replace(0, 1)
    ax = _axes(ax, (8, 0.6 * len(profile) + 2))
    sns.heatmap(z, cmap="RdBu_r", center=0, annot=profile[cols].round(2).to_numpy(), fmt="", ax=ax,
                cbar_kws={"label": "z-score across clusters"}, annot_kws={"fontsize": 7})
    sizes = [f"{c} (n={int(n):,})" for c, n in profile["size"].items()]
    ax.set_yticklabels(sizes, rotation=0)
    ax.set_title(f"Cluster profiles ({result.method}, k={result.k}): mean of each feature")
    ax.set_xlabel("feature")
    ax.set_ylabel("cluster")
    return ax
