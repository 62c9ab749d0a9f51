"""Access mutants of the views: each call by which a view decides who may see or
change a record is weakened in turn, and the tests are run (-x) to see that one
of them fails. mutmut leaves these calls alone (it skips decorated views and
mostly changes strings and numbers); this is the same idea for the four kinds
of call that carry the rules of welfare.roles into the views:

    get_to_change(...)       -> get_in_scope(...)   a read-only role may write
    get_in_scope(...)        -> unscoped            another office's record opens
    require_permission(...)  -> removed             a read-only role may add
    .visible_to(request.user) -> .all()             a list shows every office

It rewrites the view files in place and puts them back after each mutant: run it
in a checkout of its own (git worktree add ../access-mutants main), with
DATABASE_URL set. Results are written to access_mutants.json; docs/mutation.md
has the last run's.

    python scripts/access_mutants.py [label ...]   # labels: "homehelp/views.py:203"
    TESTS="tests/..." MARKS="not browser" python scripts/access_mutants.py
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ["homehelp/views.py", "programs/views.py", "welfare/views.py", "reports/views.py"]
# The tests that decide access, quickest to fail first; the slow sweeps
# (tests/security/test_access_matrix.py, test_no_mykad_leaks.py) only for survivors.
TESTS = os.environ.get("TESTS", "").split() or [
    "tests/homehelp/test_access.py",
    "tests/welfare/test_access.py",
    "tests/programs/test_project_pages.py",
    "tests/programs/test_participants.py",
    "tests/homehelp/test_worklist.py",
    "tests/homehelp/test_invitation.py",
    "tests/welfare/test_search_boxes.py",
    "tests/welfare/test_person_policy.py",
    "tests/security/test_tampering.py",
    "tests/security/test_exports.py",
    "tests/imports/test_exports.py",
    "tests/homehelp/test_case_page.py",
    "tests/homehelp/test_referrals.py",
    "tests/homehelp/test_organisations.py",
    "tests/homehelp/test_phone_page.py",
    "tests/homehelp/test_last_visit.py",
    "tests/reports/test_drill_down.py",
    "tests/reports/test_home_help.py",
    "tests/reports/test_monthly.py",
    "tests/welfare/test_list_filters.py",
    "tests/welfare/test_soft_delete.py",
    "tests/welfare/test_person.py",
]
MARKS = os.environ.get("MARKS", "not browser and not slow")

# (name, pattern, replacement), one line at a time; a call written over several
# lines is matched by its first line ("= get_in_scope(").
MUTATIONS = [
    (
        "to_change->in_scope",
        re.compile(r"get_to_change\((request, [^,()]+(?:\([^()]*\))?)(?:, (?:\"\w+\"|action))?"),
        r"get_in_scope(\1",
    ),
    ("to_change->in_scope", re.compile(r"get_to_change\($"), "_in_scope_any_action("),
    ("in_scope->unscoped", re.compile(r"get_in_scope\(\s*request,"), "_unscoped(request,"),
    ("in_scope->unscoped", re.compile(r"get_in_scope\($"), "_unscoped("),
    ("no_permission", re.compile(r"^(\s*)require_permission\(.*\)$"), r"\1pass  # mutant"),
    ("visible_to->all", re.compile(r"\.visible_to\(request\.user\)"), ".all()"),
]
HELPERS = """

def _in_scope_any_action(request, queryset, action="change", **lookup):
    return get_in_scope(request, queryset, **lookup)


def _unscoped(request, queryset, **lookup):
    from django.shortcuts import get_object_or_404

    return get_object_or_404(queryset.all(), **lookup)
"""


def mutants():
    for name in FILES:
        lines = (ROOT / name).read_text().split("\n")
        for number, line in enumerate(lines, start=1):
            for kind, pattern, replacement in MUTATIONS:
                if pattern.search(line):
                    yield name, number, kind, pattern.sub(replacement, line, count=1)


def run(name, number, mutated_line):
    path = ROOT / name
    original = path.read_text()
    lines = original.split("\n")
    lines[number - 1] = mutated_line
    path.write_text("\n".join(lines) + HELPERS)
    try:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
             "--reuse-db", "-m", MARKS, *TESTS],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
    finally:
        path.write_text(original)


def main(labels):
    results = []
    for name, number, kind, mutated_line in mutants():
        label = f"{name}:{number} {kind}"
        if labels and not any(wanted in label for wanted in labels):
            continue
        started = time.time()
        result = run(name, number, mutated_line)
        status = {0: "survived", 1: "killed"}.get(result.returncode, f"error {result.returncode}")
        failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
        results.append(
            {"mutant": label, "status": status, "by": failed[:1], "s": round(time.time() - started)}
        )
        print(json.dumps(results[-1]), flush=True)
    (ROOT / "access_mutants.json").write_text(json.dumps(results, indent=1))
    survived = [r["mutant"] for r in results if r["status"] != "killed"]
    print(f"{len(results) - len(survived)} of {len(results)} killed; survived: {survived}")


if __name__ == "__main__":
    main(sys.argv[1:])
