"""fidelia_kit.synth — the synthetic Fidelia world, with the truth that made it."""
from __future__ import annotations

from .config import WorldConfig
from .world import World, generate_world, write_csv

__all__ = ["WorldConfig", "World", "generate_world", "write_csv"]
