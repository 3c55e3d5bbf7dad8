"""Deployment units: thin stacks that compose the constructs in `constructs/`, one file per stack."""
