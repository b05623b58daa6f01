"""Figures for the analyses (seaborn). Every function draws on ``ax`` (a new one if None),
titles the figure, labels the axes with units, and returns the Axes."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._validation import check_frame, check_int, check_probability

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ._typing import Axes, DateLike
    from .programme import TierEffect
    from .retention.churn import ChurnEvaluation
    from .retention.experiments import ArmComparison
    from .retention.recovery import ToleranceResult
    from .retention.survival import CohortTable
    from .retention.uplift import TargetingPolicy, UpliftCurve
    from .segmentation.clusters import ClusterResult, CustomerClusters
    from .segmentation.ladder import LoyaltyLadder
    from .segmentation.value import ParetoResult
    from .survey import DriverImportance, FactorResult, IPAResult


__all__ = [
    "rfm_heatmap",
    "segment_bars",
    "pareto_plot",
    "ladder_funnel",
    "cluster_profiles",
    "likert_bars",
    "loadings_heatmap",
    "nps_by_group",
    "ipa_matrix",
    "driver_bars",
    "calibration_holdout_plot",
    "period_transactions_plot",
    "cumulative_tracking_plot",
    "btyd_matrix_plot",
    "arms_plot",
    "power_curve_plot",
    "qini_plot",
    "profit_curve_plot",
    "km_plot",
    "cohort_heatmap",
    "gains_plot",
    "calibration_plot",
    "response_rate_plot",
    "contact_rate_plot",
    "offer_plans_plot",
    "tolerance_plot",
    "tier_rd_plot",
    "tier_mix_plot",
    "score_group_plot",
]


def _axes(ax, figsize=(7, 4.5)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _intervals(ax, estimate, low, high, labels, color):
    """Point estimates with their intervals, one row each, and a dashed line at zero."""
    y = np.arange(len(estimate))
    ax.errorbar(estimate, y, xerr=np.vstack([estimate - low, high - estimate]), fmt="o", color=color, capsize=3)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(y, [str(i) for i in labels])


def rfm_heatmap(
    rfm: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    ax: Axes | None = None,
    value: str = "monetary_mean",
) -> Axes:
    """Recency score x frequency score, coloured by how far each cell's mean of ``value`` sits from all customers'.

    Parameters
    ----------
    rfm : DataFrame
        :func:`~fidelia_kit.segmentation.rfm_table`'s output.
    scores : DataFrame
        :func:`~fidelia_kit.segmentation.rfm_scores`' output (``R``, ``F``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.
    value : str, default="monetary_mean"
        Column of ``rfm`` whose mean each cell shows (EUR): ``monetary_mean`` is the spend
        per purchase day.

    Returns
    -------
    matplotlib.axes.Axes
        Cells show the mean (EUR) and the number of customers; the colour is the cell's mean
        relative to the mean of all customers (%), on a diverging scale centred at 0 and
        symmetric, so a colour's strength means the same above and below the average.

    Notes
    -----
    A sequential scale stretched from the smallest to the largest cell mean makes a gap of a
    few euros look as large as the whole scale; the diverging scale shows the sign and size
    of each cell's difference from the average customer.

    Examples
    --------
    Customers of two cells spend 10 and 30 EUR per purchase day; all spend 20 on average, so
    the cells are coloured -50% and +50%:

    >>> rfm = pd.DataFrame({"monetary_mean": [10.0, 30.0]}, index=[1, 2])
    >>> scores = pd.DataFrame({"R": [1, 2], "F": [1, 2]}, index=[1, 2])
    >>> ax = rfm_heatmap(rfm, scores)
    >>> sorted(v for v in ax.collections[0].get_array().compressed().round(6).tolist())
    [-50.0, 50.0]
    """
    import seaborn as sns

    check_frame("scores", scores, ["R", "F"])
    check_frame("rfm", rfm, [value])
    df = scores[["R", "F"]].join(rfm[[value]])
    table = df.pivot_table(index="F", columns="R", values=value, aggfunc="mean").sort_index(ascending=False)
    counts = df.pivot_table(index="F", columns="R", values=value, aggfunc="size").reindex_like(table)
    overall = float(df[value].mean())
    relative = 100 * (table / overall - 1)
    limit = float(np.nanmax(np.abs(relative.to_numpy()))) or 1.0
    labels = table.map(lambda v: "" if pd.isna(v) else f"{v:,.0f} EUR") + "\n" + counts.map(
        lambda c: "" if pd.isna(c) else f"n={int(c):,}")
    what = _RFM_VALUE_LABELS.get(value, value.replace("_", " "))
    ax = _axes(ax)
    sns.heatmap(relative, annot=labels.to_numpy(), fmt="", cmap="RdBu", center=0, vmin=-limit, vmax=limit, ax=ax,
                cbar_kws={"label": "% above (+) or below (-) the average"}, annot_kws={"fontsize": 7})
    ax.set_title(f"RFM grid: mean {what} (EUR)\ncolour: difference from the average of {overall:,.2f} EUR")
    ax.set_xlabel("recency score R (5 = bought most recently)")
    ax.set_ylabel("frequency score F (5 = buys most often)")
    return ax


_RFM_VALUE_LABELS = {"monetary_mean": "spend per purchase day", "monetary_total": "total spend"}


def segment_bars(segments: pd.DataFrame, *, value: pd.Series | None = None, ax: Axes | None = None,
                 value_label: str = "value") -> Axes:
    """Customers per RFM segment (bars), with each segment's share of ``value`` if given.

    Parameters
    ----------
    segments : DataFrame
        :func:`~fidelia_kit.segmentation.rfm_segments`' output (a ``segment`` column).
    value : Series, optional
        Value per customer (e.g. ``monetary_total``); each bar is labelled with its share.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.
    value_label : str, default="value"
        What ``value`` is, in the bars' labels ("revenue", "profit"): "12% of revenue".

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> seg = pd.DataFrame({"segment": pd.Categorical(["Lost", "Champions", "Lost"])})
    >>> [float(p.get_width()) for p in segment_bars(seg).patches]
    [1.0, 2.0]
    """
    import seaborn as sns

    check_frame("segments", segments, ["segment"])
    counts = segments["segment"].value_counts(sort=False).rename("customers").reset_index()
    counts.columns = ["segment", "customers"]
    ax = _axes(ax)
    sns.barplot(data=counts, y="segment", x="customers", color="steelblue", ax=ax)
    if value is not None:
        share = value.reindex(segments.index).groupby(segments["segment"], observed=False).sum() / value.sum()
        for i, (_segment, s) in enumerate(share.reindex(counts["segment"]).items()):
            ax.text(counts["customers"].iloc[i], i, f"  {s:.0%} of {value_label}", va="center", fontsize=8)
    ax.set_title("Customers per RFM segment")
    ax.set_xlabel("customers (count)")
    ax.set_ylabel("segment")
    return ax


def pareto_plot(result: ParetoResult, *, ax: Axes | None = None, value_label: str = "value") -> Axes:
    """The Pareto (Lorenz-type) curve: share of value by share of customers, largest first.

    Parameters
    ----------
    result : ParetoResult
        :func:`~fidelia_kit.segmentation.pareto_curve`'s output.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.
    value_label : str, default="value"
        What the values are, for the title and axis ("revenue", "profit").

    Returns
    -------
    matplotlib.axes.Axes
        The diagonal is 'everyone brings the same'; with negative values the curve peaks
        above 100% (the whale curve of profitability).

    Examples
    --------
    >>> from fidelia_kit.segmentation import pareto_curve
    >>> pareto_plot(pareto_curve(pd.Series([60.0, 20.0, 10.0, 10.0])), value_label="revenue").get_title()
    'Concentration of revenue (Gini 0.40)'
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


