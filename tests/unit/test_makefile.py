"""The Makefile refuses an interpreter older than Python 3.11 before creating anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def interpreter_pretending(version: tuple[int, int, int], folder: Path) -> Path:
    """A ``python`` that runs ``-c CODE`` under the real one with ``sys.version_info`` faked."""
    fake = folder / "python-fake"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-c" ]; then\n'
        f'  exec "{sys.executable}" -c "import sys; sys.version_info = {version}; '
        "exec(sys.argv[1])\" \"$2\"\n"
        "fi\n"
        f'exec "{sys.executable}" "$@"\n')
    fake.chmod(0o755)
    return fake


def test_old_python_is_refused_with_the_fix(tmp_path):
    fake = interpreter_pretending((3, 10, 13), tmp_path)
    result = subprocess.run(["make", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path),
                             ".venv/bin/python", f"PYTHON={fake}"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "needs Python >= 3.11" in result.stderr and "is 3.10" in result.stderr
    assert "PYTHON=python3.11" in result.stderr
    assert not (tmp_path / ".venv").exists()


def test_supported_python_passes_the_check(tmp_path):
    fake = interpreter_pretending((3, 12, 0), tmp_path)
    check = subprocess.run(["make", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path), "-n",
                            ".venv/bin/python", f"PYTHON={fake}"],
                           capture_output=True, text=True, timeout=60)
    version_check = next(line for line in check.stdout.splitlines() if "version_info" in line)
    assert subprocess.run(version_check, shell=True, cwd=tmp_path, timeout=60).returncode == 0
