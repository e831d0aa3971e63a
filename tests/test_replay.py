"""`cookiecutter --replay` and `--replay-file` regenerate the project the answers made."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from template import TEMPLATE_ROOT

# Answers that differ from the defaults, so a replay that fell back to them would show.
ANSWERS = ("project_name=Replay Shop", "database=none", "cache=memory", "license=Apache-2.0")
SLUG = "replay-shop"


def cookiecutter(config: Path, output: Path, *args: str) -> None:
    """Run the cookiecutter CLI with a config of the test's own, never the user's."""
    command = [sys.executable, "-m", "cookiecutter", "--config-file", str(config)]
    command += ["--output-dir", str(output), *args]
    run = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def write_config(tmp_path: Path) -> tuple[Path, Path]:
    """A cookiecutter config whose replay and clone dirs are inside the test's temp dir."""
    replay_dir = tmp_path / "replay"
    config = tmp_path / "config.yaml"
    config.write_text(
        f'replay_dir: "{replay_dir}"\ncookiecutters_dir: "{tmp_path / "cookiecutters"}"\n'
    )
    return config, replay_dir


def differences(left: Path, right: Path) -> list[str]:
    """Paths whose presence or content differs between two trees."""
    compared = filecmp.dircmp(left, right)
    found = [*compared.left_only, *compared.right_only, *compared.funny_files]
    found += filecmp.cmpfiles(left, right, compared.common_files, shallow=False)[1]
    for name in compared.common_dirs:
        found += [f"{name}/{path}" for path in differences(left / name, right / name)]
    return found


def test_replay_regenerates_the_same_project(tmp_path: Path) -> None:
    config, replay_dir = write_config(tmp_path)
    cookiecutter(config, tmp_path / "first", "--no-input", str(TEMPLATE_ROOT), *ANSWERS)

    cookiecutter(config, tmp_path / "replayed", "--replay", str(TEMPLATE_ROOT))

    assert list(replay_dir.glob("*.json")), "no replay file was written to the configured dir"
    assert differences(tmp_path / "first" / SLUG, tmp_path / "replayed" / SLUG) == []


def test_a_replay_file_regenerates_the_same_project(tmp_path: Path) -> None:
    config, replay_dir = write_config(tmp_path)
    cookiecutter(config, tmp_path / "first", "--no-input", str(TEMPLATE_ROOT), *ANSWERS)
    (replay_file,) = replay_dir.glob("*.json")
    kept = replay_file.rename(tmp_path / "answers.json")

    cookiecutter(config, tmp_path / "replayed", "--replay-file", str(kept), str(TEMPLATE_ROOT))

    assert differences(tmp_path / "first" / SLUG, tmp_path / "replayed" / SLUG) == []
