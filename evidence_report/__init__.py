"""Evidence report for auditors (issue 11): every promise, its evidence in the templates, its gates and its tests.

Reads only a synthesized cloud assembly, the control catalog and the test suite's source; never the app's stacks
or constructs, never AWS. `python -m evidence_report --help`.
"""
