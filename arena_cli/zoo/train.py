"""Retrain a zoo model from scratch: `python -m arena_cli.zoo.train NAME [--device cuda]`.

Writes the checkpoint (by default over the shipped one) and prints the measured metrics.
The same as `arena dev zoo train NAME`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from arena_cli import zoo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m arena_cli.zoo.train", description=__doc__)
    parser.add_argument("name", choices=(*zoo.names(), *(e.name for e in zoo.sae_catalogue())), help="the zoo model to retrain")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--out", type=Path, default=None, help="where to write the checkpoint")
    parser.add_argument("--seed", type=int, default=None, help="default: the shipped checkpoint's seed")
    args = parser.parse_args(argv)
    try:
        metrics = zoo.train(args.name, device=args.device, out=args.out, seed=args.seed)
    except zoo.ZooError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    metrics.pop("history", None)
    print(json.dumps(metrics, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
