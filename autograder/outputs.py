"""Every file a grading run writes, rendered from the per-notebook results it is given.

``grades.csv``, ``report.json``, ``integrity.csv``, feedback HTML, Gradescope's
``results.json`` (the nbgrader gradebook is :mod:`autograder.gradebook`'s, the saved
state that the results come from :mod:`autograder.state`'s). Student-facing files hold only
what the host decided from the plan and the typed results: scores, the
instructor's public descriptions of hidden checks, visible messages (from a run
in which no hidden section had been in the sandbox) and escaped output. Every
CSV cell is neutralised against spreadsheet formulas, and every file is
written owner-only, atomically, as UTF-8 that any string can go into.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from .gradebook import HandGrades
from .protocol import safe_text
from .scoring import STATUSES, NotebookResult, TestResult
from .state import write_atomic

if TYPE_CHECKING:  # only an annotation here; importing the plan at run time would be a cycle
    from .plan import SourceNotebook

__all__ = ["render", "mark_similar_answers", "feedback_html", "gradescope_results", "summary_table", "csv_cell",
           "regrade_csv", "feedback_index_html", "cell_description", "notebook_state"]

#: The version of the state and report format (the cache key hashes the grader's code itself).
REPORT_VERSION = "2"


def _r(x: float) -> float:
    return round(float(x), 6)


def csv_cell(value) -> str:
    """A CSV field a spreadsheet shows as text: a leading =, +, -, @, tab or CR is escaped with a quote."""
    text = safe_text(str(value), 2000)
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def render(out: Path, course: dict, results: list[NotebookResult], states: list[dict],
           hand: dict[tuple[str, str], HandGrades], *, formats=("csv",)) -> None:
    """Write grades.csv, report.json, integrity.csv, regrade.csv, feedback (and results.json) into ``out``.

    ``states``: each result's saved state (:mod:`autograder.state`), for its re-grade and hand-grade
    history; ``hand``: the scores and comments given by hand in the gradebook.
    """
    regrades = [state.get("regrade") for state in states]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(GRADES_COLUMNS)
    for r in results:
        given, graded, pending = _hand_split(r, hand.get((r.student_id, r.notebook)))
        if r.status == "missing":
            given = graded = pending = 0.0
        writer.writerow([csv_cell(r.student_id), r.notebook, f"{_r(r.score + given):g}", f"{_r(r.max_score + graded):g}",
                         r.status, f"{given:g}", f"{pending:g}"])
    write_atomic(out / "grades.csv", buffer.getvalue())
    report = {
        "report_version": REPORT_VERSION,
        "notebooks": {
            name: {
                "max_score": _r(nb.max_score),
                "tests": [{"grade_id": t.grade_id, "points": t.points, "hidden_test": t.hidden_number}
                          for t in nb.tests.values()],
            }
            for name, nb in sorted(course.items())
        },
        "results": [
            {k: v for k, v in asdict(r).items() if k not in ("notes", "fingerprint")} for r in results
        ],
    }
    write_atomic(out / "report.json", json.dumps(report, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "notebook", "kind", "detail"])
    rows = sorted({(csv_cell(r.student_id), r.notebook, k, csv_cell(d)) for r in results for k, d in r.integrity})
    writer.writerows(rows)
    write_atomic(out / "integrity.csv", buffer.getvalue())
    write_atomic(out / "regrade.csv", regrade_csv(results, regrades, [s.get("hand_change") for s in states],
                                                  [s.get("hand") for s in states]))
    by_student: dict[str, list[NotebookResult]] = {}
    for r in results:
        by_student.setdefault(r.student_id, []).append(r)
    for student, mine in by_student.items():
        for r in mine:
            write_atomic(out / "feedback" / student / f"{r.notebook}.html",
                         feedback_html(r, course[r.notebook], hand.get((student, r.notebook))))
        write_atomic(out / "feedback" / student / "index.html", feedback_index_html(student, mine, hand))
        if "gradescope" in formats:
            write_atomic(out / "gradescope" / student / "results.json",
                          json.dumps(gradescope_results(mine, course, hand), indent=1, sort_keys=True) + "\n")


#: ``score`` and ``max_score`` count a written answer graded by hand (formgrader) once it has its
#: points: ``hand_score`` of the score was given by hand, ``hand_pending`` points still wait for it.
GRADES_COLUMNS = ["student_id", "notebook", "score", "max_score", "status", "hand_score", "hand_pending"]

#: The reason regrade.csv gives for a score an instructor gave or changed in formgrader.
HAND_CHANGE = "a grade given by hand"


REGRADE_COLUMNS = ["student_id", "notebook", "test", "old_score", "new_score", "old_status", "new_status", "changed",
                   "regraded_at"]


def regrade_csv(results: list[NotebookResult], regrades: list[dict | None], hand_changes: list[dict | None] = (),
                hands: list[dict | None] = ()) -> str:
    """The last re-grade of every pair graded more than once: a row for the notebook (``test`` empty,
    the autograded score) and one for each test whose score or status moved, with what changed since
    the grade before; then a row for each written answer whose score given by hand last changed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REGRADE_COLUMNS)
    for r, regrade in zip(results, regrades):
        if not isinstance(regrade, dict):
            continue
        changed, at = "; ".join(regrade.get("changed", [])), regrade.get("at", "")
        student = csv_cell(r.student_id)
        writer.writerow([student, r.notebook, "", f"{float(regrade.get('score', 0)):g}", f"{r.score:g}",
                         regrade.get("status", ""), r.status, changed, at])
        before = regrade.get("tests", {})
        for test in r.tests:
            old_score, old_status = before.get(test.grade_id, [None, "absent"])
            if old_score != test.score or old_status != test.status:
                old_text = "" if old_score is None else f"{float(old_score):g}"
                writer.writerow([student, r.notebook, test.grade_id, old_text, f"{test.score:g}", old_status,
                                 test.status, changed, at])
    for r, change, now in zip(results, hand_changes, hands):
        if not isinstance(change, dict) or not isinstance(now, dict):
            continue
        before = change.get("before", {})
        for gid in sorted(now):
            old, new = before.get(gid), now[gid]
            if old != new:
                writer.writerow([csv_cell(r.student_id), r.notebook, gid, _hand_text(old), _hand_text(new),
                                 _hand_status(old), _hand_status(new), HAND_CHANGE, change.get("at", "")])
    return buffer.getvalue()


