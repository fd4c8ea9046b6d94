"""The pattern every project, domain, name and version must follow.

One definition serves the SDK (early, friendly errors) and the control plane (the rule
that is enforced), so the two can never disagree.
"""

from __future__ import annotations

import re

from graven.shown import shown

# Lowercase so names are unambiguous on case-insensitive stores and in URLs; dots, dashes
# and underscores so Python qualified names ("pkg.module.fn") fit.
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,252}")
VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
PROJECT_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")

PATTERNS = {
    "project": PROJECT_PATTERN,
    "domain": PROJECT_PATTERN,
    "name": NAME_PATTERN,
    "version": VERSION_PATTERN,
}


def name_problem(kind: str, value: str) -> str | None:
    """Why ``value`` is not a valid ``kind`` ("project", "domain", "name", "version"), or None."""
    pattern = PATTERNS[kind]
    if not value:
        return f"{kind} must not be empty"
    if pattern.fullmatch(value) is None:
        return f"{kind} {shown(value)} must match {pattern.pattern}"
    return None
