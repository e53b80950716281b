"""The apps' imports point one way (pyproject.toml's [tool.importlinter],
docs/architecture.md): a feature importing one above it, or core and
realtime importing a feature, fails here with the chain of imports that
does it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own: the test process has imported Twisted, whose
# zope.interface descriptors trip import-linter's look at its contract classes.
LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports('pyproject.toml', no_cache=True, no_logo=True))"
)


def test_every_app_imports_only_the_layers_below_it():
    run = subprocess.run([sys.executable, "-c", LINT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
