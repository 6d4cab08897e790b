"""The validation package stays importable where Django is not installed or configured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def test_module_imports_without_django() -> None:
    # The CLI runs on publishers' laptops where no Django settings exist.
    code = "import sys, publishing.validation; assert 'django' not in sys.modules"

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
