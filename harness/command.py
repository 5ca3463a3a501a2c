"""The `harness` command's entry point: the command line, with Ctrl-C covered from the start.

A Ctrl-C that comes while the command line's modules are still loading ends the command as
one later would (exit 130, one line), never with a traceback.
"""
import sys


def main() -> int:
    try:
        from .cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("harness: error: interrupted\n")
        return 130
    return cli_main()
