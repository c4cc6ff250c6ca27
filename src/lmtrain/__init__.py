"""Provided code for the CS336 "training a Transformer LM" workbook.

Students write the training components in the notebooks; this package holds
what they are given: the checking helpers the notebooks' tests use, the loader
that imports a student's answers into later notebooks, and the model, data
and training loop of the final notebook.
"""

__version__ = "0.1.0"
