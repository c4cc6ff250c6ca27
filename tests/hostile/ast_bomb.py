"""Class 11: an answer the grader's own parsing (fingerprints, shadowed names) must survive: an
expression nested a million operators deep."""
# expect: points<=0 status=graded|error|integrity
_x = 1
_y = {{NESTED_SUM}}
