"""Instructor tooling: generate the student release and grade a class with nbgrader."""
