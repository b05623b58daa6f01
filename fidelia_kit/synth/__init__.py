"""fidelia_kit.synth — the synthetic Fidelia world, with the truth that made it."""
from __future__ import annotations

from ..dataset import World, write_csv
from .config import WorldConfig
from .contacts import true_offer_response
from .world import generate_world, true_expected_purchases, true_wallet_report_error

__all__ = ["WorldConfig", "World", "generate_world", "true_expected_purchases", "true_offer_response",
           "true_wallet_report_error", "write_csv"]
