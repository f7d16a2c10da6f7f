"""Cloudflare cron expressions: parsed with Cloudflare's semantics, day-of-week read both ways.

What this relies on, from Cloudflare's "Cron Triggers" page
(https://developers.cloudflare.com/workers/configuration/cron-triggers/, section "Supported
cron expressions", read in November 2026 from the page's source in cloudflare/cloudflare-docs):

- "Cloudflare supports cron expressions with five fields, along with most Quartz
  scheduler-like cron syntax extensions".
- The field table: Minute `0-59`, characters `* , - /`; Hours `0-23`, `* , - /`; Days of Month
  `1-31`, `* , - / L W`; Months "1-12, case-insensitive 3-letter abbreviations ("JAN", "aug",
  etc.)", `* , - /`; Weekdays "1-7, case-insensitive 3-letter abbreviations ("MON", "fri",
  etc.)", `* , - / L #`.
- The examples fix the weekday numbering and the `L` forms: "`0 17 * * sun` or `0 17 * * 1`"
  is "17:00 (UTC) on Sunday" (so 1 = Sunday and 7 = Saturday, Quartz's numbering, not POSIX's
  0/7 = Sunday, 1 = Monday); "`10 7 * * mon-fri` or `10 7 * * 2-6`" is "07:10 (UTC) on
  weekdays"; "`0 18 * * 6L` or `0 18 * * friL`" is "the last Friday of the month";
  "`59 23 LW * *`" is "the last weekday of the month".
- "Cron Triggers execute on UTC time."

Where the page is silent, we looked at cloudflare/saffron (the "Quartz scheduler-like cron
parser powering Cron Triggers on Cloudflare Workers") and Quartz's CronExpression, and we
report an error only for forms that neither gives a meaning; a false error blocks a deploy
gate. So:

- `?` ("no specific value" in Quartz) is accepted in day-of-month and day-of-week and read as
  `*`. saffron's grammar has no `?`, so Cloudflare may well reject it; we stay silent. It is
  an error in the other fields, where neither the table nor Quartz allows it.
- A reversed range wraps around (`FRI-MON` is Friday, Saturday, Sunday, Monday; `22-2` in
  hours is 22, 23, 0, 1, 2), as saffron does "to match up with quartz schedulers". Not an
  error; a step over a reversed range (`22-2/2`) wraps the same way.
- Steps: `*/s`, `a/s` (from `a` to the field's maximum) and `a-b/s`. A step of 0 is an
  error, and so is a step larger than the field's largest value (60 for minutes, 24 for hours,
  32 for days of the month, 13 for months, 8 for weekdays), which Quartz and saffron both
  reject. saffron also rejects a step equal to the span's end (31 for days, 12 for months,
  7 for weekdays); Quartz accepts those, so we do too.
- `n#k` takes `k` from 1 to 5 (a weekday occurs at most five times a month; Quartz and
  saffron both reject other values). `L-n` takes `n` up to 30 (both reject more); `L-0` is
  accepted (Quartz reads it as `L`).
- Day-of-week `L` alone means Saturday (Quartz, saffron).
- The `L`, `W` and `#` forms stand alone in their field: `1,L`, `15W,20` and `FRI#2,MON` are
  errors. Quartz's tutorial says so for `W` ("a single day, not a range or list of days") and
  `#` ("there can only be one expression in the day-of-week field"), Quartz's parser rejects
  `L` in a list, and saffron rejects all three.
- saffron rejects `*` inside a list (`*,5`), lowercase `l`/`w`, and spaces before or after
  the expression; Quartz accepts them (it upper-cases the expression and splits on
  whitespace) and the docs say nothing, so we accept them. Leading zeros (`05`) are accepted,
  as saffron does.
- An expression that can never fire (`0 0 30 2 *`) parses: whether it runs is a question for
  the evaluation, not for the parser.

The result keeps, per field, the items as written and the set of values they allow, so that a
later evaluation can count runs per day: minutes, hours and months are plain sets; each day
field is a set or one `L`/`W`/`#` rule. When both day fields are restricted a day matches
if either matches (saffron takes the earlier of the two), as in Vixie cron; a field of `*` or
`?` leaves the decision to the other.

The evaluation (`CronExpression.fires_on`, `times_on`, `schedule`) follows saffron's matcher
(`saffron/src/lib.rs`) where it is deliberate: `n#k` is the k-th such weekday, `nL` the last;
`L-n` never fires in a month shorter than `n + 1` days; `W` moves a Saturday to the Friday
before and a Sunday to the Monday after without leaving the month (the 1st on a Saturday goes
to Monday the 3rd, a Sunday month end to Friday). Where saffron's two code paths disagree we
take its iterator, which is what schedules runs: for `L-nW` on a Saturday its `contains` also
accepts the Monday after, its iterator (and Quartz) only the Friday before.

`parse(expression, dialect="posix")` reads the POSIX cron that GitHub Actions schedules use
(see `_parse_posix`): it shares this machinery and translates the day-of-week numbers.
"""

