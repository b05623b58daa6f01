"""Answer key of exercise 06, churn early warning (instructor only, never given to students).

Every expected answer is computed from the student's own world with the kit's functions, the
way the reference solution computes it. Tolerances (stated per question) leave room for
rounding; they do not let a different method through (a model scored on its own training
customers, a label window that overlaps the features, a list of the highest risks).
"""
from __future__ import annotations

from sklearn.metrics import roc_auc_score

from fidelia_kit import clv, notebook, retention
from fidelia_kit.grading import Key, Question, direction

#: The settings the exercise states (the student types them; they are not parameters).
REACTIVATE_SHARE = 0.10
VALUE_HORIZON_DAYS = 365
DISCOUNT_RATE = 0.10
#: Least chance of being winnable (still a customer, then lapsing) for the reactivation list.
MIN_WINNABLE = 0.5
#: The churn horizon of the "change, predict, then run" question, in days.
NEW_HORIZON_DAYS = 90
LIFT_DECILES = (1, 2, 3)


def expected(world) -> dict:
    """Every auto-graded answer of the exercise, from the student's world."""
    tx = world.transactions
    train_as_of, test_as_of, horizon_days = notebook.churn_dates(notebook.window_of(world))
    train = retention.churn_dataset(tx, as_of=train_as_of, horizon_days=horizon_days, complaints=world.complaints)
    test = retention.churn_dataset(tx, as_of=test_as_of, horizon_days=horizon_days, complaints=world.complaints)
    features = [c for c in train.columns if c != "churned"]
    model = retention.ChurnModel().fit(train[features], train["churned"])
    p = model.predict(test[features])
    ev = retention.evaluate_churn(test["churned"], p)
    recency_auc = float(roc_auc_score(test["churned"], test["days_since_last"]))
    lift = ev.lift.loc[list(LIFT_DECILES), "lift"].rename("lift")
    rate = float(test["churned"].mean())
    short = retention.churn_dataset(tx, as_of=test_as_of, horizon_days=NEW_HORIZON_DAYS, complaints=world.complaints)
    rate_short = float(short["churned"].mean())

    value = clv.customer_value(tx, as_of=test_as_of, horizon_days=VALUE_HORIZON_DAYS,
                               discount_rate=DISCOUNT_RATE).table.reindex(test.index)
    scored = test.assign(risk=p, p_alive=value["p_alive"], clv=value["clv"])
    size = max(int(REACTIVATE_SHARE * len(scored)), 1)
    chosen = retention.reactivation_list(scored, size=size, min_winnable=MIN_WINNABLE).index
    by_risk = scored["risk"].nlargest(len(chosen)).index
    alive = retention.alive_on(world.truth_customers, test_as_of).reindex(scored.index, fill_value=False)
    winnable = alive & scored["churned"].astype(bool)
    share_chosen, share_risk = float(winnable.loc[chosen].mean()), float(winnable.loc[by_risk].mean())
    return {
        "q1": (rate, 100 * rate),
        "q2": float(ev.auc),
        "q3": recency_auc,
        "q4": "model" if ev.auc > recency_auc else "recency",
        "q5": lift,
        "q6": direction(rate, rate_short),
        "q7": (rate_short, 100 * rate_short),
        "q8": (share_chosen, 100 * share_chosen),
        "q9": ("winnable" if share_chosen > share_risk else "risk" if share_risk > share_chosen
               else ("winnable", "risk")),
    }


KEY = Key(
    exercise="06_churn_early_warning",
    questions=(
        Question("q1", 1, "number", rtol=0.005, text="Churn rate of the test data set (0-1, or a percentage; "
                 "0.5%)."),
        Question("q2", 1, "number", atol=0.005, text="AUC of ChurnModel, fitted on the training date, on the test "
                 "date."),
        Question("q3", 1, "number", atol=0.002, text="AUC of the recency rule (days since the last purchase) on the "
                 "test date."),
        Question("q4", 1, "choice", text="Which ranks the test customers better: model or recency?"),
        Question("q5", 2, "table", atol=0.02, per_cell=True, text="Lift of the three highest-risk deciles (rows 1, "
                 "2, 3)."),
        Question("q6", 1, "choice", text="Prediction before running: with a 90-day churn horizon, is the test churn "
                 "rate higher, lower or the same?"),
        Question("q7", 1, "number", rtol=0.005, text="Churn rate of the test data set with a 90-day horizon (0-1, "
                 "or a percentage; 0.5%)."),
        Question("q8", 2, "number", rtol=0.015, partial=(3, 0.5), text="Share truly winnable (a customer on the "
                 "test date who then lapsed) on the reactivation list (0-1, or a percentage; 1.5%, half the points "
                 "within 4.5%)."),
        Question("q9", 1, "choice", text="Which list of the same size holds more winnable customers: winnable (the "
                 "reactivation list) or risk (the highest risks)?"),
        Question("q10", 2, "text", text="Why must every feature stop before as_of, and why not simply call the "
                 "highest risks?"),
    ),
    expected=expected,
    world={"n_customers": 2500, "n_years": 2},
    version="2",
)
