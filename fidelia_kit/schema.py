"""The data sets' schema: one entry per table, one :class:`Column` per column.

The schema is the single source of truth for the file names, the column order, the
types, the allowed values and the units. :mod:`fidelia_kit.synth` writes tables that
follow it, :mod:`fidelia_kit.io` refuses files that break it, and ``datasets/README.md``
(the data dictionary) documents every column listed here (a test checks).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Column",
    "TABLES",
    "TABLE_FILES",
    "REGIONS",
    "AGE_BANDS",
    "CATEGORIES",
    "CARD_TIER_THRESHOLDS",
    "CONTACT_PHASES",
    "CONTACT_CHANNELS",
    "CONSTRUCTS",
    "SURVEY_ITEMS",
    "coerce_table",
    "data_dictionary",
]

REGIONS = ("North", "South", "East", "West", "Central")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
ACQUISITION_CHANNELS = ("store", "web", "social", "search", "referral")
CARD_TIERS = ("basic", "silver", "gold")
#: The spend (EUR, in the 365 days before) from which each card tier holds: the generator's rule and the
#: default of the programme analyses (fidelia_kit.programme), stated once.
CARD_TIER_THRESHOLDS = {"basic": 0.0, "silver": 400.0, "gold": 1200.0}
CATEGORIES = ("grocery", "household", "kids", "fashion", "beauty", "electronics", "home", "sports")
SALES_CHANNELS = ("store", "online", "app")
PAYMENT_METHODS = ("card", "cash", "mobile")
ARMS = ("control", "email_discount", "personal_call")
COMPLAINT_TYPES = ("product", "delivery", "billing", "staff", "returns")
PROFILES = ("family", "premium", "bargain", "convenience")
#: Phases of the contact plan (contacts.csv) and the channels a contact goes through.
CONTACT_PHASES = ("welcome", "cross_sell", "upgrade", "questionnaire", "referral_invite", "reactivation")
CONTACT_CHANNELS = ("email", "app", "sms", "mail", "call")

#: Perceived-value constructs of the survey and the prefix of their items.
CONSTRUCTS = {
    "accessibility": "acc",
    "communication": "com",
    "participation": "par",
    "added_services": "add",
    "staff": "stf",
}
#: Likert items (1-5) per construct, in questionnaire order.
SURVEY_ITEMS = {
    "accessibility": ("acc_1", "acc_2", "acc_3"),
    "communication": ("com_1", "com_2", "com_3"),
    "participation": ("par_1", "par_2", "par_3"),
    "added_services": ("add_1", "add_2", "add_3"),
    "staff": ("stf_1", "stf_2", "stf_3", "stf_4"),
}


@dataclass(frozen=True)
class Column:
    """One column of a table: its type, what it may hold, and what it means.

    Parameters
    ----------
    name : str
        The column's name in the files.
    kind : {"int", "float", "date", "str", "bool"}
    doc : str
        Its meaning, as the data dictionary prints it.
    unit : str, default=""
    nullable : bool, default=False
        Empty cells allowed.
    unique : bool, default=False
    options : tuple of str, optional
        The allowed values of a text column.
    min, max : float, optional
        Closed bounds of a number.
    in_window : bool, default=False
        A date that must lie in the observation window.
    references : str, optional
        ``"table.column"`` that must hold every value.

    Examples
    --------
    >>> amount = next(c for c in TABLES["transactions"] if c.name == "amount")
    >>> amount.kind, amount.unit, amount.min
    ('float', 'EUR', 0.01)
    """

    name: str
    kind: str  # "int", "float", "date", "str", "bool"
    doc: str
    unit: str = ""
    nullable: bool = False
    unique: bool = False
    options: tuple | None = None
    min: float | None = None
    max: float | None = None
    in_window: bool = False  # a date that must lie in the observation window
    references: str | None = None  # "table.column" that must hold every value


def _likert(name: str, doc: str, low: int = 1, high: int = 5) -> Column:
    return Column(name, "int", doc, unit=f"{low}-{high} scale", nullable=True, min=low, max=high)


_ITEM_TEXT = {
    "acc_1": "The store and the web shop are easy to reach when I need them.",
    "acc_2": "Opening hours and delivery slots suit me.",
    "acc_3": "Finding what I want takes too long. (reverse-worded)",
    "com_1": "Fidelia keeps me informed about what matters to me.",
    "com_2": "Fidelia's messages are confusing or irrelevant. (reverse-worded)",
    "com_3": "When I ask something, I get a clear answer.",
    "par_1": "Fidelia asks for my opinion.",
    "par_2": "My suggestions are taken into account.",
    "par_3": "I can take part in product tests and events.",
    "add_1": "The card's extra services (delivery, returns, repairs) are useful.",
    "add_2": "The loyalty benefits are worth having.",
    "add_3": "The extra services are not worth the hassle. (reverse-worded)",
    "stf_1": "Staff are friendly and helpful.",
    "stf_2": "Staff know the products well.",
    "stf_3": "Staff solve my problems at once.",
    "stf_4": "Staff seem indifferent to my needs. (reverse-worded)",
}

#: Items whose wording is negative: agree (5) means a bad experience.
REVERSE_ITEMS = ("acc_3", "com_2", "add_3", "stf_4")

TABLES: dict[str, tuple[Column, ...]] = {
    "customers": (
        Column("customer_id", "int", "Loyalty-card number; ids follow the order of registration.", unique=True, min=1),
        Column("first_seen", "date", "Day the person registered for the loyalty card (for most buyers, the day of their first purchase; prospects who bought only later are in welcome_experiment.csv).", in_window=True),
        Column("acquisition_channel", "str", "How the person came to Fidelia.", options=ACQUISITION_CHANNELS),
        Column("referred_by", "int", "For member-get-member referrals, the customer_id of the member who recommended them; empty otherwise.", nullable=True, references="customers.customer_id"),
        Column("region", "str", "Home region (store catchment area).", options=REGIONS),
        Column("age_band", "str", "Age band in years at registration.", options=AGE_BANDS),
        Column("card_tier", "str", "Loyalty-card tier at the end of the window, by spend in the last 365 days: gold >= 1,200 EUR, silver >= 400 EUR, else basic. The tier is a state over time (see \"Points and card tiers\"): purchases made while silver or gold are larger by `truth.json` → `card_tiers.effect`.", options=CARD_TIERS),
    ),
    "transactions": (
        Column("transaction_id", "int", "Receipt number, in order of date.", unique=True, min=1),
        Column("customer_id", "int", "Card holder who bought.", references="customers.customer_id"),
        Column("date", "date", "Day of the purchase.", in_window=True),
        Column("amount", "float", "Amount paid, after discount.", unit="EUR", min=0.01),
        Column("gross_margin", "float", "Amount paid minus the cost of the goods; negative when a deep discount sells below cost.", unit="EUR"),
        Column("n_items", "int", "Units bought (sum of the basket lines' quantities).", min=1),
        Column("main_category", "str", "Category with the largest share of the basket's amount.", options=CATEGORIES),
        Column("channel", "str", "Where the purchase was made.", options=SALES_CHANNELS),
        Column("payment_method", "str", "How it was paid.", options=PAYMENT_METHODS),
        Column("discount", "float", "Discount granted on the list price (list price = amount + discount).", unit="EUR", min=0),
        Column("points_earned", "int", "Loyalty points earned: one per whole euro paid.", unit="points", min=0),
        Column("points_redeemed", "int", "Loyalty points redeemed, in blocks of 500; each point costs Fidelia 0.01 EUR. Redeeming customers cash each completed block at their next visit; the others never redeem (breakage).", unit="points", min=0),
    ),
    "transaction_items": (
        Column("transaction_id", "int", "Receipt the line belongs to.", references="transactions.transaction_id"),
        Column("line", "int", "Line number within the receipt, from 1.", min=1),
        Column("category", "str", "Product category of the line.", options=CATEGORIES),
        Column("quantity", "int", "Units on the line.", min=1),
        Column("amount", "float", "Amount paid for the line, after discount; the lines of a receipt add up to its amount.", unit="EUR", min=0.01),
    ),
    "survey_responses": (
        Column("response_id", "int", "Questionnaire number.", unique=True, min=1),
        Column("customer_id", "int", "Respondent (one questionnaire per customer).", unique=True, references="customers.customer_id"),
        Column("response_date", "date", "Day the questionnaire was returned.", in_window=True),
        *(_likert(item, f"{_ITEM_TEXT[item]} 1 = strongly disagree ... 5 = strongly agree.")
          for items in SURVEY_ITEMS.values() for item in items),
        *(_likert(f"imp_{c}", f"How important is {c.replace('_', ' ')} to you? 1 = not at all ... 5 = very.")
          for c in CONSTRUCTS),
        _likert("overall_satisfaction", "Overall, how satisfied are you with Fidelia? 1 = not at all ... 10 = completely.", 1, 10),
        _likert("recommend", "How likely are you to recommend Fidelia to a friend? 0 = not at all ... 10 = extremely (the NPS question).", 0, 10),
        Column("share_of_wallet", "int", "Of what you spend on these products, what share do you spend at Fidelia? (self-reported, in steps of 5). "
               "Answers misreport the true share (truth_customers.csv): true share + `wallet_report_bias` points "
               "(default 8: respondents overstate) + a noise of sd `wallet_report_sd` (default 12), drawn anew in each wave, "
               "clipped to 0-100 (truth.json -> survey.share_of_wallet_report).", unit="%", nullable=True, min=0, max=100),
        _likert("repurchase_intention", "I will keep buying at Fidelia. 1 = strongly disagree ... 5 = strongly agree."),
    ),
    "retention_experiment": (
        Column("customer_id", "int", "Customer judged at risk on the assignment day.", unique=True, references="customers.customer_id"),
        Column("assigned_date", "date", "Day of randomisation and contact.", in_window=True),
        Column("arm", "str", "Randomised arm: no contact, an e-mail with a 15% discount on the next purchase, or a personal phone call.", options=ARMS),
        Column("days_since_last", "int", "Days from the last purchase to the assignment day.", unit="days", min=0),
        Column("n_purchases_365d", "int", "Purchase days (distinct days with a receipt) in the 365 days before assignment.", min=0),
        Column("monetary_365d", "float", "Amount paid in the 365 days before assignment.", unit="EUR", min=0),
        Column("monetary_90d", "float", "Amount paid in the 90 days before assignment (the pre-period of the outcome, for CUPED).", unit="EUR", min=0),
        Column("avg_basket", "float", "Mean amount per receipt before assignment.", unit="EUR", min=0),
        Column("digital_share", "float", "Share of receipts before assignment made online or in the app (not in a store).", unit="share", min=0, max=1),
        Column("discount_share", "float", "Share of receipts before assignment made with a discount.", unit="share", min=0, max=1),
        Column("tenure_days", "int", "Days from registration to assignment.", unit="days", min=0),
        Column("active_90d", "bool", "Outcome: bought at least once in the 90 days after assignment."),
        Column("revenue_90d", "float", "Outcome: amount paid in the 90 days after assignment.", unit="EUR", min=0),
        Column("cost", "float", "Cost of the contact: 0.50 EUR per e-mail, 6.00 EUR per call, 0 for control. The e-mail's 15% discount is not in it: it is already deducted from revenue_90d (the amount paid).", unit="EUR", min=0),
    ),
    "memberships": (
        Column("member_id", "int", "Membership number of Fidelia Plus, the paid annual membership.", unique=True, min=1),
        Column("customer_id", "int", "Loyalty card of the member; empty for members who left before the card was launched.", nullable=True, unique=True, references="customers.customer_id"),
        Column("signup_date", "date", "Day the membership started; it renews on each anniversary."),
        Column("cohort", "int", "Year of signup.", unit="year"),
        Column("renewals", "int", "Anniversaries at which the member renewed, up to the end of the window.", min=0),
        Column("cancelled", "bool", "True if the member did not renew at an anniversary before the end of the window."),
        Column("cancel_date", "date", "Anniversary at which the member did not renew; empty while still a member.", nullable=True),
    ),
    "complaints": (
        Column("complaint_id", "int", "Complaint number, in order of date.", unique=True, min=1),
        Column("customer_id", "int", "Customer who complained.", references="customers.customer_id"),
        Column("transaction_id", "int", "Purchase the complaint is about.", references="transactions.transaction_id"),
        Column("date", "date", "Day the complaint was made.", in_window=True),
        Column("type", "str", "What the complaint is about.", options=COMPLAINT_TYPES),
        Column("severity", "int", "1 = minor, 2 = serious, 3 = severe.", min=1, max=3),
        Column("days_to_resolve", "int", "Days from the complaint to its resolution.", unit="days", min=1),
        Column("n_handoffs", "int", "Times the case was passed from one person to another (front-line colleagues or a back-office department).", min=0),
        Column("resolved_front_line", "bool", "True if front-line staff (store or service desk) solved it without escalating it to a back-office department (front-line empowerment)."),
        Column("compensation", "float", "Compensation given (voucher, refund or gift).", unit="EUR", min=0),
        Column("stayed_180d", "bool", "Bought again within 180 days after the complaint; empty when the outcome is unknown (fewer than 180 days of the window remain).", nullable=True),
    ),
    "truth_customers": (
        Column("customer_id", "int", "Customer.", unique=True, references="customers.customer_id"),
        Column("profile", "str", "Latent behavioural profile (what clustering should recover).", options=PROFILES),
        Column("buyer", "bool", "False for prospects who registered and never bought."),
        Column("purchase_rate", "float", "BG/NBD purchase rate lambda while alive.", unit="purchases per week", nullable=True, min=0),
        Column("dropout_prob", "float", "BG/NBD probability p of leaving after each repeat purchase.", nullable=True, min=0, max=1),
        Column("mean_spend", "float", "Gamma-Gamma mean amount per purchase, p / nu, before the card tier's effect (a purchase made while silver or gold is larger by `card_tiers.effect`).", unit="EUR", nullable=True, min=0),
        Column("alive_end", "bool", "Still a customer (not dropped out) at the end of the window.", nullable=True),
        Column("dropout_date", "date", "Day the customer left (the BG/NBD dropout, just after a purchase that day); empty while alive at the end of the window, and for prospects. A customer is alive on a day d when alive_end is true or dropout_date >= d. A few left customers still show a purchase later: the retention experiment's contact brought them back once.", nullable=True, in_window=True),
        Column("satisfaction", "float", "Latent satisfaction (standardised over buyers: mean 0, sd 1).", nullable=True),
        Column("recommend", "int", "The answer the customer would give to the NPS question.", unit="0-10 scale", nullable=True, min=0, max=10),
        Column("share_of_wallet", "float", "Share of the customer's category spend that goes to Fidelia: the true share, which the survey answers misreport.", unit="%", nullable=True, min=0, max=100),
        Column("expected_purchases_52w", "float", "Expected purchases in the 52 weeks after the window, given lambda, p and whether alive: (1 - exp(-lambda p t)) / p.", nullable=True, min=0),
        Column("expected_spend_52w", "float", "expected_purchases_52w x mean_spend (undiscounted), before the card tier's effect on the purchases of silver and gold customers (`card_tiers.effect`).", unit="EUR", nullable=True, min=0),
        Column("p_active_90d", "float", "For the experiment: probability of buying in the 90 days after assignment without contact.", nullable=True, min=0, max=1),
        Column("effect_email_discount", "float", "For the experiment: true effect of the e-mail on that probability.", nullable=True, min=-1, max=1),
        Column("effect_personal_call", "float", "For the experiment: true effect of the call on that probability.", nullable=True, min=-1, max=1),
    ),
}



def _same_columns(table: str, *names: str) -> tuple[Column, ...]:
    """Columns of another table, reused with the same meaning."""
    columns = {c.name: c for c in TABLES[table]}
    return tuple(columns[name] for name in names)


# Tables added after the first version of the data set: a folder without them still loads
# (fidelia_kit.dataset.OPTIONAL_TABLES).
TABLES["survey_waves"] = (
    Column("wave", "int", "Survey wave: 1 = the short first wave (30% into the window; the relationship questions only), "
           "2 = the satisfaction survey of survey_responses.csv (the same answers).", min=1, max=2),
    Column("customer_id", "int", "Respondent (one answer per customer and wave).", references="customers.customer_id"),
    Column("response_date", "date", "Day the answer was returned.", in_window=True),
    *_same_columns("survey_responses", "overall_satisfaction", "recommend", "share_of_wallet"),
)

TABLES["welcome_experiment"] = (
    Column("customer_id", "int", "Prospect in the trial: registered without buying, early enough for the contact and its 90 days to lie in the window.", unique=True, references="customers.customer_id"),
    Column("contact_date", "date", "Day of the welcome contact, 7 days after registration (for control, the day it would have been sent).", in_window=True),
    Column("arm", "str", "Randomised arm: a welcome contact (welcome message and first-steps guide) or none.", options=("control", "welcome")),
    Column("first_purchase_90d", "bool", "Outcome: made a first purchase in the 90 days from contact_date (contact_date included)."),
)

TABLES["contacts"] = (
    Column("contact_id", "int", "Contact number, in order of date (then customer, then phase in the order of the phase column's allowed values).", unique=True, min=1),
    Column("customer_id", "int", "Card holder contacted.", references="customers.customer_id"),
    Column("contact_date", "date", "Day the contact was made (sent, posted or called).", in_window=True),
    Column("phase", "str", "Step of the contact plan: welcome (7 days after registration), cross_sell (an offer of a "
           "category), upgrade (an offer to reach the next card tier), questionnaire (survey invitation), "
           "referral_invite (member-get-member invitation) or reactivation (the retention experiment's contact).",
           options=CONTACT_PHASES),
    Column("category", "str", "The offered category, for cross_sell; empty otherwise.", nullable=True,
           options=CATEGORIES),
    Column("assignment", "str", "For cross_sell: rule = category and channel chosen by the firm's rule (the category "
           "the customer bought most often, the app for app shoppers, else e-mail); random = category and channel "
           "drawn at random (uniformly); empty otherwise.", nullable=True, options=("rule", "random")),
    Column("channel", "str", "How the contact was made.", options=CONTACT_CHANNELS),
    Column("cost", "float", "Cost of the contact: e-mail 0.50, app message 0.10, SMS 0.20, mail 1.50, call 6.00 EUR "
           "(no discount or points in it).", unit="EUR", min=0),
    Column("opened", "bool", "The message was opened (e-mail and app only; empty for SMS, mail and calls).",
           nullable=True),
    Column("clicked", "bool", "The link in the message was followed (e-mail, app, SMS; for a questionnaire: it was "
           "returned, as in survey_waves.csv); empty where the channel has no link.", nullable=True),
    Column("redeemed", "bool", "The offer's coupon was used: cross_sell and upgrade offers, and the reactivation "
           "e-mail's 15% discount (true exactly when active_90d in retention_experiment.csv); empty otherwise.",
           nullable=True),
    Column("purchased_category_30d", "bool", "For cross_sell: bought in the offered category within 30 days of the "
           "contact (contact day included). The contact's recorded outcome; these purchases are not added to "
           "transactions.csv. Empty otherwise.", nullable=True),
)

#: File name of every table in a data set folder.
TABLE_FILES = {name: f"{name}.csv" for name in TABLES}


def coerce_table(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return ``df`` with the schema's column order and dtypes.

    Both the generator and the readers pass through here, so a saved and re-read
    world equals the generated one.

    Parameters
    ----------
    df : DataFrame
        A table whose values are valid (see :func:`fidelia_kit.io.validate_table`, which
        checks them); extra columns are dropped.
    table : str
        One of :data:`TABLES`.

    Returns
    -------
    DataFrame
        Integers as ``int64`` (``Int64`` when nullable), dates ``datetime64[ns]``, flags
        ``bool`` (``boolean`` when nullable), floats ``float64``, text ``str``; a fresh
        0..n-1 index.

    Examples
    --------
    >>> raw = pd.DataFrame({"member_id": [1], "customer_id": [None], "signup_date": ["2019-05-01"],
    ...                     "cohort": [2019], "renewals": [3], "cancelled": [False], "cancel_date": [None]})
    >>> coerce_table(raw, "memberships").dtypes.astype(str).tolist()
    ['int64', 'Int64', 'datetime64[ns]', 'int64', 'int64', 'bool', 'datetime64[ns]']
    """
    import pandas as pd  # here, so the command line reads the schema without pandas

    out = {}
    for col in TABLES[table]:
        s = df[col.name]
        if col.kind == "int":
            s = s.astype("Int64" if col.nullable else "int64")
        elif col.kind == "float":
            s = s.astype("float64")
        elif col.kind == "date":
            s = pd.to_datetime(s).astype("datetime64[ns]")
        elif col.kind == "bool":
            s = s.astype("boolean" if col.nullable else "bool")
        else:
            s = s.astype(str)
        out[col.name] = s.reset_index(drop=True)
    return pd.DataFrame(out)


