import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Small convolutions run faster on one thread (and far faster on a shared machine); restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
