"""Representative bakes install and pass their own lint, type check and test suite.

Each runs the baked project's own Makefile targets, as a user would after baking.
Every baked suite starts its own throwaway PostgreSQL/Redis, so each combo is its
own xdist group and the workers share them out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from matrix import SLOW_COMBOS, Combo, params
from template import TEMPLATE_ROOT, Cookies

TARGETS = ("install", "lint", "typecheck", "test")
TIMEOUT = 600  # seconds per target
GRACE = 15  # seconds an interrupted target gets to clean up
SHOWN = 20_000  # characters of output shown on failure

pytestmark = pytest.mark.slow


def clean_env(system_tmpdir: str) -> dict[str, str]:
    """The environment a user has after baking, minus this test run's own settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        # Our venv and pytest's worker variables must not leak into the baked project.
        if name != "VIRTUAL_ENV" and not name.startswith(("PYTEST_", "PYTHONPATH"))
    }
    tools = str(Path(sys.executable).parent)  # holds the `uv` of the dev group
    env["PATH"] = os.pathsep.join([tools, env.get("PATH", "")])
    env.update(UV_PYTHON_DOWNLOADS="never", UV_LINK_MODE="copy", TMPDIR=system_tmpdir)
    return env


def signal_group(process: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group already exited
        os.killpg(process.pid, signum)


def stop(process: subprocess.Popen[str]) -> str:
    """Stop a running target and return its output so far.

    SIGINT first, so the baked suite's fixtures stop their servers; then SIGKILL.
    """
    signal_group(process, signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=GRACE)
    except subprocess.TimeoutExpired:
        signal_group(process, signal.SIGKILL)
        output, _ = process.communicate()
    return output


def make(root: Path, target: str, env: dict[str, str]) -> tuple[int, str]:
    """Run one make target in its own process group, with a timeout."""
    with subprocess.Popen(
        ["make", target],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            output, _ = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return -1, f"{stop(process)}\n[timed out after {TIMEOUT} s]"
        except BaseException:  # Ctrl-C or a pytest timeout: don't leave the target running
            stop(process)
            raise
    return process.returncode, output


@pytest.mark.parametrize("combo", params(SLOW_COMBOS, "slow-"))
def test_baked_project_installs_lints_typechecks_and_passes_its_tests(
    cookies: Cookies, system_tmpdir: str, combo: Combo
) -> None:
    result = cookies.bake(extra_context=dict(combo.context), template=str(TEMPLATE_ROOT))
    assert result.project_path is not None, repr(result.exception)
    env = clean_env(system_tmpdir)

    for target in TARGETS:
        code, output = make(result.project_path, target, env)
        assert code == 0, f"make {target} failed in {combo.id} (exit {code}):\n{output[-SHOWN:]}"
