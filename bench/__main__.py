"""`make bench`: every benchmark, printed as medians of several runs."""

from __future__ import annotations

import argparse

from bench import registration
from bench.embedded import embedded_stack


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--repeat", type=int, default=9, help="runs per figure")
    args = parser.parse_args()
    with embedded_stack() as endpoint:
        print("Registration (embedded stack: SQLite, local store)")
        for label, timing in registration.run(endpoint, args.repeat).items():
            print(f"  {label:32s} {timing.describe()}")


if __name__ == "__main__":
    main()