from __future__ import annotations

import calendar
import datetime
import enum
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

Dialect = Literal["cloudflare", "posix"]


class CronError(ValueError):
    """An expression Cloudflare rejects; the message names the expression and the reason."""

    def __init__(self, message: str, *, expression: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.reason = reason


class _Problem(Exception):
    """A field-level reason, wrapped into a CronError by `parse`."""


class Field(enum.Enum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY_OF_MONTH = "day-of-month"
    MONTH = "month"
    DAY_OF_WEEK = "day-of-week"


class Kind(enum.Enum):
    ANY = "*"
    UNSPECIFIED = "?"
    VALUE = "value"
    RANGE = "range"
    STEP = "step"
    LAST_DAY = "L"  # day-of-month `L`, `L-3`: the last day of the month, minus `offset`
    LAST_WEEKDAY = "LW"  # day-of-month `LW`, `L-3W`: the weekday nearest that day
    NEAREST_WEEKDAY = "W"  # day-of-month `15W`: the weekday nearest the 15th
    LAST_OF_MONTH = "nL"  # day-of-week `6L`, `FRIL`: the last Friday of the month
    NTH = "#"  # day-of-week `FRI#2`: the second Friday of the month


@dataclass(frozen=True)
class Item:
    """One comma-separated part of a field. Weekdays use Cloudflare's numbers, 1 = Sunday."""

    text: str
    kind: Kind
    start: int | None = None
    end: int | None = None
    step: int | None = None
    ordinal: int | None = None  # `k` in `n#k`
    offset: int | None = None  # `n` in `L-n`
    # The start or end was written as a number rather than a name (what matters for months
    # and weekdays). Implicit ends (`*/2`, `3/2`) are not: they are the same day in every
    # reading of the weekday numbers.
    start_numeric: bool = False
    end_numeric: bool = False

    @property
    def numeric(self) -> bool:
        return self.start_numeric or self.end_numeric


@dataclass(frozen=True)
class CronField:
    field: Field
    text: str
    items: tuple[Item, ...]
    # Values allowed by the `*`, `?`, value, range and step items (the `L`/`W`/`#` items are
    # rules, not values). Day-of-week values are 1 = Sunday … 7 = Saturday.
    values: frozenset[int]

    @property
    def restricted(self) -> bool:
        """False for `*` or `?` (alone or in a list): the field allows every value."""
        return not any(item.kind in (Kind.ANY, Kind.UNSPECIFIED) for item in self.items)

    @property
    def rule(self) -> Item | None:
        """The `L`, `LW`, `W`, `nL` or `#` item, which picks days by their place in the month.

        Such an item stands alone in its field, so a field has either values or a rule.
        """
        plain = (Kind.ANY, Kind.UNSPECIFIED, Kind.VALUE, Kind.RANGE, Kind.STEP)
        return next((item for item in self.items if item.kind not in plain), None)


@dataclass(frozen=True)
class CronExpression:
    text: str
    minute: CronField
    hour: CronField
    day_of_month: CronField
    month: CronField
    day_of_week: CronField

    @property
    def fields(self) -> tuple[CronField, ...]:
        return (self.minute, self.hour, self.day_of_month, self.month, self.day_of_week)

    @property
    def minutes(self) -> frozenset[int]:
        return self.minute.values

    @property
    def hours(self) -> frozenset[int]:
        return self.hour.values

    @property
    def months(self) -> frozenset[int]:
        return self.month.values

    @property
    def numeric_weekdays(self) -> tuple[str, ...]:
        """The day-of-week items that write a weekday as a number (`1-5`, `6L`, `2#1`)."""
        return tuple(item.text for item in self.day_of_week.items if item.numeric)

    def fires_on(self, day: datetime.date) -> bool:
        """Whether the expression fires at any time of `day` (a UTC date)."""
        if day.month not in self.month.values:
            return False
        by_month, by_week = self.day_of_month, self.day_of_week
        if not by_month.restricted:
            return not by_week.restricted or _weekday_matches(by_week, day)
        if not by_week.restricted:
            return _month_day_matches(by_month, day)
        return _month_day_matches(by_month, day) or _weekday_matches(by_week, day)

    def times_on(self, day: datetime.date) -> list[int]:
        """The minutes after 00:00 UTC at which it fires on `day`, in order; empty if it does not."""
        return list(_times(self.minutes, self.hours)) if self.fires_on(day) else []


@dataclass(frozen=True)
class _Spec:
    field: Field
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[0] is `low`
    letters: frozenset[str] = frozenset()  # the letter forms the docs allow (L, W)
    specials: frozenset[str] = frozenset("*-/")
    dialect: str = "Cloudflare"  # who rejects what the field does not allow, for messages


MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # Cloudflare's 1 … 7
DAY_WORDS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

_SPECS = (
    _Spec(Field.MINUTE, 0, 59),
    _Spec(Field.HOUR, 0, 23),
    _Spec(Field.DAY_OF_MONTH, 1, 31, letters=frozenset("LW"), specials=frozenset("*-/?")),
    _Spec(Field.MONTH, 1, 12, names=MONTH_NAMES),
    _Spec(Field.DAY_OF_WEEK, 1, 7, names=DAY_NAMES, letters=frozenset("L"),
          specials=frozenset("*-/?#")),
)
_RULE_KINDS = (Kind.LAST_DAY, Kind.LAST_WEEKDAY, Kind.NEAREST_WEEKDAY, Kind.LAST_OF_MONTH,
               Kind.NTH)
_MAX_ORDINAL = 5  # `#k`: a weekday occurs at most five times in a month
_MAX_LAST_OFFSET = 30  # `L-n`


def parse(expression: str, dialect: Dialect = "cloudflare") -> CronExpression:
    """Parse a cron expression; raise CronError for what the dialect rejects.

    `cloudflare` reads it as Cron Triggers do. `posix` reads a POSIX cron as GitHub Actions'
    `on.schedule` does (see `_parse_posix`); the result uses Cloudflare's numbers, so both
    evaluate the same way.
    """
    parts = expression.split()
    if not parts:
        raise _error(expression, "the expression is empty")
    if parts[0].startswith("@"):
        raise _error(expression, f"`{parts[0]}` shortcuts are not supported; write the five "
                                 "fields (minute hour day-of-month month day-of-week)")
    if len(parts) != 5:
        extra = "; no seconds or year" if len(parts) > 5 else ""
        plural = "field" if len(parts) == 1 else "fields"
        raise _error(expression, f"it has {len(parts)} {plural}, not 5 (minute hour "
                                 f"day-of-month month day-of-week{extra})")
    if dialect not in ("cloudflare", "posix"):
        raise ValueError(f"unknown cron dialect {dialect!r}")
    try:
        if dialect == "posix":
            fields = _parse_posix(parts)
        else:
            fields = [_parse_field(spec, text) for spec, text in zip(_SPECS, parts, strict=True)]
    except _Problem as problem:
        raise _error(expression, str(problem)) from None
    return CronExpression(expression, *fields)


def _error(expression: str, reason: str) -> CronError:
    return CronError(f"cron `{expression}` is invalid: {reason}",
                     expression=expression, reason=reason)


def _parse_field(spec: _Spec, text: str) -> CronField:
    items: list[Item] = []
    for part in text.split(","):
        if not part:
            raise _Problem(f"{spec.field.value} `{text}` has an empty list item")
        items.append(_parse_item(spec, part))
    # Quartz's tutorial: 'W' takes "a single day, not a range or list of days", and with '#'
    # "there can only be one expression in the day-of-week field"; Quartz rejects `L` in a
    # list too, and so does saffron for all three.
    for item in items if len(items) > 1 else ():
        saturday = spec.field is Field.DAY_OF_WEEK and item.text.upper() == "L"
        if item.kind in _RULE_KINDS or saturday:
            raise _Problem(f"{spec.field.value} `{text}` lists `{item.text}` with other items; "
                           "the `L`, `W` and `#` forms stand alone in their field")
    values: set[int] = set()
    for item in items:
        values.update(_values(spec, item))
    return CronField(spec.field, text, tuple(items), frozenset(values))


def _values(spec: _Spec, item: Item) -> Iterable[int]:
    if item.kind in (Kind.ANY, Kind.UNSPECIFIED):
        return range(spec.low, spec.high + 1)
    if item.kind in (Kind.VALUE, Kind.RANGE, Kind.STEP):
        assert item.start is not None and item.end is not None
        return _walk(item.start, item.end, spec.low, spec.high)[:: item.step or 1]
    return ()


def _walk(start: int, end: int, low: int, high: int) -> list[int]:
    """Values from start to end inclusive, wrapping past `high` when start > end (Quartz)."""
    if start <= end:
        return list(range(start, end + 1))
    return [*range(start, high + 1), *range(low, end + 1)]


def _tokens(spec: _Spec, text: str) -> list[str]:
    """Split an item into numbers, words and single special characters."""
    tokens: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isascii() and (char.isdigit() or char.isalpha()):
            same = str.isdigit if char.isdigit() else str.isalpha
            end = index
            while end < len(text) and text[end].isascii() and same(text[end]):
                end += 1
            tokens.append(text[index:end].upper())
            index = end
        elif char in spec.specials:
            tokens.append(char)
            index += 1
        else:
            raise _Problem(f"{spec.field.value} `{text}` has `{char}`, which {spec.dialect} does "
                           "not allow in that field")
    return tokens


def _is_number(token: str) -> bool:
    return token[:1].isdigit()


def _is_word(token: str) -> bool:
    return token[:1].isalpha()


def _number(spec: _Spec, token: str, low: int, high: int, what: str, text: str) -> int:
    # Compare the digits before converting: a thousand-digit number is text, not an int.
    digits = token.lstrip("0") or "0"
    if len(digits) <= 3 and low <= int(digits) <= high:
        return int(digits)
    where = "" if token == text else f" in `{text}`"
    raise _Problem(f"{spec.field.value} {what} `{token}`{where} is out of range {low}-{high}")


def _value(spec: _Spec, token: str, text: str) -> tuple[int, bool]:
    """A value token as (number, written as a number); names become numbers."""
    if _is_number(token):
        return _number(spec, token, spec.low, spec.high, "value", text), True
    if _is_word(token):
        # Tokens are upper-cased ASCII; show the word as it was written.
        at = text.upper().find(token)
        written = text[at:at + len(token)] if at >= 0 else token
        if token in spec.names:
            return spec.low + spec.names.index(token), False
        if token in ("L", "W", "LW"):
            if set(token) <= spec.letters:
                raise _malformed(spec, text)
            letter = next(c for c in token if c not in spec.letters)
            raise _Problem(f"{spec.field.value} `{text}` has `{letter}`, which {spec.dialect} "
                           "does not allow in that field")
        if spec.names:
            raise _Problem(f"{spec.field.value} name `{written}` is unknown (use "
                           f"`{spec.names[0]}` to `{spec.names[-1]}`)")
        raise _Problem(f"{spec.field.value} value `{written}` is not a number")
    raise _malformed(spec, text)


def _step(spec: _Spec, token: str, text: str) -> int:
    if not _is_number(token):
        raise _malformed(spec, text)
    return _number(spec, token, 1, spec.high, "step", text)


def _malformed(spec: _Spec, text: str) -> _Problem:
    forms = {
        Field.DAY_OF_MONTH: "a value, range or step, `L`, `L-3`, `LW` or `15W`",
        Field.DAY_OF_WEEK: "a value, range or step, `L`, `6L` or `FRI#2`",
    }.get(spec.field, "a value, range or step")
    return _Problem(f"{spec.field.value} `{text}` is not {forms}")


def _parse_item(spec: _Spec, text: str) -> Item:
    tokens = _tokens(spec, text)
    if tokens == ["*"]:
        return Item(text, Kind.ANY, spec.low, spec.high)
    if tokens == ["?"]:
        return Item(text, Kind.UNSPECIFIED, spec.low, spec.high)
    if spec.field is Field.DAY_OF_MONTH:
        special = _day_of_month_rule(spec, tokens, text)
        if special is not None:
            return special
    if spec.field is Field.DAY_OF_WEEK:
        special = _day_of_week_rule(spec, tokens, text)
        if special is not None:
            return special
    return _plain_item(spec, tokens, text)


def _plain_item(spec: _Spec, tokens: list[str], text: str) -> Item:
    """`n`, `a-b`, `*/s`, `a/s`, `a-b/s`."""
    for token in tokens:
        stray = [c for c in token if token in ("L", "W", "LW") and c not in spec.letters]
        if stray:
            raise _Problem(f"{spec.field.value} `{text}` has `{stray[0]}`, which {spec.dialect} "
                           "does not allow in that field")
    if "?" in tokens or "#" in tokens:
        raise _malformed(spec, text)
    if len(tokens) == 3 and tokens[:2] == ["*", "/"]:
        return Item(text, Kind.STEP, spec.low, spec.high, _step(spec, tokens[2], text))
    if not tokens or "*" in tokens:
        raise _malformed(spec, text)
    start, start_numeric = _value(spec, tokens[0], text)
    rest = tokens[1:]
    if not rest:
        return Item(text, Kind.VALUE, start, start, start_numeric=start_numeric,
                    end_numeric=start_numeric)
    if len(rest) == 2 and rest[0] == "/":
        return Item(text, Kind.STEP, start, spec.high, _step(spec, rest[1], text),
                    start_numeric=start_numeric)
    if len(rest) >= 2 and rest[0] == "-":
        end, end_numeric = _value(spec, rest[1], text)
        if len(rest) == 2:
            return Item(text, Kind.RANGE, start, end, start_numeric=start_numeric,
                        end_numeric=end_numeric)
        if len(rest) == 4 and rest[2] == "/":
            return Item(text, Kind.STEP, start, end, _step(spec, rest[3], text),
                        start_numeric=start_numeric, end_numeric=end_numeric)
    raise _malformed(spec, text)


def _day_of_month_rule(spec: _Spec, tokens: list[str], text: str) -> Item | None:
    """`L`, `LW`, `L-n`, `L-nW`, `nW`; None for the plain forms."""
    if tokens in (["L"], ["LW"]):
        kind = Kind.LAST_DAY if tokens == ["L"] else Kind.LAST_WEEKDAY
        return Item(text, kind, offset=0)
    if tokens[0] == "L" and len(tokens) in (3, 4) and tokens[1] == "-" and _is_number(tokens[2]):
        offset = _number(spec, tokens[2], 0, _MAX_LAST_OFFSET, "offset", text)
        if len(tokens) == 3:
            return Item(text, Kind.LAST_DAY, offset=offset)
        if tokens[3] == "W":
            return Item(text, Kind.LAST_WEEKDAY, offset=offset)
        raise _malformed(spec, text)
    if len(tokens) == 2 and _is_number(tokens[0]) and tokens[1] == "W":
        day = _number(spec, tokens[0], spec.low, spec.high, "value", text)
        return Item(text, Kind.NEAREST_WEEKDAY, day, day)
    if any(token in ("L", "W", "LW") for token in tokens):
        raise _malformed(spec, text)
    return None


def _day_of_week_rule(spec: _Spec, tokens: list[str], text: str) -> Item | None:
    """`L` (Saturday), `nL`, `NAMEL`, `n#k`; None for the plain forms."""
    if tokens == ["L"]:
        return Item(text, Kind.VALUE, 7, 7)
    word = tokens[0] if len(tokens) == 1 else ""
    if len(word) == 4 and word.endswith("L") and word[:3] in DAY_NAMES:
        day = DAY_NAMES.index(word[:3]) + 1
        return Item(text, Kind.LAST_OF_MONTH, day, day)
    if len(tokens) == 2 and tokens[1] == "L":
        day, numeric = _value(spec, tokens[0], text)
        return Item(text, Kind.LAST_OF_MONTH, day, day, start_numeric=numeric)
    if "#" in tokens:
        if len(tokens) != 3 or tokens[1] != "#" or not _is_number(tokens[2]):
            raise _malformed(spec, text)
        day, numeric = _value(spec, tokens[0], text)
        ordinal = _number(spec, tokens[2], 1, _MAX_ORDINAL, "occurrence", text)
        return Item(text, Kind.NTH, day, day, ordinal=ordinal, start_numeric=numeric)
    if "L" in tokens:
        raise _malformed(spec, text)
    return None


def _parse_posix(parts: list[str]) -> list[CronField]:
    """The five fields of a POSIX cron, with the day of the week in Cloudflare's numbers."""
    fields: list[CronField] = []
    for spec, text in zip(_POSIX_SPECS, parts[:4], strict=True):
        _reject_quartz(spec, text)
        fields.append(_reject_wrap(spec, _parse_field(spec, text)))
    _reject_quartz(_POSIX_WEEKDAY, parts[4])
    return [*fields, _posix_weekdays(parts[4])]


# POSIX cron as GitHub Actions reads `on.schedule`: day-of-week 0-6 with 0 = Sunday (7 is Sunday
# too in Vixie cron and crontab(5); GitHub's docs say 0-6, and we accept 7 rather than report a
# false error), names `SUN`…`SAT` and `JAN`…`DEC`, the operators `* , - /`, and none of Quartz's
# `L W # ?`. GitHub's workflow validator (actions/languageservices, `workflow-parser/src/model/
# converter/cron.ts`) rejects reversed ranges (`FRI-TUE`, `12-4`); so do we, where Cloudflare
# wraps them. Only the day-of-week numbers differ from Cloudflare's, so that field is translated
# to Cloudflare's day names and the rest of the machinery is shared. A step such as `*/2` in a day
# field counts as a restriction (POSIX's wording, croniter's default); Vixie cron reads any field
# that starts with `*` as `*` when it combines the two day fields. GitHub's scheduler is not public.
_POSIX_SPECS = tuple(replace(spec, letters=frozenset(), specials=frozenset("*-/"), dialect="POSIX cron")
                     for spec in _SPECS[:4])
_POSIX_WEEKDAY = _Spec(Field.DAY_OF_WEEK, 0, 7, names=DAY_NAMES, dialect="POSIX cron")
# `?`, `#`, and `L`, `W`, `LW`, `FRIL` as words of their own (not the L of `JUL`, the W of `WED`).
_QUARTZ_FORM = re.compile(r"[?#]|(?<![A-Z])(?:LW|L|W)(?![A-Z])|(?:SUN|MON|TUE|WED|THU|FRI|SAT)L(?![A-Z])",
                          re.IGNORECASE)


def _reject_quartz(spec: _Spec, text: str) -> None:
    found = _QUARTZ_FORM.search(text)
    if found:
        form = found.group(0)
        what = "is" if form == text else f"has `{form}`,"
        hint = "; write `*`" if form == "?" else ""
        raise _Problem(f"{spec.field.value} `{text}` {what} a Quartz form that Cloudflare accepts "
                       f"but POSIX cron (GitHub Actions) does not{hint}")


def _reject_wrap(spec: _Spec, field: CronField) -> CronField:
    for item in field.items:
        if item.start is not None and item.end is not None and item.start > item.end:
            raise _Problem(f"{spec.field.value} range `{item.text}` runs backwards; POSIX cron "
                           "does not wrap around (GitHub rejects it): write it as two ranges")
    return field


def _posix_weekdays(text: str) -> CronField:
    """The POSIX day-of-week field as Cloudflare would write it: the same days, by name.

    The field keeps the text as written; its items are the translated names. `*` stays `*`,
    so that the day-of-month/day-of-week combination reads the same in both dialects.
    """
    field = _reject_wrap(_POSIX_WEEKDAY, _parse_field(_POSIX_WEEKDAY, text))
    if not field.restricted:
        return replace(_parse_field(_SPECS[4], "*"), text=text)
    days: set[int] = set()
    for item in field.items:
        assert item.start is not None and item.end is not None
        # `*/2` and `1/2` end at Saturday, 6: 7 is only a second name for Sunday, and counting
        # it would add a Sunday to `1/2` (Monday, Wednesday, Friday).
        implicit_end = item.kind is Kind.STEP and item.end == 7 and not item.end_numeric
        end = 6 if implicit_end else item.end
        days.update(value % 7 for value in range(item.start, end + 1, item.step or 1))
    names = ",".join(DAY_NAMES[day] for day in sorted(days))
    return replace(_parse_field(_SPECS[4], names), text=text)


# Reading the day-of-week field the two ways: what Cloudflare runs, and what a POSIX-minded
# author meant. Days below are 0 = Sunday … 6 = Saturday, whatever the reading.

_ORDINALS = ("first", "second", "third", "fourth", "fifth")


class Reading(enum.Enum):
    CLOUDFLARE = "cloudflare"  # 1 = Sunday … 7 = Saturday (Quartz)
    POSIX = "posix"  # 0 or 7 = Sunday, 1 = Monday … 6 = Saturday (Vixie cron, crontab(5))


@dataclass(frozen=True)
class WeekdayMeaning:
    """One reading of a day-of-week field, written with names that mean it on Cloudflare."""

    text: str  # `MON-FRI`, `SUN,FRI,SAT`, `FRI#2`, `SATL`, `*`
    words: str  # "Monday to Friday", "the last Saturday of the month"
    days: frozenset[int]
    nth: frozenset[tuple[int, int]]  # (day, k) for `#k`
    last: frozenset[int]  # days of the `nL` items


@dataclass(frozen=True)
class WeekdayReadings:
    written: str
    cloudflare: WeekdayMeaning
    posix: WeekdayMeaning

    @property
    def differ(self) -> bool:
        """Whether the numbers mean a different schedule in the two readings."""
        a, b = self.cloudflare, self.posix
        return (a.days, a.nth, a.last) != (b.days, b.nth, b.last)


def weekday_readings(expression: CronExpression) -> WeekdayReadings | None:
    """Both readings of the day-of-week field; None when it writes no weekday as a number."""
    field = expression.day_of_week
    if not any(item.numeric for item in field.items):
        return None
    return WeekdayReadings(field.text, _meaning(field, Reading.CLOUDFLARE),
                           _meaning(field, Reading.POSIX))


def _day(number: int, numeric: bool, reading: Reading) -> int:
    # Names were stored as Cloudflare's numbers, so only digits change with the reading.
    if numeric and reading is Reading.POSIX:
        return number % 7
    return number - 1


def _meaning(field: CronField, reading: Reading) -> WeekdayMeaning:
    days: set[int] = set()
    nth: set[tuple[int, int]] = set()
    last: set[int] = set()
    for item in field.items:
        if item.kind in (Kind.ANY, Kind.UNSPECIFIED):
            days.update(range(7))
            continue
        assert item.start is not None and item.end is not None
        start = _day(item.start, item.start_numeric, reading)
        end = _day(item.end, item.end_numeric, reading)
        if item.kind is Kind.NTH:
            assert item.ordinal is not None
            nth.add((start, item.ordinal))
        elif item.kind is Kind.LAST_OF_MONTH:
            last.add(start)
        else:
            days.update(_walk(start, end, 0, 6)[:: item.step or 1])
    texts, words = _day_names(days)
    for day, ordinal in sorted(nth):
        texts.append(f"{DAY_NAMES[day]}#{ordinal}")
        words.append(f"the {_ORDINALS[ordinal - 1]} {DAY_WORDS[day]} of the month")
    for day in sorted(last):
        texts.append(f"{DAY_NAMES[day]}L")
        words.append(f"the last {DAY_WORDS[day]} of the month")
    return WeekdayMeaning(",".join(texts), _join(words), frozenset(days), frozenset(nth),
                          frozenset(last))


def _day_names(days: set[int]) -> tuple[list[str], list[str]]:
    """The days as names (runs of three or more as `A-B`, never wrapping) and as words."""
    if len(days) == 7:
        return ["*"], ["every day"]
    texts = [f"{DAY_NAMES[a]}-{DAY_NAMES[b]}" if b - a >= 2 else
             ",".join(DAY_NAMES[d] for d in range(a, b + 1)) for a, b in _runs(days, 0)]
    # Words may wrap the week: "Friday to Sunday" reads better than "Sunday, Friday and ...".
    first = min(range(7), key=lambda s: (_phrases(_runs(days, s)), s != 0, s))
    words: list[str] = []
    for a, b in _runs(days, first):
        if (b - a) % 7 >= 2:
            words.append(f"{DAY_WORDS[a]} to {DAY_WORDS[b]}")
        else:
            words.extend(DAY_WORDS[d % 7] for d in range(a, a + (b - a) % 7 + 1))
    return texts, words


def _phrases(runs: list[tuple[int, int]]) -> int:
    """How many words a description needs: one per run of three or more, else one per day."""
    return sum(1 if (b - a) % 7 >= 2 else (b - a) % 7 + 1 for a, b in runs)


def _runs(days: set[int], first: int) -> list[tuple[int, int]]:
    """Runs of consecutive days in a week that starts on `first`, as (start, end) days."""
    runs: list[tuple[int, int]] = []
    previous = -2
    for offset in range(7):
        day = (first + offset) % 7
        if day not in days:
            continue
        if offset == previous + 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
        previous = offset
    return runs


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


# Evaluation. Cloudflare runs crons in UTC, so a day's times do not depend on its date: a day
# fires at every hour and minute combination or not at all. That makes a day one test and the
# times one product per expression, however many days are counted.

SPAN_START = datetime.date(2027, 1, 1)
SPAN_DAYS = 1461  # 2027-01-01 to 2030-12-31


@dataclass(frozen=True)
class Schedule:
    """How often an expression fires, counted over the `SPAN_DAYS` days from `SPAN_START`."""

    runs_per_day: float  # the mean over the span
    busiest_day: int  # the most runs in one day of the span
    quietest_day: int  # the fewest: 0 when some day of the span has none
    busiest_times: tuple[int, ...]  # minutes after 00:00 UTC on a busiest day, in order


@functools.lru_cache(maxsize=1024)
def schedule(expression: CronExpression) -> Schedule:
    """Count the runs over the calendar years 2027 to 2030, 1,461 days.

    Four calendar years are one leap cycle: every month comes four times and 29 February once,
    so rules that depend on the month's length (`31`, `29 2`, `L`, `LW`, `15W`) count at their
    long-run rate (exact for 1901-2099). The weekdays are near theirs but not exact: 1,461 days
    are 208 weeks and 5 days (Friday to Tuesday), so `0 9 * * 1-5` (Sunday to Thursday) counts
    1,043 runs, 0.7139 a day against 5/7 = 0.7143. A fixed span gives the same figure on every
    machine and every day, which "the next four years" would not. A schedule whose only runs
    fall outside the span (`0 0 * 2 MON#5`, next in 2044) counts none.
    """
    times = _times(expression.minutes, expression.hours)
    ordinal = SPAN_START.toordinal()
    days = sum(expression.fires_on(datetime.date.fromordinal(ordinal + offset))
               for offset in range(SPAN_DAYS))
    return Schedule(
        runs_per_day=days * len(times) / SPAN_DAYS,
        busiest_day=len(times) if days else 0,
        quietest_day=len(times) if days == SPAN_DAYS else 0,
        busiest_times=times if days else (),
    )


@functools.lru_cache(maxsize=1024)
def _times(minutes: frozenset[int], hours: frozenset[int]) -> tuple[int, ...]:
    ordered = sorted(minutes)
    return tuple(hour * 60 + minute for hour in sorted(hours) for minute in ordered)


def _month_day_matches(field: CronField, day: datetime.date) -> bool:
    rule = field.rule
    if rule is None:
        return day.day in field.values
    last = calendar.monthrange(day.year, day.month)[1]
    if rule.kind is Kind.LAST_DAY:
        # `L-n` past the month's start (`L-30` in February) never fires that month (saffron).
        return day.day == last - (rule.offset or 0)
    if rule.kind is Kind.LAST_WEEKDAY:
        target = last - (rule.offset or 0)
    else:
        assert rule.kind is Kind.NEAREST_WEEKDAY and rule.start is not None
        target = rule.start
    return target >= 1 and day.day == _nearest_weekday(day, target, last)


def _nearest_weekday(day: datetime.date, target: int, last: int) -> int:
    """The weekday nearest the `target` day of `day`'s month, not leaving the month (Quartz `W`).

    A Saturday moves to the Friday before (to Monday the 3rd when it is the 1st), a Sunday to
    the Monday after (to the Friday before when it ends the month). A target past the month's
    end is placed where the calendar would put it, as saffron does: `31W` in a 30-day month
    fires on the 30th when that is a Friday (the "31st" a Saturday), and not at all otherwise.
    """
    weekday = (day.weekday() + target - day.day) % 7  # 0 = Monday … 6 = Sunday
    if weekday == 5:
        return target - 1 if target > 1 else 3
    if weekday == 6:
        return target - 2 if target == last else target + 1
    return target


def _weekday_matches(field: CronField, day: datetime.date) -> bool:
    weekday = day.isoweekday() % 7 + 1  # Cloudflare's numbers: 1 = Sunday … 7 = Saturday
    rule = field.rule
    if rule is None:
        return weekday in field.values
    if weekday != rule.start:
        return False
    if rule.kind is Kind.NTH:
        return (day.day - 1) // 7 + 1 == rule.ordinal
    return day.day + 7 > calendar.monthrange(day.year, day.month)[1]  # the month's last one
