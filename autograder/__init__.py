"""Instructor tooling: generate the student release and grade a class with nbgrader."""

import sys

# nbgrader imports nbformat, which imports jsonschema, which compiles rfc3987-syntax's IRI grammars
# at import time when that package is installed: about 3 CPU-seconds in every grading process, and
# class start-up is what a class of one notebook each pays most. No schema the grader validates
# (nbformat's, nbgrader's) has an "iri" format, so it goes without them: None in sys.modules makes
# the import fail, and jsonschema (which imports it under suppress(ImportError)) skips those formats.
sys.modules.setdefault("rfc3987_syntax", None)