def ladder_funnel(ladder: LoyaltyLadder, *, ax: Axes | None = None, include_possible: bool = False) -> Axes:
    """People on each rung of the loyalty ladder, bottom rung at the bottom.

    Parameters
    ----------
    ladder : LoyaltyLadder
        :func:`~fidelia_kit.segmentation.loyalty_ladder`'s output.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.
    include_possible : bool, default=False
        Also draw the 'possible' rung (people in the market, not registered).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from fidelia_kit.segmentation import loyalty_ladder
    >>> customers = pd.DataFrame({"customer_id": [1, 2], "first_seen": ["2024-01-01"] * 2, "referred_by": [None] * 2})
    >>> tx = pd.DataFrame({"customer_id": [2], "date": ["2024-01-05"]})
    >>> ladder_funnel(loyalty_ladder({"customers": customers, "transactions": tx}, as_of="2024-02-01")).get_title()
    'The loyalty ladder on 2024-02-01'
    """
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


def cluster_profiles(
    result: ClusterResult | CustomerClusters, *, ax: Axes | None = None, columns: Sequence[str] | None = None
) -> Axes:
    """Heat map of each cluster's mean features, standardised across clusters (z-scores).

    Parameters
    ----------
    result : ClusterResult or CustomerClusters
        :func:`~fidelia_kit.segmentation.cluster_customers`' result, or a fitted
        :class:`~fidelia_kit.segmentation.CustomerClusters`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.
    columns : list of str, optional
        Features to show; default every feature of the profile.

    Returns
    -------
    matplotlib.axes.Axes
        Cells are annotated with the cluster means; colours are z-scores across clusters.

    Examples
    --------
    >>> from fidelia_kit.segmentation import CustomerClusters
    >>> X = pd.DataFrame({"a": [0.0, 0.2, 0.1, 5.0, 5.2, 5.1], "b": [1.0, 1.1, 0.9, 3.0, 3.2, 2.9]})
    >>> cluster_profiles(CustomerClusters(k=2).fit(X)).get_title()
    'Cluster profiles (kmeans, k=2): mean of each feature'
    """
    import seaborn as sns

    if hasattr(result, "profiles_"):
        profile, method, k = result.profiles_, result.method, result.k_
    else:
        profile, method, k = result.profile, result.method, result.k
    from .segmentation.clusters import _profile_zscores

    z = _profile_zscores(profile, columns)
    cols = list(z.columns)
    ax = _axes(ax, (8, 0.6 * len(profile) + 2))
    sns.heatmap(z, cmap="RdBu_r", center=0, annot=profile[cols].round(2).to_numpy(), fmt="", ax=ax,
                cbar_kws={"label": "z-score across clusters"}, annot_kws={"fontsize": 7})
    sizes = [f"{c} (n={int(n):,})" for c, n in profile["size"].items()]
    ax.set_yticklabels(sizes, rotation=0)
    ax.set_title(f"Cluster profiles ({method}, k={k}): mean of each feature")
    ax.set_xlabel("feature")
    ax.set_ylabel("cluster")
    return ax


# --- survey ---------------------------------------------------------------------------------------

def likert_bars(items: pd.DataFrame, *, scale: tuple[int, int] = (1, 5), ax: Axes | None = None) -> Axes:
    """Diverging stacked bars of Likert answers: disagreement left of zero, agreement right.

    Parameters
    ----------
    items : DataFrame
        Answers, one column per item.
    scale : (min, max), default=(1, 5)
        The answer scale.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The neutral midpoint is split half on each side. Bars are shares of the answers
        (missing answers left out); items keep their order from top to bottom.

    Examples
    --------
    >>> ax = likert_bars(pd.DataFrame({"q1": [1, 5, 5, 4], "q2": [2, 2, 3, 1]}))
    >>> ax.get_xlabel()
    'share of answers (disagree <- 0 -> agree)'
    """
    import matplotlib.pyplot as plt

    lo, hi = scale
    levels = list(range(int(lo), int(hi) + 1))
    shares = pd.DataFrame({lvl: (items == lvl).sum() for lvl in levels}).div(items.notna().sum(), axis=0)
    mid = (lo + hi) / 2
    colors = plt.get_cmap("RdBu")(np.linspace(0.1, 0.9, len(levels)))
    ax = _axes(ax, (8, 0.4 * len(shares) + 1.5))
    y = np.arange(len(shares))[::-1]
    neg_start = -(shares[[lvl for lvl in levels if lvl < mid]].sum(axis=1) + shares.get(mid, 0) / 2)
    left = neg_start.to_numpy().copy()
    for lvl, color in zip(levels, colors):
        width = shares[lvl].to_numpy()
        ax.barh(y, width, left=left, color=color, label=str(lvl), edgecolor="white", linewidth=0.5)
        left = left + width
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, shares.index)
    ax.set_xlabel("share of answers (disagree <- 0 -> agree)")
    ax.set_ylabel("item")
    ax.set_title("Answers to the Likert items")
    ax.legend(title="answer", ncol=len(levels), loc="lower center", bbox_to_anchor=(0.5, 1.06), fontsize=8)
    return ax


