"""The test suite. jsii prints a large Node end-of-life banner when its kernel starts, unless told the Node major
version is known (`make` exports the same); set it before any test module imports aws_cdk."""

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
