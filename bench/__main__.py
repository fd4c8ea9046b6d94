"""`make bench`: every benchmark, printed as medians of several runs beside raw Ray."""

from __future__ import annotations

import argparse

from bench import executions, registration, store
from bench.embedded import embedded_stack
from graven.data_plane import ray_runtime


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure")
    args = parser.parse_args()
    # One Ray cluster for Graven's agent and for raw Ray, so the ratio compares like with like.
    ray_runtime.connect()
    ray_address = ray_runtime.cluster_address()
    with embedded_stack("--ray", ray_address) as endpoint:
        print("Registration (embedded stack: SQLite, local store)")
        for label, timing in registration.run(endpoint, args.repeat).items():
            print(f"  {label:32s} {timing.describe()}")
        print("Executions, CreateExecution to SUCCEEDED, beside raw Ray on the same cluster")
        for label, graven, raw in executions.run(endpoint, ray_address, args.repeat):
            ratio = graven.median / raw.median
            print(f"  {label:20s} Graven {graven.describe()}")
            print(f"  {'':20s} raw Ray {raw.describe()}   ratio {ratio:5.1f}x")
    print("Writing a 1 GiB output (put_content) beside a raw write through the same medium")
    for line in store.describe(store.run()):
        print(f"  {line}")


if __name__ == "__main__":
    main()
