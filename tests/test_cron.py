"""The cron parser against Cloudflare's rules, and the two readings of numeric weekdays."""

from __future__ import annotations

import pytest

from auditor.cron import CronError, Kind, parse, weekday_readings

R = range

VALID = [
    # Cloudflare's own examples (cron-triggers page).
    "* * * * *",
    "*/30 * * * *",
    "45 * * * *",
    "0 17 * * sun",
    "0 17 * * 1",
    "10 7 * * mon-fri",
    "10 7 * * 2-6",
    "0 15 1 * *",
    "0 18 * * 6L",
    "0 18 * * friL",
    "59 23 LW * *",
    "*/3 * * * *",
    # Edges of every range, names in any case, the L/W/# forms.
    "59 23 31 12 7",
    "0 0 1 1 1",
    "0 0 * JAN-DEC SUN-SAT",
    "0 0 * jan,Aug,DEC mon,Wed",
    "0 0 L * *",
    "0 0 L-3 * *",
    "0 0 L-30W * *",
    "0 0 15W * *",
    "0 0 * * FRI#5",
    "0 0 * * 6#1",
    "0 0 * * L",
    "0 0 */31 * *",
    "*/59 */23 * */12 */7",
    # Silent in the docs, accepted on purpose (see auditor/cron.py).
    "0 0 ? * MON",
    "0 0 1 * ?",
    "0 22-2 * * *",
    "0 0 * * FRI-MON",
    "  0 0 * * *  ",
    "0\t0 * * *",
    "05 0 * * *",
    "0 0 l * *",
]


@pytest.mark.parametrize("expression", VALID)
def test_valid(expression: str) -> None:
    parse(expression)


