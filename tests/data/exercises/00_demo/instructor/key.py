"""Answer key of the demo exercise the grader's tests use (a small world, a question of every kind)."""
from fidelia_kit.grading import Key, Question


def expected(world):
    tx = world.transactions
    by_channel = tx.groupby("channel").size().sort_index()
    return {
        "q1": float(tx["amount"].sum()),
        "q2": str(by_channel.idxmax()),
        "q3": by_channel.rename("receipts"),
        "q4": bool(tx["amount"].mean() > 20),
        "q5": int(tx["customer_id"].nunique()),
    }


KEY = Key(
    "00_demo",
    (Question("q1", 2, "number", rtol=0.001, partial=(10, 0.5), text="Total spend, EUR"),
     Question("q2", 1, "choice", text="Channel with the most receipts"),
     Question("q3", 3, "table", per_cell=True, text="Receipts per channel"),
     Question("q4", 1, "bool", text="Is the mean receipt above 20 EUR?"),
     Question("q5", 1, "number", text="Customers who bought"),
     Question("q6", 2, "text", text="What does the channel mix tell you?")),
    expected,
    world={"n_customers": 300, "n_years": 1},
    version="1",
)
