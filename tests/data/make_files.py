"""How the small files in this folder were made (run from the repository root).

Each bad file breaks exactly one rule of the schema; test_io.py says which message
each must produce. Re-running this script rewrites the files identically.
"""
from pathlib import Path

import pandas as pd

from fidelia_kit import load_world
from fidelia_kit.synth.world import write_csv

HERE = Path(__file__).resolve().parent


def main():
    w = load_world(HERE.parents[1] / "datasets", tables=["customers", "transactions", "survey_responses", "complaints"])
    cust = w.customers[w.customers["customer_id"] <= 8].copy()
    tx = w.transactions[w.transactions["customer_id"].isin(cust["customer_id"])].head(12).copy()
    tx.loc[tx.index[3], "amount"] = 1234.56  # a thousands separator in the Spanish export
    survey = w.survey_responses.head(4).copy()
    comp = w.complaints.head(4).copy()
    write_csv(cust, HERE / "customers_ok.csv")
    write_csv(tx, HERE / "transactions_ok.csv")
    write_csv(survey, HERE / "survey_ok.csv")
    write_csv(comp, HERE / "complaints_ok.csv")

    def text(df):
        out = df.copy()
        for c in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[c]):
                out[c] = out[c].dt.strftime("%Y-%m-%d")
        return out.astype(object).where(out.notna(), "")

    def bad(name, df):
        df.to_csv(HERE / name, index=False, lineterminator="\n")

    c = text(cust)
    bad("customers_missing_column.csv", c.drop(columns=["region"]))
    bad("customers_misspelt_column.csv", c.rename(columns={"region": "regoin"}))
    d = c.copy(); d.loc[d.index[4], "customer_id"] = d.loc[d.index[1], "customer_id"]; bad("customers_duplicate_ids.csv", d)
    d = c.copy(); d.loc[d.index[2], "region"] = "Narnia"; bad("customers_bad_option.csv", d)
    t = text(tx)
    d = t.copy(); d.loc[d.index[2], "date"] = "2024-02-30"; d.loc[d.index[5], "date"] = "yesterday"; bad("transactions_bad_date.csv", d)
    d = t.copy(); d.loc[d.index[1], "amount"] = -12.5; bad("transactions_negative_amount.csv", d)
    d = t.copy(); d.loc[d.index[6], "customer_id"] = 999; bad("transactions_unknown_customer.csv", d)
    d = t.copy(); d.loc[d.index[0], "date"] = "2023-12-31"; bad("transactions_outside_window.csv", d)
    d = t.copy(); d.loc[d.index[3], "amount"] = "12.3x"; bad("transactions_not_a_number.csv", d)
    d = t.copy(); d.loc[d.index[2], "amount"] = ""; bad("transactions_empty_amount.csv", d)
    d = t.copy(); d.loc[d.index[2], "n_items"] = 2.5; bad("transactions_fractional_items.csv", d)
    s = text(survey)
    d = s.copy(); d.loc[d.index[1], "acc_1"] = 7; bad("survey_likert_out_of_range.csv", d)
    k = text(comp)
    d = k.copy(); d.loc[d.index[0], "resolved_front_line"] = "maybe"; bad("complaints_bad_flag.csv", d)
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "header_only.csv").write_text(",".join(cust.columns) + "\n")
    (HERE / "customers_utf16.csv").write_bytes((HERE / "customers_ok.csv").read_text().encode("utf-16"))
    (HERE / "customers.json").write_text("{}\n")

    # transactions as a Spanish Excel saves CSV: semicolons, decimal comma with '.'
    # for thousands, DD/MM/YYYY dates, Windows-1252 text, CRLF line ends
    es = text(tx)
    es["date"] = tx["date"].dt.strftime("%d/%m/%Y")
    for col in ("amount", "gross_margin", "discount"):
        es[col] = tx[col].map(lambda v: f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") + " \u20ac")
    es.to_csv(HERE / "transactions_es.csv", sep=";", index=False, encoding="cp1252", lineterminator="\r\n")


if __name__ == "__main__":
    main()
