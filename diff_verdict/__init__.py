"""Offline verdict on a change between two cloud assemblies (issue 13): stateful replacement or deletion, security
widening and acknowledgement changes, judged from the synthesized templates alone, with no AWS call.

Reads only cloud assemblies (manifest.json, templates, validation-report.json); never imports the app, stacks or
constructs, so it judges exactly what would be deployed.
"""
