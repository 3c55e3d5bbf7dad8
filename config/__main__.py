"""`make check-config [CONFIG=path]`: validate a config file without starting the CDK (no aws_cdk, no jsii).

The synth validates with the same `load_config` (app.py), so a file this accepts is one the synth accepts; this
only answers sooner: about a third of a second instead of the CDK's start-up.
Exit status: 0 accepted, 2 rejected (one line per problem on stderr).
"""

from __future__ import annotations

import argparse
import sys

from config.loader import DEFAULT_CONFIG_PATH, ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config", description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default=str(DEFAULT_CONFIG_PATH), help="TOML file (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    names = ", ".join(env.name for env in config.environments)
    baselines = len(config.baselines())
    print(
        f"config ok: {args.config}: {len(config.environments)} environment(s) ({names}), "
        f"{baselines} account baseline(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
