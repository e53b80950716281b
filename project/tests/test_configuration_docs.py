"""docs/configuration.md lists every environment variable the app reads,
and nothing it does not: a deployer who reads the reference sees every knob
there is, and none that does nothing.

What the app reads is found in its source: `os.environ.get("NAME")`,
`os.environ["NAME"]`, `os.getenv("NAME")`, the same on an `environ`
passed in (project/settings.py's S3 settings), calls of functions that read
the variable their first argument names (`env_int("NAME", 10)`), and the
`Procfile`'s `$NAME`. Tests, e2e and benchmarks are not the app: the
variables they read are in docs/testing.md."""

import ast
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "configuration.md"
# Folders that hold no code of the running app.
NOT_THE_APP = {"tests", "e2e", "bench", "node_modules", "site", "staticfiles", "media", "__pycache__"}


def app_modules():
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in NOT_THE_APP and not name.startswith(".")]
        for name in files:
            if name.endswith(".py") and name != "conftest.py":
                yield Path(folder) / name


def is_environ(node):
    """`os.environ`, or a parameter called `environ`."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def variable_read(node):
    """The expression naming the variable `node` reads from the environment, or None."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
        if node.func.attr == "get" and is_environ(node.func.value):
            return node.args[0]
        if node.func.attr == "getenv" and isinstance(node.func.value, ast.Name) and node.func.value.id == "os":
            return node.args[0]
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and is_environ(node.value):
        return node.slice
    return None


def literal(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def variables_the_app_reads():
    trees = [ast.parse(path.read_text(), filename=str(path)) for path in app_modules()]
    # Functions that read the variable their first parameter names (env_int and the like).
    readers = set()
    for tree in trees:
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef) and function.args.args:
                first = function.args.args[0].arg
                if any(
                    isinstance(name := variable_read(node), ast.Name) and name.id == first
                    for node in ast.walk(function)
                ):
                    readers.add(function.name)
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            named = variable_read(node)
            if (
                named is None
                and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in readers
                and node.args
            ):
                named = node.args[0]
            if literal(named):
                names.add(literal(named))
    names |= set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", (ROOT / "Procfile").read_text()))
    return names


def variables_documented():
    """The names in the first column of the reference's tables."""
    names = set()
    for line in REFERENCE.read_text().splitlines():
        if line.startswith("|"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def test_every_variable_the_app_reads_is_in_the_configuration_reference():
    read = variables_the_app_reads()
    # Each way of reading one is seen: os.environ.get, an `environ` passed
    # in, env_int(...), and the Procfile.
    assert {"DATABASE_URL", "AWS_S3_REGION_NAME", "CHAT_MAX_UPLOAD_BYTES", "BIND_ADDRESS"} <= read
    missing = read - variables_documented()
    assert not missing, f"read by the app but not in docs/configuration.md: {', '.join(sorted(missing))}"


def test_the_configuration_reference_lists_only_variables_the_app_reads():
    unread = variables_documented() - variables_the_app_reads()
    assert not unread, f"in docs/configuration.md but read nowhere: {', '.join(sorted(unread))}"