def _hand_text(score: float | None) -> str:
    return "" if score is None else f"{float(score):g}"


def _hand_status(score: float | None) -> str:
    return "to grade by hand" if score is None else "graded by hand"


def mark_similar_answers(results: list[NotebookResult]) -> None:
    """Add a hint to both students of every pair whose answers are the same up to names and layout."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in results:
        if r.fingerprint:
            groups.setdefault((r.notebook, r.fingerprint), []).append(r.student_id)
    index = {(r.student_id, r.notebook): r for r in results}
    for (notebook, _), students in groups.items():
        if len(students) < 2:
            continue
        for student in students:
            others = " ".join(s for s in sorted(students) if s != student)
            index[(student, notebook)].integrity.append(
                ["similar_answers", f"answer cells identical (names, whitespace and comments aside) to: {others} "
                                    "(a hint to look, not a penalty)"])


_STUDENT_VISIBLE_INTEGRITY = {
    "edited_test_cell", "deleted_test_cell", "retagged_test_cell", "duplicate_test_cell",
    "unknown_test_cell", "tampering", "shadowed_name", "missing_answer_cell",
    "forbidden", "evasion",  # the integrity scan's findings: a construct of the student's own code, by cell and line
}

# check_close names a one-element mismatch twice ("expected 1.5, got 0.5; max difference 1 at index ()
# (expected 1.5, got 0.5)."): the student reads it once
_REPEATED_EXPECTATION = re.compile(
    r"expected (?P<want>[^;\n]+), got (?P<got>[^;\n]+); max difference (?P<diff>\S+) at index (?P<at>\([^)\n]*\)) "
    r"\(expected (?P=want), got (?P=got)\)\.")
_POINTS_NOTE = re.compile(r"\s*\(\d+(\.\d+)? points?\b[^)]*\)\.?")
_SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z])")  # not "0 .. n - m - 1"


def _once(message: str) -> str:
    return _REPEATED_EXPECTATION.sub(r"expected \g<want>, got \g<got> (max difference \g<diff>).", message)


def cell_description(visible_source: str) -> str:
    """What a graded cell checks: the first sentence of its opening comment, without the points it
    is worth (the table shows them).

    "# (2 points) cross_entropy: values against F.cross_entropy ..." gives "cross_entropy: values
    against F.cross_entropy ...".
    """
    lines = []
    for line in visible_source.splitlines():
        if not line.startswith("#") or line.startswith("###"):
            break
        lines.append(line.lstrip("#").strip())
    text = _POINTS_NOTE.sub("", " ".join(lines)).strip()
    end = _SENTENCE_END.search(text)
    return text[:end.start()] if end else text


def notebook_state(result: NotebookResult) -> str:
    """The notebook's status as its student reads it: "not handed in" and "handed in unanswered" are
    not "graded" with 0 points."""
    if result.status == "missing":
        return "not handed in"
    if result.status == "graded" and result.unanswered and result.score == 0:
        return "handed in unanswered"
    return result.status


def _state_detail(result: NotebookResult) -> str:
    state = notebook_state(result)
    if state == "not handed in":
        return f"we found no notebook {result.notebook}.ipynb among your files"
    if state == "handed in unanswered":
        return "every answer cell is still as released, so nothing of yours was graded"
    return result.detail


def _feedback_lines(test: TestResult, result: NotebookResult) -> list[str]:
    """What a student may see about one test (never hidden test code or its messages)."""
    lines = []
    if test.status == "not run" and result.status != "missing":
        lines.append(f"not run: {result.detail or 'the notebook stopped before this cell'}")
    if test.status == "integrity":
        scanned = any(kind in ("forbidden", "evasion") for kind, _detail in result.integrity)
        lines.append("no points: the grader's scan of your code flagged a construct (see the notes below)"
                     if scanned else "no points: the grader's checking functions were modified before or during this test")
    if test.visible_error:
        lines.append(_once(test.visible_error))
    if test.hidden_failed:
        what = test.hidden_description or "a hidden check of this cell"
        # Only the instructor's words: which exception the student's code raised in a hidden section,
        # and in which cell and line, is the submission's to choose, so it could spell hidden text.
        lines.append(f"hidden check failed: {what}")
    return lines


_STYLE = ("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
          "td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}table{border-collapse:collapse}"
          "pre{white-space:pre-wrap;margin:0}.passed{color:#060}.failed,.integrity{color:#a00}"
          ".what{color:#555;font-size:90%}</style>")


def _page(title: str, body: list[str]) -> str:
    return "\n".join(['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
                      f"<title>{html.escape(title)}</title>", _STYLE, "</head><body>", *body,
                      "</body></html>\n"])


def _manual(result: NotebookResult) -> list[tuple[str, float]]:
    """(grade_id, points) of the notebook's written answers, graded by hand."""
    return [(entry[0], float(entry[1])) for entry in result.manual]


