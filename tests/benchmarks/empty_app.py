"""The reference for `make bench`: an empty one-stack CDK app, synthesized through the same venv and CLI."""

import aws_cdk as cdk

app = cdk.App()
cdk.Stack(app, "Empty")
app.synth()
