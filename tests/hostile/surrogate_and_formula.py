"""Class 10/11: output the CSV and HTML writers must survive: a lone surrogate, a spreadsheet
formula, markup, and a NUL, printed by visible parts and raised in messages."""
# expect: points<=0 status=graded|integrity
import torch

_TEXT = '=HYPERLINK("http://example.invalid","x")\ud800<script>alert(1)</script>\x00'


def cross_entropy(inputs, targets):
    print(_TEXT)
    raise ValueError(_TEXT)
