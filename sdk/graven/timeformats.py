"""Datetimes and durations as text, and as exact integer nanoseconds.

Values cross the command line and the console as text, so both the ISO 8601 forms and the
short forms people type ("5s", "1h30m", "250ms") are read. Arithmetic is done on integer
nanoseconds (never floats) so a value converts back and forth without drift.

Naive datetimes are rejected, not assumed to be UTC: the same code run on two machines in
different time zones would otherwise produce different values, and different content hashes.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from graven.errors import GravenValueError

UTC = datetime.UTC
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
NANOS_PER_SECOND = 10**9
ONE_MICROSECOND = datetime.timedelta(microseconds=1)

NUMBER = r"\d+(?:\.\d+)?"
ISO_DURATION = re.compile(
    rf"(?P<sign>-)?P(?:(?P<w>{NUMBER})W)?(?:(?P<d>{NUMBER})D)?"
    rf"(?:T(?:(?P<h>{NUMBER})H)?(?:(?P<m>{NUMBER})M)?(?:(?P<s>{NUMBER})S)?)?",
    re.IGNORECASE,
)
SHORT_DURATION = re.compile(rf"(?P<sign>-)?(?P<parts>(?:{NUMBER}(?:ms|us|µs|ns|[wdhms]))+)")
SHORT_PART = re.compile(rf"({NUMBER})(ms|us|µs|ns|[wdhms])")
UNIT_NANOS = {
    "w": 7 * 86400 * NANOS_PER_SECOND,
    "d": 86400 * NANOS_PER_SECOND,
    "h": 3600 * NANOS_PER_SECOND,
    "m": 60 * NANOS_PER_SECOND,
    "s": NANOS_PER_SECOND,
    "ms": 10**6,
    "us": 10**3,
    "µs": 10**3,
    "ns": 1,
}


def require_aware(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise GravenValueError(
            f"naive datetime {value.isoformat()} has no time zone: give one, "
            "e.g. datetime.now(timezone.utc) or '2024-01-01T00:00:00Z'"
        )
    return value.astimezone(UTC)


def datetime_to_nanos(value: datetime.datetime) -> int:
    micros = (require_aware(value) - EPOCH) // ONE_MICROSECOND
    return micros * 1000


def nanos_to_datetime(nanos: int) -> datetime.datetime:
    return EPOCH + datetime.timedelta(microseconds=nanos // 1000)


def timedelta_to_nanos(value: datetime.timedelta) -> int:
    return (value // ONE_MICROSECOND) * 1000


def nanos_to_timedelta(nanos: int) -> datetime.timedelta:
    return datetime.timedelta(microseconds=nanos // 1000)


def split_nanos(nanos: int) -> tuple[int, int]:
    """(seconds, nanos) with the same sign, as google.protobuf.Duration requires."""
    seconds, rest = divmod(abs(nanos), NANOS_PER_SECOND)
    return (-seconds, -rest) if nanos < 0 else (seconds, rest)


def parse_datetime(text: str) -> datetime.datetime:
    """An ISO 8601 / RFC 3339 datetime with a time zone, in UTC."""
    try:
        value = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise GravenValueError(
            f"{text!r} is not an ISO 8601 datetime such as '2024-01-01T00:00:00Z'"
        ) from None
    return require_aware(value)


def parse_duration_nanos(text: str) -> int:
    """An ISO 8601 duration ("PT5S", "P1DT2H"), a short one ("5s", "1h30m") or seconds."""
    stripped = text.strip()
    iso = ISO_DURATION.fullmatch(stripped)
    if iso is not None and any(iso.group(unit) for unit in "wdhms"):
        nanos = sum(
            _nanos(iso.group(unit), UNIT_NANOS[unit.lower()]) for unit in "wdhms" if iso.group(unit)
        )
        return -nanos if iso.group("sign") else nanos
    short = SHORT_DURATION.fullmatch(stripped)
    if short is not None:
        nanos = sum(
            _nanos(number, UNIT_NANOS[unit])
            for number, unit in SHORT_PART.findall(short.group("parts"))
        )
        return -nanos if short.group("sign") else nanos
    try:
        return _nanos(stripped, NANOS_PER_SECOND)
    except GravenValueError:
        raise GravenValueError(
            f"{text!r} is not a duration such as 'PT5S', '5s', '1h30m' or a number of seconds"
        ) from None


def _nanos(number: str, unit_nanos: int) -> int:
    try:
        amount = Decimal(number) * unit_nanos
    except InvalidOperation:
        raise GravenValueError(f"{number!r} is not a number") from None
    if not amount.is_finite():
        raise GravenValueError(f"{number!r} is not a finite number")
    return int(amount)
