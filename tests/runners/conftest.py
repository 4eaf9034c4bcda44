import pytest


@pytest.fixture(scope="session")
def dask_cluster():
    """A real dask.distributed LocalCluster of 2 single-threaded worker processes on 127.0.0.1,
    shared by the session's tests (an executor object: jobs given it do not close it)."""
    from interlingua._executors import make_executor

    executor, _ = make_executor("dask", 2)
    yield executor
    executor.close()