INVALID = [
    ("", "the expression is empty"),
    ("   ", "the expression is empty"),
    ("@daily", "`@daily` shortcuts are not supported"),
    ("0 0 * *", "it has 4 fields, not 5"),
    ("0", "it has 1 field, not 5"),
    ("0 0 9 * * MON-FRI", "it has 6 fields, not 5 (minute hour day-of-month month day-of-week; "
                          "no seconds or year)"),
    ("60 * * * *", "minute value `60` is out of range 0-59"),
    ("* 24 * * *", "hour value `24` is out of range 0-23"),
    ("0 0 0 * *", "day-of-month value `0` is out of range 1-31"),
    ("0 0 32 * *", "day-of-month value `32` is out of range 1-31"),
    ("0 0 * 0 *", "month value `0` is out of range 1-12"),
    ("0 0 * 13 *", "month value `13` is out of range 1-12"),
    ("0 0 * * 0", "day-of-week value `0` is out of range 1-7"),
    ("0 0 * * 8", "day-of-week value `8` is out of range 1-7"),
    ("0 0 * * 1-8", "day-of-week value `8` in `1-8` is out of range 1-7"),
    ("0 0 * * Monday", "day-of-week name `Monday` is unknown (use `SUN` to `SAT`)"),
    ("0 0 * Sept *", "month name `Sept` is unknown (use `JAN` to `DEC`)"),
    ("0 0 * * JAN", "day-of-week name `JAN` is unknown"),
    ("abc * * * *", "minute value `abc` is not a number"),
    ("0 0 * MON *", "month name `MON` is unknown"),
    ("*/0 * * * *", "minute step `0` in `*/0` is out of range 1-59"),
    ("0 0 * * 1/0", "day-of-week step `0` in `1/0` is out of range 1-7"),
    ("*/60 * * * *", "minute step `60` in `*/60` is out of range 1-59"),
    ("0 */24 * * *", "hour step `24` in `*/24` is out of range 1-23"),
    ("0 0 * * */8", "day-of-week step `8` in `*/8` is out of range 1-7"),
    ("0 0 * * FRI#6", "day-of-week occurrence `6` in `FRI#6` is out of range 1-5"),
    ("0 0 * * 6#0", "day-of-week occurrence `0` in `6#0` is out of range 1-5"),
    ("0 0 L-31 * *", "day-of-month offset `31` in `L-31` is out of range 0-30"),
    ("0 0 32W * *", "day-of-month value `32` in `32W` is out of range 1-31"),
    ("L * * * *", "minute `L` has `L`, which Cloudflare does not allow in that field"),
    ("0 0 * L *", "month `L` has `L`"),
    ("0 0 * * 15W", "day-of-week `15W` has `W`"),
    ("0 0 * * LW", "day-of-week `LW` has `W`"),
    ("0 0 1#2 * *", "day-of-month `1#2` has `#`"),
    ("? * * * *", "minute `?` has `?`"),
    ("5% * * * *", "minute `5%` has `%`"),
    ("\uff11 * * * *", "minute `\uff11` has `\uff11`"),
    ("1,,2 * * * *", "minute `1,,2` has an empty list item"),
    ("1, * * * *", "minute `1,` has an empty list item"),
    ("1- * * * *", "minute `1-` is not a value, range or step"),
    ("-5 * * * *", "minute `-5` is not a value, range or step"),
    ("*/ * * * *", "minute `*/` is not a value, range or step"),
    ("5/ * * * *", "minute `5/` is not a value, range or step"),
    ("*-5 * * * *", "minute `*-5` is not a value, range or step"),
    ("1-2-3 * * * *", "minute `1-2-3` is not a value, range or step"),
    ("0 0 1-5W * *", "day-of-month `1-5W` is not a value, range or step, `L`, `L-3`, `LW` or "
                     "`15W`"),
    ("0 0 15L * *", "day-of-month `15L` is not"),
    ("0 0 * * MON-FRI#2", "day-of-week `MON-FRI#2` is not a value, range or step, `L`, `6L` or "
                          "`FRI#2`"),
    ("0 0 * * #2", "day-of-week `#2` is not"),
    ("0 0 * * 9L", "day-of-week value `9` in `9L` is out of range 1-7"),
    ("0 0 1,L * *", "day-of-month `1,L` lists `L` with other items; the `L`, `W` and `#` forms "
                    "stand alone in their field"),
    ("0 0 15W,20 * *", "day-of-month `15W,20` lists `15W` with other items"),
    ("0 0 L-3,LW * *", "day-of-month `L-3,LW` lists `L-3` with other items"),
    ("0 0 * * FRI#2,MON", "day-of-week `FRI#2,MON` lists `FRI#2` with other items"),
    ("0 0 * * 3#1,6#3", "day-of-week `3#1,6#3` lists `3#1` with other items"),
    ("0 0 * * SAT,SUN,L", "day-of-week `SAT,SUN,L` lists `L` with other items"),
    ("0 0 * * 6L,1", "day-of-week `6L,1` lists `6L` with other items"),
    ("9" * 5000 + " * * * *", "minute value `" + "9" * 5000 + "` is out of range 0-59"),
]


@pytest.mark.parametrize(("expression", "reason"), INVALID, ids=lambda v: str(v)[:40])
def test_invalid(expression: str, reason: str) -> None:
    with pytest.raises(CronError) as caught:
        parse(expression)
    assert caught.value.message.startswith(f"cron `{expression}` is invalid: ")
    assert reason in caught.value.reason
    assert str(caught.value) == caught.value.message


def test_error_message_in_full() -> None:
    with pytest.raises(CronError, match=r"^cron `0 0 \* \* 8` is invalid: day-of-week value "
                                         r"`8` is out of range 1-7$"):
        parse("0 0 * * 8")


