"""fidelia_kit.synth — the synthetic Fidelia world, with the truth that made it."""
from __future__ import annotations

from ..dataset import World, write_csv
from .config import WorldConfig
from .world import generate_world

__all__ = ["WorldConfig", "World", "generate_world", "write_csv"]
