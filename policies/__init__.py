"""Policy as code: the rule packs attached at every synth, our own rules, and acknowledgements."""
