import pytest
from tests.neutral.parallel_data import write_sib


@pytest.fixture
def sib(tmp_path):
    return write_sib(tmp_path / "sib")
