import pytest


@pytest.fixture(autouse=True)
def calibrations(tmp_path_factory, monkeypatch):
    """Each test sees its own, empty folder of user calibrations (never the real user cache), so a
    calibration made on this machine cannot change what the shipped defaults give."""
    folder = tmp_path_factory.mktemp("calibrations")
    import interlingua.mine._calibration as cal

    monkeypatch.setattr(cal, "calibration_dir", lambda: folder)
    return folder
