"""Fixtures of the engine tests."""

import pytest

from netguard import yamlfast


@pytest.fixture(params=["fast", "pyyaml"])
def yaml_path(request, monkeypatch) -> str:
    """Run the test once with the fast YAML path (where it applies) and once with PyYAML alone."""
    if request.param == "fast":
        if not yamlfast.available():
            pytest.skip("the fast YAML parser (ryaml) is not installed")
        monkeypatch.delenv("NETGUARD_YAML", raising=False)
    else:
        monkeypatch.setenv("NETGUARD_YAML", "pyyaml")
    return request.param
