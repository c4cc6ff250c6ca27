"""nbgrader settings of the instructor lab: the course layout, for formgrader and Create Assignment.

The same file the README tells instructors to run nbgrader's commands with, loaded rather than
copied so that the two cannot drift apart.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
load_subconfig(str(Path(__file__).resolve().parents[2] / "autograder" / "nbgrader_config.py"))  # noqa: F821
