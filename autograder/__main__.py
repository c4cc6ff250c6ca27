"""Command line: ``python -m autograder release | grade | merge | slurm | gradescope-zip``."""

from __future__ import annotations

import argparse
import subprocess
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
    release = commands.add_parser("release", help="regenerate notebooks/ from solutions/ with nbgrader")
    release.add_argument("--force", action="store_true",
                         help="overwrite release notebooks that hold work, after copying each to release-backups/")

    student = commands.add_parser("student-repo", help="write the repository a class is given (a new git repository)")
    student.add_argument("dest", type=Path, help="a folder that does not exist yet, or an empty one")

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
                       help="nbgrader gradebook URL (default sqlite:///OUT/gradebook.db, with --formgrader the "
                            "course's gradebook.db; 'none' to skip)")
    grade.add_argument("--formgrader", action="store_true",
                       help="grade into the course formgrader shows (make lab-instructor): its gradebook.db and the "
                            "graded notebooks under autograded/ at the top of the repository, for grading by hand")
    grade.add_argument("--shard", type=_shard, default=None, help="grade only shard I of N (0-based), e.g. 0/4")
    grade.add_argument("--format", type=_formats, default=("csv",), help="csv (always) and/or gradescope")
    grade.add_argument("--notebooks", type=_names, default=None, help="comma-separated assignments (default: all)")
    grade.add_argument("--force", action="store_true", help="grade again even what an earlier run already graded")
    grade.add_argument("--no-isolation", action="store_true",
                       help="skip namespaces/chroot/uid switch (debugging only: student code can then read your files)")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.add_argument("--no-class-cache", action="store_true",
                       help="compute the graded cells' student-free setups and references for every notebook, not "
                            "once per class (slower; the grades are the same)")
    grade.add_argument("--secret-file", type=Path, default=None, metavar="PATH",
                       help="the course secret every hidden input is derived from: a file outside the repository "
                            "(default: $LMTRAIN_COURSE_SECRET; without either, the published seeds)")

    merge = commands.add_parser("merge", help="combine the output folders of --shard runs")
    merge.add_argument("inputs", type=Path, nargs="+", help="output folders of the shards")
    merge.add_argument("--out", type=Path, required=True)
    merge.add_argument("--db-url", default=None)
    merge.add_argument("--format", type=_formats, default=("csv",))
    merge.add_argument("--notebooks", type=_names, default=None)
    slurm = commands.add_parser("slurm", help="grade a class on Slurm: a job array of shards, then a merge job")
    slurm.add_argument("submissions", type=Path, help="as for grade (a path every node can read)")
    slurm.add_argument("--out", type=Path, required=True,
                       help="output folder every node can write: the merged outputs, shards/, slurm/ (scripts, logs)")
    slurm.add_argument("--shards", type=int, required=True, help="array tasks, each grading 1/N of the students")
    slurm.add_argument("--jobs", type=int, default=1, help="notebooks graded at once in each shard (= --cpus-per-task)")
    slurm.add_argument("--timeout", type=float, default=300.0, help="as for grade")
    slurm.add_argument("--cell-timeout", type=float, default=120.0, help="as for grade")
    slurm.add_argument("--memory", type=float, default=4.0, help="GB per notebook, enforced by the grader's sandbox")
    slurm.add_argument("--max-processes", type=int, default=128, help="as for grade")
    slurm.add_argument("--notebooks", type=_names, default=None, help="as for grade")
    slurm.add_argument("--force", action="store_true", help="as for grade")
    slurm.add_argument("--format", type=_formats, default=("csv",), help="as for grade")
    slurm.add_argument("--db-url", default=None, help="the merge's gradebook, as for grade")
    slurm.add_argument("--sbatch", action="append", default=[], metavar="ARG",
                       help="an sbatch option for both jobs, e.g. --sbatch=--partition=cpu --sbatch=--time=02:00:00")
    slurm.add_argument("--wait", action="store_true", help="return when the merge job has ended, with its status")

    slurm_merge = commands.add_parser("slurm-merge", help="(run by the merge job) merge the shards that finished")
    slurm_merge.add_argument("out", type=Path)
    slurm_merge.add_argument("--shards", type=int, required=True)
    slurm_merge.add_argument("--format", type=_formats, default=("csv",))
    slurm_merge.add_argument("--db-url", default=None)
    slurm_merge.add_argument("--notebooks", type=_names, default=None)
    zip_parser = commands.add_parser("gradescope-zip", help="build the autograder zip to upload to Gradescope")
    zip_parser.add_argument("--out", type=Path, default=Path("autograder.zip"), help="the zip to write (default autograder.zip)")
    gs_run = commands.add_parser("gradescope-run", help="(run by Gradescope's run_autograder) grade ROOT/submission")
    gs_run.add_argument("root", type=Path, help="Gradescope's folder: /autograder")
    gs_run.add_argument("--memory", type=float, default=1.0, help="GB for the notebook (default 1)")
    args = parser.parse_args(argv)

    if args.command == "release":
        from .course import REPO_ROOT
        from .release import BACKUP_DIR, ReleaseError, ReleaseRefused, TranslationError, backup_folder, write_release

        backups = backup_folder(REPO_ROOT)
        try:
            names = write_release(force=args.force, backup_dir=backups)
        except ReleaseRefused as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            print(f"TIP keep that work first: hand it in, or copy the notebooks out of the release folders. Then "
                  f"`make release FORCE=1` writes the release over them, after copying each one to {BACKUP_DIR}/<UTC time>/.",
                  file=sys.stderr)
            return 1
        except TranslationError as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            print("TIP notebooks/ was written; translate the cells named above in solutions/NN_topic/NN_topic.zh.md "
                  "(`python -m autograder.translations fingerprints NB.ipynb` prints the markers), then run "
                  "`make release` again.", file=sys.stderr)
            return 1
        except ReleaseError as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            print("TIP fix the source notebook under solutions/ and run `make release` again.", file=sys.stderr)
            return 1
        if backups.exists():
            kept = sorted(p.relative_to(backups).as_posix() for p in backups.rglob("*") if p.is_file())
            print(f"kept a copy of the work the release replaced in {backups.relative_to(REPO_ROOT).as_posix()}/: "
                  f"{', '.join(kept)}")
        print(f"released {len(names)} notebooks into notebooks/ and notebooks-zh/: {', '.join(names)}")
        return 0
    if args.command == "student-repo":
        from .student_repo import StudentRepoError, write_student_repo

        try:
            files = write_student_repo(args.dest)
        except StudentRepoError as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            return 1
        print(f"wrote {args.dest}: a git repository of {len(files)} files in one commit, for students (its README.md "
              "says what they run). Push it as a GitHub Classroom template, or zip it for your LMS.")
        return 0
    if args.command == "grade":
        from .sandbox import Limits, start_fork_server

        if args.jobs < 1:
            parser.error("--jobs must be at least 1")
        # The sandboxes' fork server imports PyTorch, seconds of start-up: in a process of its own,
        # it does so while this one imports nbgrader and reads the class.
        start_fork_server()
        from .grade import GradeOptions, OutputOptions, RunOptions, grade_class

        limits = Limits(notebook_timeout=args.timeout, cell_timeout=min(args.cell_timeout, args.timeout),
                        memory_gb=args.memory, max_processes=args.max_processes)
        from .checker import course_secret

        try:
            secret = course_secret(args.secret_file, GradeOptions().course_root)
        except (OSError, ValueError) as exc:
            parser.error(f"--secret-file: {exc}")
        options = GradeOptions(limits=limits, isolate=not args.no_isolation, secret=secret,
                               class_cache=not args.no_class_cache)
        db_url, formgrader = args.db_url, None
        if args.formgrader:
            if db_url == "none":
                parser.error("--formgrader shows the grades of a gradebook: leave out --db-url none")
            formgrader = options.course_root
            db_url = db_url or f"sqlite:///{formgrader / 'gradebook.db'}"
        try:
            grade_class(args.submissions, args.out, options=options,
                        run=RunOptions(jobs=args.jobs, names=args.notebooks, shard=args.shard,
                                       force=args.force, progress=not args.no_progress),
                        output=OutputOptions(formats=args.format, db_url=db_url, formgrader=formgrader))
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
    if args.command == "slurm":
        from .slurm import SlurmError, submit, write_scripts

        if args.shards < 1 or args.jobs < 1:
            parser.error("--shards and --jobs must be at least 1")
        if not args.submissions.exists():
            parser.error(f"{args.submissions} does not exist: give the folder of submissions")
        grade_args = ["--timeout", str(args.timeout), "--cell-timeout", str(args.cell_timeout),
                      "--memory", str(args.memory), "--max-processes", str(args.max_processes)]
        grade_args += ["--notebooks", ",".join(args.notebooks)] if args.notebooks else []
        grade_args += ["--force"] if args.force else []
        out = args.out.resolve()
        grade_script, merge_script = write_scripts(args.submissions.resolve(), out, args.shards, grade_args,
                                                   jobs=args.jobs, memory_gb=args.memory, formats=args.format,
                                                   db_url=args.db_url, names=args.notebooks)
        try:
            array, merge_job, status = submit(grade_script, merge_script, args.sbatch, wait=args.wait)
        except SlurmError as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            print(f"TIP the scripts are in {grade_script.parent}; fix the cause and run the same command again "
                  "(shards that finished are not graded twice).", file=sys.stderr)
            return 1
        print(f"submitted the array {array} ({args.shards} shards) and the merge job {merge_job}; "
              f"watch with: squeue -j {array},{merge_job}")
        if status is None:
            print(f"the merged grades will be in {out}; {out}/shards.csv says which shards finished")
            return 0
        merge_log = out / "slurm" / "merge.out"
        print(merge_log.read_text(errors="replace") if merge_log.exists() else f"(no {merge_log})")
        return status
    if args.command == "slurm-merge":
        from .slurm import merge_shards

        outcomes = merge_shards(args.out, args.shards, formats=args.format, db_url=args.db_url,
                                names=args.notebooks)
        return 0 if all(o.ok for o in outcomes) else 1
    if args.command == "gradescope-zip":
        from .gradescope import build_zip

        try:
            path = build_zip(args.out)
        except (ValueError, OSError, subprocess.CalledProcessError) as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            return 1
        print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment "
              "(README: 'Grade on Gradescope')")
        return 0
    if args.command == "gradescope-run":
        from .gradescope import run

        return run(args.root.resolve(), memory_gb=args.memory)
    return 2


if __name__ == "__main__":
    sys.exit(main())