def _hand_split(result: NotebookResult, hand: HandGrades | None) -> tuple[float, float, float]:
    """(points given by hand, the points of the answers graded, the points still to be graded)."""
    given = graded = pending = 0.0
    for gid, points in _manual(result):
        score = hand.scores.get(gid) if hand is not None else None
        if score is None:
            pending += points
        else:
            given, graded = given + score, graded + points
    return given, graded, pending


def _score_text(result: NotebookResult, hand: HandGrades | None) -> str:
    """"6 / 7", or with written answers "7 / 8 (1 / 1 of it graded by hand)", "6 / 7 (and 1 point to
    be graded by hand)": the points given by hand count once they are given."""
    given, graded, pending = _hand_split(result, hand) if result.status != "missing" else (0.0, 0.0, 0.0)
    text = f"{_r(result.score + given):g} / {_r(result.max_score + graded):g}"
    notes = [f"{given:g} / {graded:g} of it graded by hand"] if graded else []
    notes += [f"and {pending:g} point{'s' if pending != 1 else ''} to be graded by hand"] if pending else []
    return text + (f" ({'; '.join(notes)})" if notes else "")


def feedback_html(result: NotebookResult, source: SourceNotebook, hand: HandGrades | None = None) -> str:
    """One notebook's page for its student; ``hand``: what the instructor gave by hand in formgrader."""
    esc = html.escape
    state, detail = notebook_state(result), _state_detail(result)
    detail = source.redact(detail) if state == result.status else detail
    parts = [
        f"<h1>{esc(result.notebook)}</h1>",
        '<p><a href="index.html">All your notebooks and your total</a></p>',
        f"<p>Student: <b>{esc(result.student_id)}</b>. Score: <b>{esc(_score_text(result, hand))}</b>. "
        f"Status: <b>{esc(state)}</b>{(': ' + esc(detail)) if detail else ''}.</p>",
    ]
    if result.submitted_file:
        parts.append(f"<p>File graded: <b>{esc(result.submitted_file)}</b>.</p>")
    notes = result.file_notes + [d for k, d in result.integrity if k in _STUDENT_VISIBLE_INTEGRITY]
    notes += result.other_files if result.status == "missing" else []
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    parts.append("<h2>Tests</h2><table><tr><th>test</th><th>points</th><th>result</th><th>details</th></tr>")
    for test in result.tests:
        cell = source.tests.get(test.grade_id)
        what = cell_description(cell.visible_source) if cell is not None else ""
        details = "\n".join(_feedback_lines(test, result))
        output = f"<p>Output:</p><pre>{esc(test.output)}</pre>" if test.output else ""
        shown = state if state != result.status and test.status == "not run" else test.status
        parts.append(
            f'<tr><td>{esc(test.grade_id)}' + (f'<div class="what">{esc(what)}</div>' if what else "") + "</td>"
            f"<td>{test.score:g} / {test.max_score:g}</td>"
            f'<td class="{esc(test.status.replace(" ", "-"))}">{esc(shown)}</td>'
            f"<td><pre>{esc(details)}</pre>{output}</td></tr>"
        )
    comments = hand.comments if hand is not None else {}
    for grade_id, points in _manual(result):
        score = hand.scores.get(grade_id) if hand is not None else None
        if score is None:
            parts.append(f"<tr><td>{esc(grade_id)}</td><td>? / {points:g}</td><td>to be graded by hand</td>"
                         "<td><pre>your written answer is graded by the instructor</pre></td></tr>")
        else:
            parts.append(f"<tr><td>{esc(grade_id)}</td><td>{score:g} / {points:g}</td><td>graded by hand</td>"
                         f"<td><pre>{esc(comments.get(grade_id, ''))}</pre></td></tr>")
    parts.append("</table>")
    written = {gid for gid, _ in _manual(result) if hand is not None and hand.scores.get(gid) is not None}
    others = [(gid, text) for gid, text in sorted(comments.items()) if gid not in written]
    if others:
        parts.append("<h2>Comments from your instructor</h2><table><tr><th>answer</th><th>comment</th></tr>"
                     + "".join(f"<tr><td>{esc(gid)}</td><td><pre>{esc(text)}</pre></td></tr>" for gid, text in others)
                     + "</table>")
    return _page(f"{result.notebook}: feedback for {result.student_id}", parts)


