"""Command line: ``python -m autograder release``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("release", help="regenerate notebooks/ from solutions/ with nbgrader")
    args = parser.parse_args(argv)

    if args.command == "release":
        from .release import ReleaseError, write_release

        try:
            names = write_release()
        except ReleaseError as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            print("TIP fix the source notebook under solutions/ and run `make release` again.", file=sys.stderr)
            return 1
        print(f"released {len(names)} notebooks into notebooks/: {', '.join(names)}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
