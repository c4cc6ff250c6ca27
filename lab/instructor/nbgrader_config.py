"""nbgrader settings of the instructor lab: the course layout, for formgrader and Create Assignment.

The same file the README tells instructors to run nbgrader's commands with, loaded rather than
copied so that the two cannot drift apart; then what formgrader alone needs.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
ROOT = Path(__file__).resolve().parents[2]
load_subconfig(str(ROOT / "autograder" / "nbgrader_config.py"))  # noqa: F821

# Formgrader warns on every page load unless the course has an id and an exchange folder it can
# write (nbgrader's default, /usr/local/share/nbgrader/exchange, is not the instructor's). This
# course hands its notebooks out as a repository and takes them in as zips (README, "Grade a
# class"), so the exchange is a folder of the repository that git ignores, there to be found.
c.CourseDirectory.course_id = "cs336-training"
c.Exchange.root = str(ROOT / ".exchange")
(ROOT / ".exchange").mkdir(exist_ok=True)

# Formgrader shows a student's notebook on the lab's own page, where a script in it would run as
# the instructor: the Markdown of their answers is rendered without HTML that can run (the grader
# writes the notebooks it opens without outputs, autograder/formgrader.py).
c.HTMLExporter.sanitize_html = True
