"""`python -m devstack <command>`: start one local component, or the whole path with `up`."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each command lives in its own module with `add_arguments(parser)` and `run(args) -> int`;
# they are imported only when chosen, so `s3vectors` never pays for PostgreSQL and the like.
COMMANDS = {
    "s3vectors": ("devstack.s3vectors.cli", "serve the local S3 Vectors service"),
    "lambda": ("devstack.lambda_invoke.cli", "serve the Lambda Invoke API with the real handler"),
    "bedrock": ("devstack.bedrock.cli", "serve Bedrock Runtime InvokeModel for embedding models"),
    "up": ("devstack.up", "PostgreSQL + S3 Vectors + Lambda, sample data and the walkthrough"),
    "load": ("devstack.load", "load a put-vectors file into an index, with a progress bar"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module_name=module_name)
        # Arguments are declared by the module itself; importing it here keeps `--help` honest.
        if argv[:1] == [name]:
            importlib.import_module(module_name).add_arguments(sub)
    args = parser.parse_args(argv)
    return int(importlib.import_module(args.module_name).run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
