"""Benchmark: behaviour features and cluster_customers (k = 2..8, k-means, silhouette on a
sample) at 1,000,000 customers. Usage: .venv/bin/python benchmarks/bench_cluster.py [--customers N]
"""
from __future__ import annotations

import argparse
import resource
import time

from fidelia_kit import generate_world
from fidelia_kit.segmentation import behaviour_features, cluster_customers


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    args = ap.parse_args()
    world = generate_world(n_customers=args.customers, seed=2026)
    t0 = time.perf_counter()
    features = behaviour_features(world.transactions, world.transaction_items)
    t1 = time.perf_counter()
    result = cluster_customers(features, k=range(2, 9), rng=0)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"{len(features):,} customers: behaviour_features {t1 - t0:.1f} s; cluster_customers (k=2..8) {t2 - t1:.1f} s; "
          f"chosen k={result.k}; peak RSS of the whole run {peak:.1f} GB")


if __name__ == "__main__":
    main()