def data_dictionary() -> str:
    """The data dictionary as Markdown: one section per table, one row per column.

    ``datasets/README.md`` embeds this text between the markers
    ``<!-- dictionary:start -->`` and ``<!-- dictionary:end -->`` (a test keeps it current);
    its "Derived columns" come from :func:`fidelia_kit.features.features_dictionary`.

    Returns
    -------
    str
        Markdown: per table a ``### <file>`` heading and a table of column, type, unit,
        allowed values and meaning.

    Examples
    --------
    >>> print(data_dictionary().splitlines()[0])
    ### customers.csv
    """
    kinds = {"int": "integer", "float": "number", "date": "date (YYYY-MM-DD)", "str": "text", "bool": "true/false"}
    parts = []
    for table, columns in TABLES.items():
        parts.append(f"### {TABLE_FILES[table]}\n")
        parts.append("| column | type | unit | allowed | meaning |")
        parts.append("| --- | --- | --- | --- | --- |")
        for c in columns:
            allowed = []
            if c.options:
                allowed.append(", ".join(c.options))
            if c.min is not None or c.max is not None:
                lo = "" if c.min is None else f"{c.min:g}"
                hi = "" if c.max is None else f"{c.max:g}"
                allowed.append(f">= {lo}" if not hi else f"{lo} to {hi}")
            if c.unique:
                allowed.append("unique")
            if c.references and not c.references.startswith(table + "."):
                allowed.append(f"in {c.references}")
            if c.in_window:
                allowed.append("in the window")
            allowed.append("may be empty" if c.nullable else "required")
            parts.append(f"| `{c.name}` | {kinds[c.kind]} | {c.unit or '-'} | {'; '.join(allowed)} | {c.doc} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"
