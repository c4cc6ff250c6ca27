"""Command line: ``python -m autograder release | grade | merge``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard wants I/N (e.g. 0/4), got {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"--shard {text}: need 0 <= I < N (shards are numbered from 0)")
    return index, count


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    unknown = set(formats) - {"csv", "gradescope"}
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown format(s) {', '.join(sorted(unknown))}; known: csv, gradescope")
    return formats


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("release", help="regenerate notebooks/ from solutions/ with nbgrader")

    grade = commands.add_parser("grade", help="grade a class of submissions into an output folder")
    grade.add_argument("submissions", type=Path, help="one folder or .zip per student, or nbgrader's submitted/ layout")
    grade.add_argument("--out", type=Path, required=True, help="output folder (grades.csv, report.json, feedback/, ...)")
    grade.add_argument("--jobs", type=int, default=1, help="notebooks graded at the same time (default 1)")
    grade.add_argument("--timeout", type=float, default=300.0, help="wall seconds per notebook (default 300)")
    grade.add_argument("--cell-timeout", type=float, default=120.0, help="wall seconds per cell (default 120)")
    grade.add_argument("--memory", type=float, default=4.0, help="GB of memory per notebook (default 4)")
    grade.add_argument("--max-processes", type=int, default=128,
                       help="processes and threads a notebook may run at once (default 128)")
    grade.add_argument("--db-url", default=None,
                       help="nbgrader gradebook URL (default sqlite:///OUT/gradebook.db; 'none' to skip)")
    grade.add_argument("--shard", type=_shard, default=None, help="grade only shard I of N (0-based), e.g. 0/4")
    grade.add_argument("--format", type=_formats, default=("csv",), help="csv (always) and/or gradescope")
    grade.add_argument("--notebooks", type=_names, default=None, help="comma-separated assignments (default: all)")
    grade.add_argument("--force", action="store_true", help="grade again even what an earlier run already graded")
    grade.add_argument("--no-isolation", action="store_true",
                       help="skip namespaces/chroot/uid switch (debugging only: student code can then read your files)")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")

    merge = commands.add_parser("merge", help="combine the output folders of --shard runs")
    merge.add_argument("inputs", type=Path, nargs="+", help="output folders of the shards")
    merge.add_argument("--out", type=Path, required=True)
    merge.add_argument("--db-url", default=None)
    merge.add_argument("--format", type=_formats, default=("csv",))
    merge.add_argument("--notebooks", type=_names, default=None)
    args = parser.parse_args(argv)

    if args.command == "release":
        from .release import ReleaseError, TranslationError, write_release

        try:
            names = write_release()
        except TranslationError as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            print("TIP notebooks/ was written; translate the cells named above in solutions/NN_topic/NN_topic.zh.md "
                  "(`python -m autograder.release fingerprints NB.ipynb` prints the markers), then run "
                  "`make release` again.", file=sys.stderr)
            return 1
        except ReleaseError as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            print("TIP fix the source notebook under solutions/ and run `make release` again.", file=sys.stderr)
            return 1
        print(f"released {len(names)} notebooks into notebooks/ and notebooks-zh/: {', '.join(names)}")
        return 0
    if args.command == "grade":
        from .sandbox import Limits
        from .grade import GradeOptions, grade_class

        if args.jobs < 1:
            parser.error("--jobs must be at least 1")
        limits = Limits(notebook_timeout=args.timeout, cell_timeout=min(args.cell_timeout, args.timeout),
                        memory_gb=args.memory, max_processes=args.max_processes)
        try:
            grade_class(args.submissions, args.out, jobs=args.jobs,
                        options=GradeOptions(limits=limits, isolate=not args.no_isolation),
                        names=args.notebooks, shard=args.shard, db_url=args.db_url, formats=args.format,
                        progress=not args.no_progress, force=args.force)
        except (FileNotFoundError, RuntimeError, KeyError) as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            return 1
        return 0
    if args.command == "merge":
        from .grade import merge_outputs

        try:
            merge_outputs(args.inputs, args.out, names=args.notebooks, db_url=args.db_url, formats=args.format)
        except (FileNotFoundError, RuntimeError, ValueError) as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            return 1
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
