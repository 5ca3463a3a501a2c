"""The command line's parser, in this process: help on every argument a user types."""
import argparse

from harness.cli import build_parser


def subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def test_every_positional_argument_has_help():
    missing = []
    for name, sub in subparsers(build_parser()):
        for action in sub._actions:
            if not action.option_strings and not action.help:
                missing.append(f"harness {name} {action.dest}")
    assert missing == []


def test_every_command_has_help_and_the_version_has_a_short_flag():
    parser = build_parser()
    helps = {a.dest: a.help for a in parser._actions}
    assert "-V" in {s for a in parser._actions for s in a.option_strings}
    listed = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert all(choice.help for choice in listed._choices_actions)
    assert helps
