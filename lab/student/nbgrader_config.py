"""nbgrader settings of the student lab: what its Validate button uses.

Validate runs the student's notebook the way the grader does; with no nbgrader_config.py on
Jupyter's config path nbgrader would also warn "No nbgrader_config.py file found" on every run.
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

# nbgrader gives each cell 30 s by default; the grader gives it 120 s (`python -m autograder
# grade --cell-timeout`, whose default this repeats): a cell that is slow on a busy laptop but
# within the grader's limit must not fail Validate.
c.Execute.timeout = 120
