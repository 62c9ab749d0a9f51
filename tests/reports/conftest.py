from io import StringIO

import pytest
from django.core.management import call_command


@pytest.fixture
def refresh(db):
    """Rebuild the reports' figures: the pages read them, not the rows."""

    def refresh():
        call_command("refresh_reports", stdout=StringIO())

    return refresh
