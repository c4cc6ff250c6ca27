# nbgrader configuration for this workbook, for running `nbgrader ...` by hand: nbgrader reads the
# nbgrader_config.py of the folder it runs in, so run it from autograder/.
# `python -m autograder ...` builds the same settings in autograder/course.py.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder.course import course_config

c = get_config()  # noqa: F821 (provided by nbgrader)
c.merge(course_config(Path(__file__).resolve().parent.parent))
