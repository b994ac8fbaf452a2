import pytest


@pytest.fixture(autouse=True)
def _nn_tests_on_one_thread(one_thread):
    """Every network test runs on one thread (tests/conftest.py)."""
    yield
