"""What the access matrix tried, shared between its tests and the run's summary."""

from collections import Counter

ATTEMPTS = Counter()  # principal -> attempts
LEAKS = []  # descriptions of attempts that showed or changed what they should not have
MISMATCHES = []  # other differences from the expected table (e.g. 404 where 200 was due)


def summary():
    principals = len(ATTEMPTS)
    return (
        f"{sum(ATTEMPTS.values())} attempts by {principals} principals, "
        f"{len(LEAKS)} leaks, {len(MISMATCHES)} other mismatches"
    )
