"""Shared fixtures. `stack_harness` (beside this file) runs the stack under Pulumi's mocks."""

import pytest

from stack_harness import StackRun, reference_platform, run_stack_full


@pytest.fixture
def reference_inventory() -> dict:
    """A fresh copy of the reference inventory, free to mutate."""
    return reference_platform()


@pytest.fixture(scope="session")
def reference_run() -> StackRun:
    """The reference stack, built once per session: its resources and exports."""
    return run_stack_full(reference_platform(), render_dir="rendered")
