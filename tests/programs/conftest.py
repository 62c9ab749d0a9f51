import pytest

from tests.factories import ProjectFactory


@pytest.fixture
def project(office):
    return ProjectFactory(name="Kebun komuniti Petaling", office=office)


@pytest.fixture
def neighbour_project(neighbour_office):
    return ProjectFactory(name="Bengkel jahitan Gombak", office=neighbour_office)


@pytest.fixture
def far_project(far_office):
    return ProjectFactory(name="Kelas mengaji Kota Bharu", office=far_office)
