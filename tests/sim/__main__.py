"""``python -m tests.sim [--seed N | --seeds COUNT [--start S]]``: runs the
simulator (make sim); a failing seed prints itself and how to replay it."""

from __future__ import annotations

import argparse
import logging
import sys
import time
import traceback

from tests.sim.world import simulate


def replay_command(seed: int) -> str:
    return f"make sim SEED={seed}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sim")
    parser.add_argument("--seed", type=int, help="replay one seed, with its trace")
    parser.add_argument("--seeds", type=int, default=1000, help="how many seeds to run")
    parser.add_argument("--start", type=int, default=0, help="the first seed")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the use cases log every fault they ride out
    seeds = [args.seed] if args.seed is not None else range(args.start, args.start + args.seeds)
    began, failed = time.monotonic(), 0
    for seed in seeds:
        try:
            world = simulate(seed)
        except Exception:
            failed += 1
            traceback.print_exc()
            print(f"FAILED seed {seed}; replay with: {replay_command(seed)}", file=sys.stderr)
            if args.seed is None:
                return 1
            continue
        if args.seed is not None:
            print("\n".join(world.trace))
            print(f"faults: {world.accounts.faults}")
            print(f"crashes: {world.crashes}, transfers: {len(world.transfer_tables.transfers)}")
    elapsed = time.monotonic() - began
    print(f"{len(seeds) - failed}/{len(seeds)} seeds passed in {elapsed:.1f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
