"""The command line as a tree of commands, read the way ``voucher-service`` reads it, without
running anything: for the tests of its help and of the commands the deploy files and docs use.

Typer builds its own command classes (``typer.core.TyperGroup`` for a group such as
``settle``, ``TyperCommand`` for a command); a usage error is a ``typer.TyperException``."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

from voucher_service.cli import app

PROGRAM = "voucher-service"


def root() -> Any:
    return typer.main.get_command(app)


def commands(command: Any = None, path: str = PROGRAM) -> Iterator[tuple[str, Any]]:
    """Every (command line, command) from the top, hidden ones included."""
    command = command or root()
    yield path, command
    if isinstance(command, TyperGroup):
        context = command.make_context(PROGRAM, ["--help"], resilient_parsing=True)
        for name in command.list_commands(context):
            yield from commands(command.get_command(context, name), f"{path} {name}")


def parse(args: list[str], command: Any = None, parent: Any = None) -> None:
    """Parse ``args`` down through the groups (``settle close --period ...``) as the command
    line would; raise ``typer.TyperException`` where it would refuse them. A group's first
    argument names its subcommand (groups here take no options)."""
    command = command or root()
    if not isinstance(command, TyperGroup):
        command.make_context(command.name, list(args), parent=parent)
        return
    context = command.make_context(command.name or PROGRAM, list(args), parent=parent)
    _, subcommand, rest = command.resolve_command(context, list(args))
    parse(rest, subcommand, context)


def usage_error(args: list[str]) -> str | None:
    """Why the command line would refuse ``args``, or None if it accepts them."""
    try:
        parse(args)
    except typer.TyperException as error:
        return error.format_message()
    return None


def commands_in(text: str) -> list[list[str]]:
    """Each ``voucher-service ...`` command line a text names, up to the end of the command:
    a closing backquote, a shell operator, a comment or the end of a (continued) line."""
    text = text.replace("\\\n", " ")
    found = []
    for match in re.finditer(r"\bvoucher-service (?=[a-z])[^`\n]*", text):
        line = re.split(r"\s(?:\|\|?|&&|;|>|<|#)\s|\)", match.group(0))[0]
        found.append(shlex.split(line))
    return found
