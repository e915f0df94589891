"""The tree stays linted and formatted (ruff, configured in pyproject.toml)."""

import subprocess
import sys

from caseworks import ROOT

PATHS = ["caseworks", "tests", "bench", "config.py", "wsgi.py"]


def _ruff(*args):
    return subprocess.run([sys.executable, "-m", "ruff", *args, *PATHS], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing():
    result = _ruff("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_tree_is_formatted():
    result = _ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
