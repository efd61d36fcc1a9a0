"""The runbook tests' shared world: an IT chief and a merger of three municipalities in two areas, with its
runbook instantiated from the small test template (not yet scheduled)."""
import pytest

from tests.factories import UserFactory, merger_with_runbook


@pytest.fixture
def chief():
    return UserFactory(username="chief")


@pytest.fixture
def merger(chief):
    return merger_with_runbook(municipalities=3, domains=2, chief=chief)