FIELD_SETS = [
    # expression, minutes, hours, days of month, months, days of week (1 = Sunday)
    ("*/15 9-17 * * MON-FRI", {0, 15, 30, 45}, set(R(9, 18)), set(R(1, 32)), set(R(1, 13)),
     {2, 3, 4, 5, 6}),
    ("0,30 22-2 1-31/10 JAN,jul-aug */2", {0, 30}, {22, 23, 0, 1, 2}, {1, 11, 21, 31},
     {1, 7, 8}, {1, 3, 5, 7}),
    ("5/20 */6 ? 11/2 FRI-MON", {5, 25, 45}, {0, 6, 12, 18}, set(R(1, 32)), {11}, {6, 7, 1, 2}),
    ("59 23 31 12 7", {59}, {23}, {31}, {12}, {7}),
    ("0 0 * * L", {0}, {0}, set(R(1, 32)), set(R(1, 13)), {7}),
    ("0 20-4/3 * * 2-6", {0}, {20, 23, 2}, set(R(1, 32)), set(R(1, 13)), {2, 3, 4, 5, 6}),
]


@pytest.mark.parametrize(("expression", "minutes", "hours", "doms", "months", "dows"),
                         FIELD_SETS, ids=[row[0] for row in FIELD_SETS])
def test_field_sets(expression: str, minutes: set[int], hours: set[int], doms: set[int],
                    months: set[int], dows: set[int]) -> None:
    cron = parse(expression)
    assert cron.minutes == minutes
    assert cron.hours == hours
    assert cron.day_of_month.values == doms
    assert cron.months == months
    assert cron.day_of_week.values == dows


DAY_RULES = [
    ("0 0 L * *", Kind.LAST_DAY, 0, None),
    ("0 0 L-3 * *", Kind.LAST_DAY, 3, None),
    ("0 0 LW * *", Kind.LAST_WEEKDAY, 0, None),
    ("0 0 L-3W * *", Kind.LAST_WEEKDAY, 3, None),
    ("0 0 15W * *", Kind.NEAREST_WEEKDAY, None, 15),
]


@pytest.mark.parametrize(("expression", "kind", "offset", "day"), DAY_RULES,
                         ids=[row[0] for row in DAY_RULES])
def test_day_of_month_rules(expression: str, kind: Kind, offset: int | None,
                            day: int | None) -> None:
    field = parse(expression).day_of_month
    assert field.rule is not None
    assert (field.rule.kind, field.rule.offset, field.rule.start) == (kind, offset, day)
    assert field.values == frozenset() and field.restricted


@pytest.mark.parametrize(("expression", "kind", "day", "ordinal"), [
    ("0 0 * * FRI#2", Kind.NTH, 6, 2),
    ("0 0 * * 6#2", Kind.NTH, 6, 2),
    ("0 0 * * 6L", Kind.LAST_OF_MONTH, 6, None),
    ("0 0 * * friL", Kind.LAST_OF_MONTH, 6, None),
])
def test_day_of_week_rules(expression: str, kind: Kind, day: int, ordinal: int | None) -> None:
    field = parse(expression).day_of_week
    assert field.rule is not None
    assert (field.rule.kind, field.rule.start, field.rule.ordinal) == (kind, day, ordinal)


def test_plain_day_fields_have_no_rule() -> None:
    cron = parse("0 0 ? * L")
    assert cron.day_of_month.rule is None and not cron.day_of_month.restricted
    assert cron.day_of_week.rule is None and cron.day_of_week.values == {7}
    assert not parse("0 0 1,* * *").day_of_month.restricted


NUMERIC_WEEKDAYS = [
    ("0 9 * * 1-5", ("1-5",)),
    ("0 9 * * MON,3,FRI", ("3",)),
    ("0 9 * * MON-5", ("MON-5",)),
    ("0 9 * * 6L", ("6L",)),
    ("0 9 * * 2#1", ("2#1",)),
    ("0 9 * * FRI#2", ()),
    ("0 9 * * 1/2", ("1/2",)),
    ("0 9 * * MON-FRI", ()),
    ("0 9 * * */2", ()),
    ("0 9 * * *", ()),
    ("0 9 * * ?", ()),
    ("0 9 * * L", ()),
    ("0 9 * * friL", ()),
    ("0 9 1 2 *", ()),
]