def loadings_heatmap(result: FactorResult, *, ax: Axes | None = None) -> Axes:
    """Heat map of factor loadings (items x factors).

    Parameters
    ----------
    result : FactorResult
        :func:`~fidelia_kit.survey.factor_analysis`' output.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from fidelia_kit.survey import factor_analysis
    >>> rng = np.random.default_rng(1)
    >>> f = rng.standard_normal((300, 1))
    >>> x = pd.DataFrame(f + 0.7 * rng.standard_normal((300, 4)), columns=list("abcd"))
    >>> loadings_heatmap(factor_analysis(x, n_factors=1)).get_ylabel()
    'item'
    """
    import seaborn as sns

    ax = _axes(ax, (6, 0.35 * len(result.loadings) + 1.5))
    sns.heatmap(result.loadings, annot=True, fmt=".2f", cmap="RdBu_r", center=0, vmin=-1, vmax=1, ax=ax,
                cbar_kws={"label": "loading (correlation with the factor)"}, annot_kws={"fontsize": 7})
    ax.set_title(f"Factor loadings ({result.rotation or 'unrotated'}; KMO {result.kmo:.2f})")
    ax.set_xlabel("factor")
    ax.set_ylabel("item")
    return ax


def nps_by_group(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """NPS per group with its confidence interval.

    Parameters
    ----------
    table : DataFrame
        :func:`~fidelia_kit.survey.nps_by`'s output (``nps``, ``ci_low``, ``ci_high`` per group).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from fidelia_kit.survey import nps_by
    >>> df = pd.DataFrame({"region": ["n", "n", "n", "s", "s", "s"], "recommend": [10, 3, 9, 9, 9, 7]})
    >>> nps_by_group(nps_by(df, group_col="region")).lines[0].get_xdata().round(1).tolist()
    [33.3, 66.7]
    """
    check_frame("table", table, ["nps", "ci_low", "ci_high"])
    ax = _axes(ax)
    _intervals(ax, table["nps"].to_numpy(), table["ci_low"].to_numpy(), table["ci_high"].to_numpy(), table.index, "navy")
    ax.set_xlabel("Net Promoter Score (points, -100 to 100)")
    ax.set_ylabel(table.index.name or "group")
    ax.set_title("NPS by group, with confidence intervals")
    return ax


def ipa_matrix(ipa: IPAResult | pd.DataFrame, *, importance_ci: pd.DataFrame | None = None,
               performance_ci: pd.DataFrame | None = None, importance_label: str = "importance",
               ax: Axes | None = None) -> Axes:
    """The importance-performance matrix with its cross-hairs, quadrant names and intervals.

    Parameters
    ----------
    ipa : IPAResult or DataFrame
        :func:`~fidelia_kit.survey.importance_performance`'s result (a table with
        ``importance``, ``performance`` and ``quadrant`` is accepted too; its cross-hairs
        are then the means).
    importance_ci, performance_ci : DataFrame, optional
        The intervals given to ``importance_performance`` (``ci_low``, ``ci_high`` per
        attribute), drawn as error bars: they decide which attributes are on the border.
    importance_label : str, default="importance"
        The importance axis's label, with its unit (derived importance is variance
        explained, stated importance a mean rating).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from fidelia_kit.survey import importance_performance
    >>> ipa = importance_performance(pd.Series({"a": 4.0, "b": 2.0}), pd.Series({"a": 2.0, "b": 4.0}))
    >>> ipa_matrix(ipa).get_title()
    'Importance-performance matrix'

    With intervals, an attribute on the border is drawn as such, not in a quadrant's colour,
    and the intervals are drawn around the points:

    >>> ci = pd.DataFrame({"ci_low": [1.5, 2.5], "ci_high": [2.5, 5.0]}, index=["a", "b"])
    >>> ax = ipa_matrix(importance_performance(pd.Series({"a": 4.0, "b": 2.0}), pd.Series({"a": 2.0, "b": 4.0}),
    ...                                        performance_ci=ci), performance_ci=ci,
    ...                 importance_label="stated importance (mean rating, 1-5)")
    >>> [t.get_text() for t in ax.get_legend().get_texts()], ax.get_ylabel()
    (['concentrate here', 'on the border'], 'stated importance (mean rating, 1-5)')
    """
    import seaborn as sns

    if hasattr(ipa, "table") and hasattr(ipa, "importance_cut"):
        table, ic, pc = ipa.table, ipa.importance_cut, ipa.performance_cut
    else:
        check_frame("ipa", ipa, ["importance", "performance", "quadrant"])
        table, ic, pc = ipa, ipa["importance"].mean(), ipa["performance"].mean()
    if not isinstance(importance_label, str):
        raise TypeError(f"`importance_label` must be a string; got {type(importance_label).__name__}.")
    ax = _axes(ax, (6.5, 5.5))
    if "on_border" in table:      # an attribute whose interval contains a cross-hair gets no quadrant's colour
        table = table.assign(quadrant=table["quadrant"].where(~table["on_border"].astype(bool), "on the border"))
    for axis, ci in (("importance", importance_ci), ("performance", performance_ci)):   # the intervals, as error bars
        if ci is None:
            continue
        check_frame(f"{axis}_ci", ci, ["ci_low", "ci_high"])
        ci = ci.reindex(table.index)
        err = np.vstack([(table[axis] - ci["ci_low"]).to_numpy(float), (ci["ci_high"] - table[axis]).to_numpy(float)])
        ax.errorbar(table["performance"], table["importance"], fmt="none", ecolor="grey", elinewidth=0.8, capsize=2,
                    **({"yerr": err} if axis == "importance" else {"xerr": err}))
    sns.scatterplot(data=table, x="performance", y="importance", hue="quadrant", s=80, ax=ax)
    for name, row in table.iterrows():
        ax.annotate(str(name), (row["performance"], row["importance"]), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.axhline(ic, color="grey", lw=0.8)
    ax.axvline(pc, color="grey", lw=0.8)
    ax.set_title("Importance-performance matrix")
    ax.set_xlabel("performance (mean rating, 1-5)")
    ax.set_ylabel(importance_label)
    return ax


def driver_bars(importance: DriverImportance | pd.DataFrame, *, value: str = "share", ax: Axes | None = None) -> Axes:
    """Driver importance as bars, as shares of R^2 (default) or as variance explained, with bootstrap intervals.

    Parameters
    ----------
    importance : DriverImportance or DataFrame
        :func:`~fidelia_kit.survey.driver_importance`'s result (a table indexed by driver
        with a ``share``, ``estimate`` or ``importance`` column is accepted too).
    value : {"share", "estimate"}, default="share"
        ``"share"``: each driver's share of R^2 (the shares add up to 1, the scale of the
        true weights), with ``share_ci_low``/``share_ci_high``; ``"estimate"``: the variance
        of the outcome explained (the bars add up to R^2), with ``ci_low``/``ci_high``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> table = pd.DataFrame({"estimate": [0.3, 0.1], "share": [0.75, 0.25]}, index=["staff", "access"])
    >>> sorted(float(p.get_width()) for p in driver_bars(table).patches)
    [0.25, 0.75]
    >>> sorted(float(p.get_width()) for p in driver_bars(table, value="estimate").patches)
    [0.1, 0.3]
    """
    from ._validation import check_option

    check_option("value", value, ["share", "estimate"])
    r2 = getattr(importance, "r2", None)
    df = importance.table if hasattr(importance, "table") else importance
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`importance` must be a DriverImportance or a DataFrame; got {type(importance).__name__}.")
    if value == "estimate":
        col = "estimate" if "estimate" in df.columns else "importance"
        low, high = "ci_low", "ci_high"
        label = "variance of the outcome explained (the bars add up to R²)"
    else:
        col, low, high = "share", "share_ci_low", "share_ci_high"
        label = "share of R² (the shares add up to 1)"
    check_frame("importance", df, [col])
    ax = _axes(ax)
    df = df.sort_values(col)
    y = np.arange(len(df))
    xerr = None
    if {low, high} <= set(df.columns) and df[[low, high]].notna().all().all():
        xerr = np.vstack([df[col] - df[low], df[high] - df[col]])
    ax.barh(y, df[col], xerr=xerr, color="steelblue", capsize=3)
    ax.set_yticks(y, df.index)
    ax.set_title("Driver importance" + (f" (R² = {r2:.2f})" if r2 is not None else ""))
    ax.set_xlabel(label)
    ax.set_ylabel("driver")
    return ax


# --- CLV diagnostics ---------------------------------------------------------------------------

def calibration_holdout_plot(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Mean holdout purchases by calibration frequency: actual vs model.

    Parameters
    ----------
    table : DataFrame
        From :func:`~fidelia_kit.clv.calibration_holdout_table` (``actual``, ``predicted``).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> t = pd.DataFrame({"actual": [0.2, 0.8, 1.9], "predicted": [0.25, 0.7, 2.0]}, index=pd.Index([0, 1, 2]))
    >>> calibration_holdout_plot(t).get_xlabel()
    'repeat purchases in the calibration period'
    """
    check_frame("table", table, ["actual", "predicted"])
    ax = _axes(ax)
    x = [str(i) for i in table.index[:-1]] + [f"{table.index[-1]}+"]
    ax.plot(x, table["actual"], marker="o", label="actual")
    ax.plot(x, table["predicted"], marker="s", ls="--", label="model")
    ax.set_title("Calibration vs holdout: purchases in the holdout period")
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean purchases in the holdout period (per customer)")
    ax.legend()
    return ax


def period_transactions_plot(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Customers by number of repeat purchases: observed vs the model's expectation.

    Parameters
    ----------
    table : DataFrame
        From :func:`~fidelia_kit.clv.period_transactions_table` (``observed``, ``expected``).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> t = pd.DataFrame({"observed": [50, 20, 10], "expected": [48.0, 22.0, 10.0]}, index=["0", "1", "2+"])
    >>> len(period_transactions_plot(t).patches)
    6
    """
    check_frame("table", table, ["observed", "expected"])
    ax = _axes(ax)
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["observed"], width=0.4, label="observed")
    ax.bar(x + 0.2, table["expected"], width=0.4, label="model")
    ax.set_xticks(x, table.index)
    ax.set_title("Repeat purchases per customer: observed vs model")
    ax.set_xlabel("repeat purchases")
    ax.set_ylabel("customers (count)")
    ax.legend()
    return ax


def cumulative_tracking_plot(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    holdout_start: DateLike | None = None,
    calibration_end: DateLike | None = None,
) -> Axes:
    """Cumulative repeat purchases over time, actual vs model.

    Parameters
    ----------
    table : DataFrame
        From :func:`~fidelia_kit.clv.cumulative_tracking` (``date``, ``actual``, ``expected``).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    holdout_start : date-like, optional
        The first day of the holdout period, marked with a vertical line.
    calibration_end : date-like, optional
        Deprecated inclusive form of ``holdout_start`` (the day before it).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> t = pd.DataFrame({"date": pd.date_range("2024-01-07", periods=3, freq="7D"),
    ...                   "actual": [0.0, 3.0, 5.0], "expected": [0.5, 2.5, 5.5]})
    >>> ax = cumulative_tracking_plot(t, holdout_start="2024-01-14")
    >>> ax.get_ylabel()
    'cumulative repeat purchases (count)'
    """
    from .clv.summary import _exclusive_from_inclusive

    holdout_start = _exclusive_from_inclusive("cumulative_tracking_plot", "calibration_end", "holdout_start",
                                              calibration_end, holdout_start, stacklevel=3)
    check_frame("table", table, ["date", "actual", "expected"])
    ax = _axes(ax)
    ax.plot(table["date"], table["actual"], label="actual")
    ax.plot(table["date"], table["expected"], ls="--", label="model")
    if holdout_start is not None:
        day = pd.Timestamp(holdout_start)
        ax.axvline(day, color="grey", lw=0.8)
        ax.annotate("start of holdout", (day, table["actual"].max() * 0.1), rotation=90, fontsize=8)
    ax.set_title("Cumulative repeat purchases: tracking the model")
    ax.set_xlabel("date")
    ax.set_ylabel("cumulative repeat purchases (count)")
    ax.legend()
    return ax


def btyd_matrix_plot(matrix: pd.DataFrame, *, what: str = "probability alive", ax: Axes | None = None) -> Axes:
    """Heat map of a frequency x recency matrix.

    Parameters
    ----------
    matrix : DataFrame
        From :func:`~fidelia_kit.clv.probability_alive_matrix` or
        :func:`~fidelia_kit.clv.frequency_recency_matrix`.
    what : str, default="probability alive"
        What the cells hold (colour bar label and title).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> m = pd.DataFrame([[0.9, 0.5], [1.0, 0.95]], index=pd.Index([1, 2], name="frequency"), columns=[0.0, 1.0])
    >>> btyd_matrix_plot(m).get_ylabel()
    'frequency (repeat purchases)'
    """
    import seaborn as sns

    ax = _axes(ax, (8, 5))
    sns.heatmap(matrix.sort_index(ascending=False), cmap="viridis", ax=ax, cbar_kws={"label": what})
    ax.set_title(f"{what.capitalize()} by frequency and recency")
    ax.set_xlabel("recency (periods from first to last purchase)")
    ax.set_ylabel("frequency (repeat purchases)")
    return ax


# --- retention -----------------------------------------------------------------------------------

def arms_plot(result: ArmComparison | pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Lift of each treated arm over control with its CI.

    Parameters
    ----------
    result : ArmComparison or DataFrame
        From :func:`~fidelia_kit.retention.compare_arms`, or its tidy ``to_frame()``
        (the rows with ``measure == "lift"`` are drawn).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from fidelia_kit.retention import compare_arms
    >>> df = pd.DataFrame({"arm": ["control"] * 50 + ["mail"] * 50, "kept": [1, 0] * 25 + [1, 1, 0] * 16 + [1, 1]})
    >>> arms_plot(compare_arms(df, outcome_col="kept")).get_title()
    'Effect of each treatment over control'
    """
    kind = getattr(result, "kind", None)
    table = result.lift.reset_index() if hasattr(result, "lift") and not isinstance(result, pd.DataFrame) else result
    if isinstance(table, pd.DataFrame) and "measure" in table.columns:
        table = table[table["measure"] == "lift"]
    elif isinstance(table, pd.DataFrame) and "lift_low" in table.columns:     # the frame of earlier versions
        kind = table.attrs.get("kind")
        table = table.rename(columns={"lift": "estimate", "lift_low": "ci_low", "lift_high": "ci_high"})
        table = table.rename_axis("arm").reset_index()
    check_frame("result", table, ["arm", "estimate", "ci_low", "ci_high"])
    df = table.dropna(subset=["estimate"])
    ax = _axes(ax)
    _intervals(ax, df["estimate"].to_numpy(), df["ci_low"].to_numpy(), df["ci_high"].to_numpy(), df["arm"], "darkgreen")
    ax.set_title("Effect of each treatment over control")
    ax.set_xlabel("lift over control (difference in rate; 0.05 = 5 points)" if kind == "binary"
                  else "lift over control (difference in means, outcome units)")
    ax.set_ylabel("arm")
    return ax


def power_curve_plot(curve: pd.DataFrame, *, ax: Axes | None = None, n_actual: int | None = None,
                     target_power: float = 0.8) -> Axes:
    """Power by size of the control arm, one line per lift (in percentage points).

    Parameters
    ----------
    curve : DataFrame
        :func:`~fidelia_kit.retention.power_curve`'s tidy table (``lift``, ``n_control``,
        ``n_treated``, ``power``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.
    n_actual : int, optional
        The size the experiment has (on the x axis's scale), marked by a vertical line.
    target_power : float, default=0.8
        The power the plan aims at, marked by a horizontal dashed line.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    TypeError, ValueError
        ``target_power`` not strictly between 0 and 1, or ``n_actual`` not a positive integer.

    Examples
    --------
    >>> from fidelia_kit.retention import power_curve
    >>> ax = power_curve_plot(power_curve(0.3, [0.03, 0.05], [500, 1000]), n_actual=763)
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('customers per arm (count)', ['lift +3.0 pp', 'lift +5.0 pp', 'target power 80%', 'this experiment: 763'])
    """
    if isinstance(curve, pd.DataFrame) and "power" not in curve.columns and curve.index.name == "lift":
        # the wide frame of earlier versions: lifts by rows, sizes by columns, equal arms unless named n_control
        ratio = curve.attrs.get("ratio", 1.0)
        curve = curve.rename_axis(columns="n_control").stack().rename("power").reset_index()
        curve["n_treated"] = (curve["n_control"] * ratio).round().astype(int)
    check_frame("curve", curve, ["lift", "n_control", "n_treated", "power"])
    target_power = check_probability("target_power", target_power, what="a power")
    if n_actual is not None:
        n_actual = check_int("n_actual", n_actual, 1, 10**9)
    ax = _axes(ax)
    equal = bool((curve["n_control"] == curve["n_treated"]).all())
    for lift, rows in curve.groupby("lift", sort=False):
        ax.plot(rows["n_control"], rows["power"], marker=".", label=f"lift {100 * lift:+.1f} pp")
    ax.axhline(target_power, color="grey", ls="--", lw=0.8, label=f"target power {target_power:.0%}")
    if n_actual is not None:
        ax.axvline(n_actual, color="black", ls=":", lw=1, label=f"this experiment: {n_actual:,}")
    ax.set_title("Power of the experiment by sample size")
    ax.set_xlabel("customers per arm (count)" if equal else "customers in the control arm (count)")
    ax.set_ylabel("power (probability of detecting the lift)")
    ax.legend()
    return ax


def qini_plot(curve: UpliftCurve | pd.DataFrame, *, ax: Axes | None = None, title: str = "Qini curve") -> Axes:
    """Model, random and perfect Qini (or uplift) curves.

    Parameters
    ----------
    curve : UpliftCurve or DataFrame
        From :func:`~fidelia_kit.retention.qini_curve` or
        :func:`~fidelia_kit.retention.uplift_curve` (its area goes in the legend), or its
        ``curve`` frame.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.
    title : str, default="Qini curve"
        The figure's title.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from fidelia_kit.retention import qini_curve
    >>> ax = qini_plot(qini_curve([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0], [1, 0, 0, 1]))
    >>> len(ax.lines)
    3
    """
    auc = getattr(curve, "auc", np.nan)
    frame = curve.curve if hasattr(curve, "curve") and not isinstance(curve, pd.DataFrame) else curve
    check_frame("curve", frame, ["share_targeted", "model", "random", "perfect"])
    ax = _axes(ax)
    ax.plot(frame["share_targeted"], frame["model"], label=f"model (normalized area {auc:.2f})")
    ax.plot(frame["share_targeted"], frame["random"], ls="--", color="grey", label="random")
    ax.plot(frame["share_targeted"], frame["perfect"], ls=":", color="black", label="perfect")
    ax.set_title(title)
    ax.set_xlabel("share of customers targeted, best predicted uplift first")
    ax.set_ylabel("incremental outcomes (count)")
    ax.legend()
    return ax


def profit_curve_plot(policy: TargetingPolicy, *, ax: Axes | None = None) -> Axes:
    """Expected profit as more customers are contacted, most profitable first.

    Parameters
    ----------
    policy : TargetingPolicy
        From :func:`~fidelia_kit.retention.targeting_policy`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from fidelia_kit.retention import targeting_policy
    >>> profit_curve_plot(targeting_policy([0.1, 0.02, -0.05], value=100, cost=5)).get_ylabel()
    'expected profit (EUR)'
    """
    curve = policy.curve
    ax = _axes(ax)
    ax.plot(curve["share_targeted"], curve["expected_profit"], label="expected profit")
    best = curve["expected_profit"].idxmax()
    ax.axvline(curve.loc[best, "share_targeted"], color="grey", ls="--", lw=0.8,
               label=f"cut-off: contact {policy.n_contacted:,} of {len(policy.contact):,}")
    ax.set_title("Expected profit by share of customers contacted")
    ax.set_xlabel("share of customers contacted, most profitable first")
    ax.set_ylabel("expected profit (EUR)")
    ax.legend()
    return ax


def km_plot(km: pd.DataFrame, *, ax: Axes | None = None, time_label: str = "time") -> Axes:
    """Kaplan-Meier curves as steps with their confidence bands.

    Parameters
    ----------
    km : DataFrame
        :func:`~fidelia_kit.retention.kaplan_meier`'s table: ``time``, ``survival``,
        ``ci_low``, ``ci_high`` (and ``group`` for one curve per group).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.
    time_label : str, default="time"
        The x axis label, with its unit (e.g. ``"years since signup"``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from fidelia_kit.retention import kaplan_meier
    >>> ax = km_plot(kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1], groups=["a", "a", "b", "b"]), time_label="years")
    >>> len(ax.lines), ax.get_xlabel()
    (2, 'years')
    """
    check_frame("km", km, ["time", "survival", "ci_low", "ci_high"])
    ax = _axes(ax)
    groups = km.groupby("group", sort=False) if "group" in km.columns else [("all", km)]
    for name, part in groups:
        t = np.r_[0, part["time"]]
        ax.step(t, np.r_[1, part["survival"]], where="post", label=str(name))
        ax.fill_between(t, np.r_[1, part["ci_low"]], np.r_[1, part["ci_high"]], step="post", alpha=0.2)
    ax.set_ylim(0, 1.02)
    ax.set_title("Kaplan-Meier: share still a customer")
    ax.set_xlabel(time_label)
    ax.set_ylabel("share still a customer")
    ax.legend(title=None)
    return ax


def cohort_heatmap(cohorts: CohortTable | pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The retention triangle as a heat map (shares of each cohort's first period).

    Parameters
    ----------
    cohorts : CohortTable or DataFrame
        :func:`~fidelia_kit.retention.cohort_table`'s result (its ``shares`` are drawn), or
        a shares table itself.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from fidelia_kit.retention import cohort_table
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "amount": [10.0, 5.0, 20.0],
    ...                    "date": pd.to_datetime(["2024-01-05", "2024-02-20", "2024-02-10"])})
    >>> ax = cohort_heatmap(cohort_table(tx))
    >>> int(ax.collections[0].get_array().size)
    4
    """
    import seaborn as sns

    shares = getattr(cohorts, "shares", cohorts)
    if not isinstance(shares, pd.DataFrame):
        raise TypeError(f"`cohorts` must be cohort_table's result or its shares DataFrame; got {type(cohorts).__name__}.")
    ax = _axes(ax, (10, 0.35 * len(shares) + 2))
    shares = shares.set_axis(shares.index.astype(str), axis=0)  # periods as labels
    later = shares.to_numpy(dtype=float)[:, 1:]
    top = float(np.nanmax(later)) if later.size and np.isfinite(later).any() else 1.0
    sns.heatmap(shares, cmap="Blues", vmin=0, vmax=min(1.0, top), annot=shares.shape[1] <= 13, fmt=".0%", ax=ax,
                cbar_kws={"label": "share of the cohort's first period"}, annot_kws={"fontsize": 6})
    ax.set_title("Retention by acquisition cohort")
    ax.set_xlabel("periods since first purchase")
    ax.set_ylabel("cohort (period of first purchase)")
    return ax


def gains_plot(evaluation: ChurnEvaluation, *, ax: Axes | None = None) -> Axes:
    """Cumulative gains of a churn model: churners found by contacting the highest scores first.

    Parameters
    ----------
    evaluation : ChurnEvaluation
        :func:`~fidelia_kit.retention.evaluate_churn`'s result.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from fidelia_kit.retention import evaluate_churn
    >>> ev = evaluate_churn(np.r_[np.ones(20), np.zeros(80)], np.linspace(1, 0, 100))
    >>> float(gains_plot(ev).lines[0].get_ydata()[-1])
    1.0
    """
    lift = evaluation.lift
    ax = _axes(ax)
    share = np.r_[0, lift["customers"].cumsum() / lift["customers"].sum()]
    ax.plot(share, np.r_[0, lift["cumulative_gains"]], marker="o", label=f"model (AUC {evaluation.auc:.2f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label="random")
    ax.set_title("Cumulative gains: churners found by contacting the top scores")
    ax.set_xlabel("share of customers contacted, highest churn risk first")
    ax.set_ylabel("share of all churners found")
    ax.legend()
    return ax


def calibration_plot(evaluation: ChurnEvaluation, *, ax: Axes | None = None) -> Axes:
    """Predicted churn probability against the observed churn rate, by bin.

    Parameters
    ----------
    evaluation : ChurnEvaluation
        :func:`~fidelia_kit.retention.evaluate_churn`'s result.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from fidelia_kit.retention import evaluate_churn
    >>> ev = evaluate_churn(np.r_[np.ones(20), np.zeros(80)], np.linspace(1, 0, 100))
    >>> calibration_plot(ev).get_xlabel()
    'mean predicted probability of churning'
    """
    cal = evaluation.calibration
    ax = _axes(ax, (5.5, 5))
    ax.plot(cal["mean_predicted"], cal["observed_rate"], marker="o", label=f"model (Brier {evaluation.brier:.3f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label="perfectly calibrated")
    ax.set_title("Calibration of churn probabilities")
    ax.set_xlabel("mean predicted probability of churning")
    ax.set_ylabel("observed churn rate")
    ax.legend()
    return ax


def response_rate_plot(table: pd.DataFrame, *, title: str = "Who answered the survey", ax: Axes | None = None) -> Axes:
    """Share of each group who answered, with its interval, on an axis from 0 to 100%.

    Parameters
    ----------
    table : DataFrame
        :func:`~fidelia_kit.survey.response_rates`'s output (``rate``, ``ci_low``,
        ``ci_high`` per group).
    title : str, default="Who answered the survey"
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from fidelia_kit.survey import response_rates
    >>> pop = pd.DataFrame({"customer_id": range(1, 9), "age": ["young"] * 4 + ["old"] * 4})
    >>> ax = response_rate_plot(response_rates(pop, [1, 5, 6, 7], by="age"))
    >>> ax.lines[0].get_xdata().tolist(), [float(x) for x in ax.get_xlim()]
    ([75.0, 25.0], [0.0, 100.0])
    """
    check_frame("table", table, ["rate", "ci_low", "ci_high"])
    ax = _axes(ax, (6.5, 0.45 * len(table) + 1.8))
    _intervals(ax, 100 * table["rate"].to_numpy(), 100 * table["ci_low"].to_numpy(), 100 * table["ci_high"].to_numpy(),
               table.index, "darkgreen")
    ax.set_xlim(0, 100)
    ax.set_xlabel("answered the survey (% of the group, with its interval)")
    ax.set_ylabel(table.index.name or "group")
    ax.set_title(title)
    return ax


def contact_rate_plot(table: pd.DataFrame, *, what: str = "bought the offered category within 30 days",
                      title: str = "Response to the contacts", ax: Axes | None = None) -> Axes:
    """Share of contacts that got a response, per group, with its interval (in %).

    Parameters
    ----------
    table : DataFrame
        :func:`~fidelia_kit.contact.contact_rates`'s output (``rate``, ``ci_low``, ``ci_high``
        per group; a MultiIndex is shown as joined labels).
    what : str, default="bought the offered category within 30 days"
        The response, as the axis label names it.
    title : str, default="Response to the contacts"
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from fidelia_kit.contact import contact_rates
    >>> c = pd.DataFrame({"channel": ["email"] * 4 + ["sms"] * 4, "bought": [1, 0, 0, 0, 1, 1, 0, 0]})
    >>> ax = contact_rate_plot(contact_rates(c, by="channel", response_col="bought"))
    >>> ax.lines[0].get_xdata().tolist()
    [25.0, 50.0]
    """
    check_frame("table", table, ["rate", "ci_low", "ci_high"])
    labels = [" / ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in table.index]
    labels = [label.replace("_", " ") for label in labels]          # cross_sell -> cross sell
    ax = _axes(ax, (6.5, 0.4 * len(table) + 1.8))
    _intervals(ax, 100 * table["rate"].to_numpy(), 100 * table["ci_low"].to_numpy(), 100 * table["ci_high"].to_numpy(),
               labels, "darkgreen")
    ax.set_xlim(0, max(5.0, 110 * float(table["ci_high"].max())))
    ax.set_xlabel(f"{what} (% of the contacts, with its interval)")
    ax.set_ylabel(" / ".join(str(n).replace("_", " ") for n in table.index.names if n) or "group")
    ax.set_title(title)
    return ax


def offer_plans_plot(comparison: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Each plan's true expected profit per customer planned for, beside the best possible plan.

    Parameters
    ----------
    comparison : DataFrame
        :func:`~fidelia_kit.contact.compare_offer_plans`'s ``table`` (``profit_per_customer``
        per plan).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> table = pd.DataFrame({"profit_per_customer": [0.8, 1.1]}, index=["model", "best possible"])
    >>> [round(float(p.get_width()), 1) for p in offer_plans_plot(table).patches]
    [0.8, 1.1]
    """
    check_frame("comparison", comparison, ["profit_per_customer"])
    ax = _axes(ax, (6.5, 0.5 * len(comparison) + 1.8))
    values = comparison["profit_per_customer"].to_numpy(dtype=float)
    colors = ["grey" if name == "best possible" else "steelblue" for name in comparison.index]
    ax.barh([str(n) for n in comparison.index], values, color=colors)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("true margin of offer purchases minus contact costs, per customer planned for (EUR)")
    ax.set_ylabel("plan")
    ax.set_title("Offer plans scored on the true response model")
    return ax


def tolerance_plot(result: ToleranceResult, *, truth: float | None = None, min_complaints: int = 10,
                   ax: Axes | None = None) -> Axes:
    """Share of complainants who left, by days to resolve, with the estimated tolerance and its interval.

    Parameters
    ----------
    result : ToleranceResult
        :func:`~fidelia_kit.retention.service_tolerance`'s result.
    truth : float, optional
        A known tolerance (days), drawn as a dotted line (the synthetic world's truth).
    min_complaints : int, default=10
        Days with fewer complaints are left out of the points (their rates are too noisy to
        read); the fitted curve covers them.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from fidelia_kit import generate_world
    >>> from fidelia_kit.retention import service_tolerance
    >>> res = service_tolerance(generate_world(n_customers=3000, seed=3).complaints, below="flat")
    >>> tolerance_plot(res, truth=6).get_xlabel()
    'days to resolve the complaint'
    """
    min_complaints = check_int("min_complaints", min_complaints, 1, 10**9)
    by = result.by_day
    shown = by[by["complaints"] >= min_complaints]
    ax = _axes(ax, (11, 4.5))
    last, low, high = result.whole_days()
    ax.axvspan(result.ci[0], result.ci[1], color="orange", alpha=0.2,
               label=f"{result.ci_level:.0%} interval of the tolerance (day {low} to day {high})")
    ax.axvline(result.tolerance, color="darkorange", lw=2, label=f"estimated tolerance: about {last} days")
    if truth is not None:
        ax.axvline(truth, color="black", ls=":", lw=1.5, label=f"true tolerance: {truth:g} days")
    ax.errorbar(shown.index.to_numpy(dtype=float), 100 * shown["leaving_rate"].to_numpy(),
                yerr=100 * np.abs(shown[["ci_low", "ci_high"]].to_numpy().T - shown["leaving_rate"].to_numpy()),
                fmt="o", color="steelblue", capsize=3,
                label=f"left (no purchase in 180 days), with {result.ci_level:.0%} intervals")
    # the fitted curve only where there are points to hold it against (no extrapolation past the data)
    drawn = by.loc[shown.index.min():shown.index.max()] if len(shown) else by
    ax.plot(drawn.index.to_numpy(dtype=float), 100 * drawn["fitted"].to_numpy(), color="indianred",
            label="segmented logistic fit (other handling at its mean)")
    ax.set_ylim(0, 103)
    if len(shown):
        ax.set_xlim(shown.index.min() - 0.5, shown.index.max() + 0.5)
    ax.set_xlabel("days to resolve the complaint")
    ax.set_ylabel("customers who left (% of complaints)")
    ax.set_title("Share who left, by days to resolve a complaint (an association)")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    ax.figure.tight_layout()
    return ax


def tier_rd_plot(bins: pd.DataFrame, fit: TierEffect, *, ax: Axes | None = None) -> Axes:
    """The regression discontinuity at a card tier: binned means on each side, the threshold and the jump.

    Parameters
    ----------
    bins : DataFrame
        :func:`~fidelia_kit.programme.rd_bins`'s output (``spend``, ``outcome``, ``n``, ``side``).
    fit : TierEffect
        :func:`~fidelia_kit.programme.tier_effect_rd`'s result at the same threshold and bandwidth.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from fidelia_kit.programme import TierEffect
    >>> b = pd.DataFrame({"spend": [350.0, 450.0], "outcome": [0.0, 0.1], "n": [10, 10], "side": ["below", "above"]})
    >>> fit = TierEffect(400.0, 0.105, (0.05, 0.16), 0.1, 0.02, 0.5, 100.0, 20, 5, "rd", (0.0, 0.1, 0.0, 0.0))
    >>> ax = tier_rd_plot(b, fit)
    >>> ax.get_xlabel(), ax.lines[-1].get_ydata().tolist()   # the fit above the threshold starts at the jump
    ('spend in the 365 days before the purchase (EUR)', [0.1, 0.1])
    """
    import seaborn as sns

    check_frame("bins", bins, ["spend", "outcome", "n", "side"])
    ax = _axes(ax, (7, 4.5))
    sns.scatterplot(data=bins, x="spend", y="outcome", hue="side", size="n", ax=ax, palette={"below": "grey", "above": "darkorange"})
    ax.axvline(fit.threshold, color="black", ls="--", lw=1, label=f"threshold {fit.threshold:,.0f} EUR")
    if len(fit.coef) == 4:  # the local linear fit on each side
        a, jump, slope, change = fit.coef
        for sign in (-1, 1):
            x = np.linspace(0, sign * fit.bandwidth, 2)
            y = a + slope * x + (jump + change * x if sign > 0 else 0)
            ax.plot(fit.threshold + x, y, color="black" if sign < 0 else "darkorange", lw=1.5)
    ax.set_title(f"Amount per purchase at the {fit.threshold:,.0f} EUR tier threshold: jump {fit.estimate:+.1%}")
    ax.set_xlabel("spend in the 365 days before the purchase (EUR)")
    ax.set_ylabel("log(amount / customer's first amount)")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4, frameon=False)  # below: off the data
    return ax


def tier_mix_plot(history: pd.DataFrame, *, complete_from: DateLike | None = None, ax: Axes | None = None) -> Axes:
    """Share of customers in each card tier at each date, stacked to 100 %.

    Shares, not counts: counts mostly show the customer base growing.

    Parameters
    ----------
    history : DataFrame
        :func:`~fidelia_kit.programme.tier_history`'s output (``date``, ``tier``).
    complete_from : date-like, optional
        First date with a full 365-day look-back in the data; earlier dates are marked ``*``
        (their tiers are understated).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> h = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-04-01"]),
    ...                   "tier": ["basic", "silver", "silver"]})
    >>> ax = tier_mix_plot(h)
    >>> ax.get_ylabel(), [round(float(p.get_height()), 1) for p in ax.patches]   # basic then silver, per date
    ('share of customers who had bought (%)', [50.0, 0.0, 50.0, 100.0])
    """
    check_frame("history", history, ["date", "tier"])
    ax = _axes(ax, (8, 4.5))
    shares = 100 * pd.crosstab(pd.to_datetime(history["date"]).dt.date, history["tier"], normalize="index")
    shares.plot.bar(stacked=True, ax=ax, color={"basic": "#9ecae1", "silver": "#8c8c8c", "gold": "goldenrod"}, rot=45)
    ax.set_title("Card tiers over time (by spend in the 365 days before each date)")
    ax.set_xlabel("date")
    ax.set_ylabel("share of customers who had bought (%)")
    ax.set_ylim(0, 100)
    ax.legend(title="tier", loc="upper left", bbox_to_anchor=(1.01, 1))
    if complete_from is not None:
        from ._validation import as_date

        first = as_date("complete_from", complete_from).date()
        short = [d < first for d in shares.index]
        ax.set_xticklabels([f"{d}*" if s else str(d) for d, s in zip(shares.index, short)])
        if any(short):
            ax.set_xlabel("date (* less than 365 days of data before: tiers understated)")
    return ax


def score_group_plot(groups: Mapping[str, pd.DataFrame], *, value_label: str = "true expected spend, next 52 weeks",
                     unit: str = "EUR", ax: Axes | None = None) -> Axes:
    """Mean later value per group of customers cut by a score (1 = the top group), one line per score.

    Parameters
    ----------
    groups : mapping of str to DataFrame
        Label of each score and its :func:`~fidelia_kit.segmentation.value_by_score_group` table.
    value_label : str, default="true expected spend, next 52 weeks"
        What the value is, for the axis.
    unit : str, default="EUR"
        The value's unit, for the axis.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from fidelia_kit.segmentation import value_by_score_group
    >>> g = value_by_score_group(pd.Series([4.0, 3.0, 2.0, 1.0]), pd.Series([9.0, 5.0, 2.0, 1.0]), n_groups=2)
    >>> score_group_plot({"equal weights": g}).get_ylabel()
    'mean true expected spend, next 52 weeks\\nper customer (EUR)'
    """
    if not groups:
        raise ValueError("`groups` must hold at least one score's table.")
    for label, table in groups.items():
        check_frame(f"groups[{label!r}]", table.reset_index(), ["group", "mean_value"])
    ax = _axes(ax, (8, 4.5))
    overall = None
    for label, table in groups.items():
        ax.plot(table.index.to_numpy(), table["mean_value"].to_numpy(), marker="o", label=label)
        overall = (table["mean_value"] * table["customers"]).sum() / table["customers"].sum() if "customers" in table \
            else table["mean_value"].mean()
    ax.axhline(overall, color="grey", ls="--", lw=1, label="average customer")
    n = max(len(t) for t in groups.values())
    ax.set_xticks(range(1, n + 1))
    ax.set_xlabel(f"group of customers by score (1 = the top {1 / n:.0%}, {n} = the bottom {1 / n:.0%})")
    ax.set_ylabel(f"mean {value_label}\nper customer ({unit})")
    ax.set_title("What each group by score goes on to bring")
    ax.legend(loc="upper right", fontsize="small")
    return ax
