"""The settings of a local trial, kept in a file: `local.env` in the checkout.

`make run` (project/trial.py) writes it: DEBUG on, a SECRET_KEY of its own,
the addresses the trial is served at, and how the worker's live updates
reach the server. project/settings.py loads it before reading anything
else, so every process of the checkout agrees: `manage.py invite` and
`create_bot` typed in another terminal, the server and the worker.

A variable set in the real environment always wins over the file. Nothing
in production depends on it: a deploy sets its environment, and the file is
in .gitignore. It is not called `.env` because honcho and foreman, which run
the Procfile, load `.env` over the environment: a trial's DEBUG=true would
follow the Procfile into a production-like run. CHAT_LOCAL_ENV names
another file, or none when empty (the test suites set it so).
"""

import os
import re
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent / "local.env"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LINE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*")


def path():
    """The file this process reads: CHAT_LOCAL_ENV, else local.env in the checkout."""
    named = os.environ.get("CHAT_LOCAL_ENV")
    if named is None:
        return DEFAULT
    return Path(named) if named else None


def _unquoted(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def read(file):
    """{name: value} of `file`'s NAME=value lines (blank lines, # comments
    and an `export ` prefix allowed, a value optionally quoted); {} when
    there is no such file."""
    try:
        text = Path(file).read_text()
    except FileNotFoundError:
        return {}
    values = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = LINE.fullmatch(line)
        if match:
            values[match[1]] = _unquoted(match[2])
    return values


def load():
    """Each variable of the file that the environment does not set."""
    file = path()
    if file is not None:
        for name, value in read(file).items():
            os.environ.setdefault(name, value)


def _line(name, value):
    if not NAME.fullmatch(name) or "\n" in value or '"' in value:
        raise ValueError(f"{name}={value!r} cannot be written to {DEFAULT.name}")
    return f'{name}="{value}"' if re.search(r"[\s#']", value) else f"{name}={value}"


def write(file, values, header=""):
    """Sets each of `values` in `file` ({name: value}, None to remove it),
    where it stands or at the end; every other line stays as it was."""
    file = Path(file)
    lines = file.read_text().splitlines() if file.exists() else header.splitlines()
    todo = dict(values)
    kept = []
    for line in lines:
        match = LINE.fullmatch(line)
        if match and match[1] in todo:
            value = todo.pop(match[1])
            if value is not None:
                kept.append(_line(match[1], value))
        else:
            kept.append(line)
    kept += [_line(name, value) for name, value in todo.items() if value is not None]
    # It holds a SECRET_KEY: readable by its owner only.
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write("\n".join(kept) + "\n")