@pytest.mark.parametrize(("expression", "numeric"), NUMERIC_WEEKDAYS, ids=lambda v: str(v))
def test_numeric_weekdays(expression: str, numeric: tuple[str, ...]) -> None:
    assert parse(expression).numeric_weekdays == numeric


READINGS = [
    # field, Cloudflare (names, words), meant in POSIX numbering (names, words)
    ("1-5", "SUN-THU", "Sunday to Thursday", "MON-FRI", "Monday to Friday"),
    ("2-6", "MON-FRI", "Monday to Friday", "TUE-SAT", "Tuesday to Saturday"),
    ("1", "SUN", "Sunday", "MON", "Monday"),
    ("7", "SAT", "Saturday", "SUN", "Sunday"),
    ("1,3,5", "SUN,TUE,THU", "Sunday, Tuesday and Thursday", "MON,WED,FRI",
     "Monday, Wednesday and Friday"),
    ("MON,3", "MON,TUE", "Monday and Tuesday", "MON,WED", "Monday and Wednesday"),
    ("MON-5", "MON-THU", "Monday to Thursday", "MON-FRI", "Monday to Friday"),
    ("5-7", "THU-SAT", "Thursday to Saturday", "SUN,FRI,SAT", "Friday to Sunday"),
    ("6-2", "SUN,MON,FRI,SAT", "Friday to Monday", "SUN-TUE,SAT", "Saturday to Tuesday"),
    ("6,7", "FRI,SAT", "Friday and Saturday", "SUN,SAT", "Sunday and Saturday"),
    ("1-3,5", "SUN-TUE,THU", "Sunday to Tuesday and Thursday", "MON-WED,FRI",
     "Monday to Wednesday and Friday"),
    ("1-5/2", "SUN,TUE,THU", "Sunday, Tuesday and Thursday", "MON,WED,FRI",
     "Monday, Wednesday and Friday"),
    ("2/2", "MON,WED,FRI", "Monday, Wednesday and Friday", "TUE,THU,SAT",
     "Tuesday, Thursday and Saturday"),
    ("6L", "FRIL", "the last Friday of the month", "SATL", "the last Saturday of the month"),
    ("7L", "SATL", "the last Saturday of the month", "SUNL", "the last Sunday of the month"),
    ("2#1", "MON#1", "the first Monday of the month", "TUE#1", "the first Tuesday of the month"),
    ("5#5", "THU#5", "the fifth Thursday of the month", "FRI#5", "the fifth Friday of the month"),
]


@pytest.mark.parametrize(("field", "cf_text", "cf_words", "posix_text", "posix_words"),
                         READINGS, ids=[row[0] for row in READINGS])
def test_weekday_readings(field: str, cf_text: str, cf_words: str, posix_text: str,
                          posix_words: str) -> None:
    readings = weekday_readings(parse(f"0 9 * * {field}"))
    assert readings is not None
    assert readings.written == field
    assert (readings.cloudflare.text, readings.cloudflare.words) == (cf_text, cf_words)
    assert (readings.posix.text, readings.posix.words) == (posix_text, posix_words)
    assert readings.differ
    # The names mean the same on Cloudflare as the reading they were written for.
    for meaning in (readings.cloudflare, readings.posix):
        again = weekday_readings(parse(f"0 9 * * {meaning.text}"))
        assert again is None
        named = parse(f"0 9 * * {meaning.text}").day_of_week
        assert {d - 1 for d in named.values} == meaning.days


@pytest.mark.parametrize("field", ["1-7", "1,*", "2-6,*", "1-7/1"])
def test_readings_that_agree_are_not_a_difference(field: str) -> None:
    readings = weekday_readings(parse(f"0 9 * * {field}"))
    assert readings is not None and not readings.differ
    assert readings.cloudflare.text == readings.posix.text == "*"


@pytest.mark.parametrize("field", ["MON-FRI", "*", "*/2", "?", "L", "FRI#2", "friL"])
def test_no_readings_without_numbers(field: str) -> None:
    assert weekday_readings(parse(f"0 9 * * {field}")) is None