def feedback_index_html(student: str, results: list[NotebookResult],
                        hand: dict[tuple[str, str], HandGrades] | None = None) -> str:
    """One student's notebooks, each score and status with a link to its page, and the total."""
    esc = html.escape
    hand = hand or {}
    parts = [f"<h1>Feedback for {esc(student)}</h1>",
             "<table><tr><th>notebook</th><th>score</th><th>status</th></tr>"]
    for r in results:
        parts.append(f'<tr><td><a href="{esc(r.notebook)}.html">{esc(r.notebook)}</a></td>'
                     f"<td>{esc(_score_text(r, hand.get((student, r.notebook))))}</td>"
                     f"<td>{esc(notebook_state(r))}</td></tr>")
    total = NotebookResult(student, "total", _r(sum(r.score for r in results)),
                           _r(sum(r.max_score for r in results)), "graded",
                           manual=[[f"{r.notebook}/{gid}", points] for r in results for gid, points in _manual(r)])
    scores = {f"{r.notebook}/{gid}": score for r in results for gid, score in
              (hand[(student, r.notebook)].scores.items() if (student, r.notebook) in hand else ())}
    parts.append(f"<tr><th>total</th><th>{esc(_score_text(total, HandGrades(scores=scores)))}</th>"
                 "<th></th></tr></table>")
    others = sorted({note for r in results for note in r.other_files})
    if others:
        parts.append("<h2>Files not graded</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in others) + "</ul>")
    return _page(f"feedback for {student}", parts)


def gradescope_results(results: list[NotebookResult], course: dict,
                       hand: dict[tuple[str, str], HandGrades] | None = None) -> dict:
    tests, given = [], 0.0
    for r in results:
        for t in r.tests:
            output = "\n".join(_feedback_lines(t, r) + ([t.output] if t.output else []))
            tests.append({
                "name": f"{r.notebook}: {t.grade_id}",
                "score": t.score,
                "max_score": t.max_score,
                "output": output,
                "visibility": "visible",
            })
        mine = (hand or {}).get((r.student_id, r.notebook))
        for grade_id, points in _manual(r):
            score = mine.scores.get(grade_id) if mine is not None else None
            if score is None:
                output = "to be graded by hand: your written answer is graded by the instructor"
            else:
                given += score
                comment = mine.comments.get(grade_id, "")
                output = "graded by hand" + (f": {comment}" if comment else "")
            tests.append({"name": f"{r.notebook}: {grade_id}", "max_score": points, "score": score or 0.0,
                          "output": output, "visibility": "visible"})
    return {
        "score": _r(sum(r.score for r in results) + given),
        "output": "; ".join(f"{r.notebook}: {r.status} {r.score:g}/{r.max_score:g}" for r in results),
        "tests": tests,
    }


#: Lines of each list under the summary table (the log has them all).
_LISTED = 50


def summary_table(results: list[NotebookResult], course: dict) -> str:
    header = (f"{'notebook':<28}{'graded':>8}{'unanswered':>12}{'missing':>9}{'timeout':>9}{'memory':>8}{'error':>7}"
              f"{'integrity':>11}{'mean':>9}{'max':>6}")
    lines = [header, "-" * len(header)]
    for name in sorted(course):
        mine = [r for r in results if r.notebook == name]
        counts = {s: sum(r.status == s for r in mine) for s in STATUSES}
        submitted = [r.score for r in mine if r.status != "missing"]
        mean = sum(submitted) / len(submitted) if submitted else 0.0
        lines.append(
            f"{name:<28}{counts['graded']:>8}{sum(notebook_state(r) == 'handed in unanswered' for r in mine):>12}"
            f"{counts['missing']:>9}{counts['timeout']:>9}{counts['memory']:>8}"
            f"{counts['error']:>7}"
            f"{counts['integrity']:>11}{mean:>9.2f}{course[name].max_score:>6g}"
        )
    renamed = sorted(f"{r.student_id}/{r.notebook}: {note}" for r in results for note in r.file_notes)
    strays = sorted({f"{r.student_id}: {note}" for r in results for note in r.other_files})
    for title, found in (("graded from another file than NOTEBOOK.ipynb", renamed),
                         ("not graded (none of the course's notebooks)", strays)):
        if found:
            lines += ["", f"{title}: {len(found)}"] + [f"  {line}" for line in found[:_LISTED]]
            lines += [f"  ... and {len(found) - _LISTED} more (grading.log)"] if len(found) > _LISTED else []
    return "\n".join(lines)
