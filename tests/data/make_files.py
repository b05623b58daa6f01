"""How the small files in this folder were made (run from the repository root).

Each bad file breaks exactly one rule of the schema; test_io.py says which message
each must produce. Re-running this script rewrites the files identically (the .xlsx
files hold the same cells; only the time stamps inside their zip archives change).
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

    # numbers that a file-wide guess of the format misread: one cell decides nothing
    d = t.copy(); d.loc[d.index[3], "amount"] = "1,234.56"; bad("transactions_thousands_point.csv", d)  # reads as 1234.56
    d = t.copy(); d.loc[d.index[2], "amount"] = "\u20ac12,50"; bad("transactions_euro_comma_cell.csv", d)
    d = t.copy(); d["gross_margin"] = d["gross_margin"].map(lambda v: str(v).replace(".", ","))
    bad("transactions_columns_disagree.csv", d)
    # ids beyond float64's 53 bits, beyond int64, and in exponent notation
    d = t.copy(); d.loc[d.index[0], "transaction_id"] = 9876543210987653; d.loc[d.index[1], "transaction_id"] = 9876543210987652
    bad("transactions_long_ids.csv", d)
    d = t.copy(); d.loc[d.index[0], "transaction_id"] = 2**63; bad("transactions_id_too_big.csv", d)
    d = t.copy(); d.loc[d.index[1], "transaction_id"] = "1e3"; bad("transactions_id_exponent.csv", d)
    d = t.copy(); d.loc[d.index[1], "amount"] = "inf"; d.loc[d.index[2], "amount"] = "1e400"
    d.loc[d.index[3], "amount"] = "-inf"; bad("transactions_infinite_amount.csv", d)
    d = t.copy(); d.loc[d.index[1], "date"] = "2024"; d.loc[d.index[2], "date"] = "2024-03"; bad("transactions_partial_dates.csv", d)
    d = t.copy(); d.loc[d.index[2], "date"] = "2024-01-01T10:00:00+02:00"; bad("transactions_timezone.csv", d)
    d = t.copy(); d["amount.1"] = d["amount"]; d = d.rename(columns={"amount.1": "amount"})
    bad("transactions_repeated_column.csv", d)
    lines = (HERE / "transactions_ok.csv").read_text().splitlines()
    (HERE / "transactions_sep_line.csv").write_text("sep=;\n" + "\n".join(v.replace(",", ";") for v in lines) + "\n")
    d = t.copy(); d.loc[d.index[5], "amount"] = "12.3x"  # on line 9 of the file, the 6th data row
    text = d.to_csv(index=False, lineterminator="\n").splitlines()
    (HERE / "transactions_blank_lines.csv").write_text("\n".join(text[:3] + ["", ""] + text[3:]) + "\n")
    (HERE / "transactions_trailing_separators.csv").write_text("\n".join(v + "," for v in lines) + "\n")
    extra = [lines[0]] + [v + ("," if i not in (3, 6) else ",x") for i, v in enumerate(lines[1:], start=1)]
    (HERE / "transactions_extra_values.csv").write_text("\n".join(extra) + "\n")

    # workbooks: data on two sheets, a notes sheet first, a title row above the header
    with pd.ExcelWriter(HERE / "transactions_two_sheets.xlsx") as xl:
        tx.head(6).to_excel(xl, sheet_name="2024", index=False)
        tx.tail(6).to_excel(xl, sheet_name="2025", index=False)
    with pd.ExcelWriter(HERE / "transactions_notes_first.xlsx") as xl:
        pd.DataFrame({"About": ["Exported from the till system"]}).to_excel(xl, sheet_name="Notes", index=False)
        tx.to_excel(xl, sheet_name="Data", index=False)
    with pd.ExcelWriter(HERE / "transactions_title_row.xlsx") as xl:
        pd.DataFrame([["Fidelia transactions"]]).to_excel(xl, sheet_name="Sheet1", index=False, header=False)
        tx.to_excel(xl, sheet_name="Sheet1", index=False, startrow=2)


if __name__ == "__main__":
    main()
