"""The test run's own rules (tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

pytest_plugins = ("pytester",)

CONFTEST = Path(__file__).with_name("conftest.py")


def test_hardware_tests_run_only_when_asked_for(pytester):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makeini("[pytest]\nmarkers =\n    hardware: needs a real instrument\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hardware
        def test_on_the_instrument():
            pass

        def test_anywhere():
            pass
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1, skipped=1)
    pytester.runpytest("-p", "no:cacheprovider", "--hardware").assert_outcomes(passed=2)


def test_a_test_sees_none_of_the_user_s_settings_and_its_own_keys_and_cache(tmp_path):
    assert os.environ["FORENSIC_CONFIG_DIR"] == str(tmp_path / "config")
    # the session's (the shipped library compiles once per run), not the user's
    assert Path(os.environ["FORENSIC_CACHE_DIR"]) == tmp_path.parent / "cache"
    settings = {n for n in os.environ if n.startswith("FORENSIC_")}
    assert settings <= {"FORENSIC_CONFIG_DIR", "FORENSIC_CACHE_DIR", "FORENSIC_SHARED_DATA"}
