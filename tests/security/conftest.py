"""Counts of the access matrix, printed at the end of a run for the security note."""

from tests.security import tally


def pytest_terminal_summary(terminalreporter):
    if tally.ATTEMPTS:
        terminalreporter.write_sep("-", "access matrix")
        terminalreporter.write_line(tally.summary())
