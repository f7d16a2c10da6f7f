"""The cron parser against Cloudflare's rules, and the two readings of numeric weekdays."""

from __future__ import annotations

import datetime
import random
import re

import pytest

from auditor.cron import SPAN_DAYS, CronError, Kind, parse, schedule, weekday_readings

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


# Evaluation. The span is 2027-01-01 to 2030-12-31 (1,461 days = 208 weeks + 5 days). It starts
# on a Friday, so its last five days are Friday to Tuesday: a weekday-only schedule counts 208
# runs per weekday it names, plus one for each of Friday, Saturday, Sunday, Monday and Tuesday.
# Months starting on a Monday: 2027-02, 2027-03, 2027-11, 2028-05, 2029-01, 2029-10, 2030-04,
# 2030-07 (eight of the 48).
SCHEDULES = [
    # expression, runs over the span, busiest day, quietest day
    ("* * * * *", 1440 * 1461, 1440, 1440),
    ("*/30 * * * *", 48 * 1461, 48, 48),
    ("0 9-17 * * *", 9 * 1461, 9, 9),
    # 1-5 is Sunday to Thursday: 5 * 208 + Sunday, Monday, Tuesday = 1,043 (about 5/7 a day).
    ("0 9 * * 1-5", 1043, 1, 0),
    ("0 9 * * MON-FRI", 1043, 1, 0),  # 5 * 208 + Friday, Monday, Tuesday
    ("0 9 * * 4", 208, 1, 0),  # Wednesday: not among the last five days
    ("0 9 * * 7", 209, 1, 0),  # Saturday: one of them
    ("*/15 9-16 * * 2-6", 32 * 1043, 32, 0),
    ("0 0 1 * *", 48, 1, 0),
    ("0 0 31 * *", 28, 1, 0),  # seven months of 31 days, four years
    ("0 0 29 2 *", 1, 1, 0),  # 2028-02-29
    ("0 0 30 2 *", 0, 0, 0),
    ("0 0 * FEB *", 3 * 28 + 29, 1, 0),
    # Odd days: 16 in a 31-day month, 15 in 30 or 29 days, 14 in 28; 186 a year, 187 in 2028.
    ("0 0 */2 * *", 3 * 186 + 187, 1, 0),
    ("0 18 * * 6L", 48, 1, 0),
    ("0 18 * * friL", 48, 1, 0),
    ("59 23 LW * *", 48, 1, 0),
    ("0 0 L * *", 48, 1, 0),
    ("0 0 L-30 * *", 28, 1, 0),  # the 1st of 31-day months only
    ("0 0 15W * *", 48, 1, 0),
    ("0 9 * * 2#1", 48, 1, 0),
    # Both day fields restricted: either matches. 209 Mondays + the 40 firsts that are not.
    ("0 0 1 * MON", 249, 1, 0),
    # `?` (or `*`) leaves the decision to the other field.
    ("0 0 ? * MON", 209, 1, 0),
    ("0 0 1 * ?", 48, 1, 0),
    ("0 0 1 * *", 48, 1, 0),
]


@pytest.mark.parametrize(("expression", "runs", "busiest", "quietest"), SCHEDULES,
                         ids=[row[0] for row in SCHEDULES])
def test_schedule(expression: str, runs: int, busiest: int, quietest: int) -> None:
    result = schedule(parse(expression))
    assert result.runs_per_day == pytest.approx(runs / SPAN_DAYS, rel=1e-12)
    assert (result.busiest_day, result.quietest_day) == (busiest, quietest)
    assert len(result.busiest_times) == busiest


def test_schedule_times() -> None:
    assert schedule(parse("*/30 * * * *")).busiest_times == tuple(range(0, 1440, 30))
    assert schedule(parse("59 23 LW * *")).busiest_times == (23 * 60 + 59,)
    assert schedule(parse("0 0 30 2 *")).busiest_times == ()
    assert schedule(parse("0 9 * * 1-5")).runs_per_day == pytest.approx(5 / 7, abs=5 / 1461)


def test_times_on() -> None:
    cron = parse("*/20 9,17 * * MON")
    assert cron.times_on(datetime.date(2027, 1, 4)) == [540, 560, 580, 1020, 1040, 1060]
    assert cron.times_on(datetime.date(2027, 1, 5)) == []
    assert parse("0 22-2 * * *").times_on(datetime.date(2027, 1, 5)) == [0, 60, 120, 1320, 1380]
    assert parse("50-10/10 0 * * *").times_on(datetime.date(2027, 1, 5)) == [0, 10, 50]


D = datetime.date
FIRES = [
    # The last Friday: January 2027 ends on a Sunday, July on a Saturday, April on a Friday.
    ("0 18 * * 6L", D(2027, 1, 29), True),
    ("0 18 * * 6L", D(2027, 1, 22), False),
    ("0 18 * * 6L", D(2027, 1, 31), False),
    ("0 18 * * 6L", D(2027, 4, 30), True),
    ("0 18 * * 6L", D(2027, 7, 30), True),
    # The last weekday: a Sunday or Saturday month end moves back to the Friday.
    ("59 23 LW * *", D(2027, 1, 29), True),
    ("59 23 LW * *", D(2027, 1, 31), False),
    ("59 23 LW * *", D(2027, 2, 26), True),
    ("59 23 LW * *", D(2027, 3, 31), True),
    ("59 23 LW * *", D(2027, 7, 30), True),
    ("59 23 LW * *", D(2027, 7, 31), False),
    ("59 23 LW * *", D(2028, 2, 29), True),
    # 15W: the 15th of May 2027 is a Saturday (Friday the 14th), of August 2027 a Sunday
    # (Monday the 16th), of January 2027 a Friday.
    ("0 0 15W * *", D(2027, 5, 14), True),
    ("0 0 15W * *", D(2027, 5, 15), False),
    ("0 0 15W * *", D(2027, 8, 16), True),
    ("0 0 15W * *", D(2027, 8, 15), False),
    ("0 0 15W * *", D(2027, 1, 15), True),
    # 1W does not leave the month: May 2027 starts on a Saturday, August on a Sunday.
    ("0 0 1W * *", D(2027, 5, 3), True),
    ("0 0 1W * *", D(2027, 5, 1), False),
    ("0 0 1W * *", D(2027, 8, 2), True),
    # 31W: October 2027 ends on a Sunday (Friday the 29th). In a 30-day month saffron places the
    # missing 31st where the calendar would: April 2027's "31st" is a Saturday, so Friday the 30th;
    # June 2027's is a Thursday, which is not in June: no run.
    ("0 0 31W * *", D(2027, 10, 29), True),
    ("0 0 31W * *", D(2027, 4, 30), True),
    ("0 0 31W * *", D(2027, 6, 30), False),
    ("0 0 30W 2 *", D(2027, 2, 26), False),
    # L-n and L-nW: 28 January 2027 is a Thursday; 28 August 2027 a Saturday (Friday the 27th).
    ("0 0 L-3 * *", D(2027, 1, 28), True),
    ("0 0 L-3W * *", D(2027, 1, 28), True),
    ("0 0 L-3W * *", D(2027, 8, 27), True),
    ("0 0 L-3W * *", D(2027, 8, 28), False),
    ("0 0 L-3W * *", D(2027, 8, 30), False),
    ("0 0 L-30 * *", D(2027, 1, 1), True),
    ("0 0 L-30 * *", D(2027, 2, 1), False),
    ("0 0 L-30W * *", D(2027, 5, 3), True),  # 1 May 2027 is a Saturday: Monday the 3rd
    # n#k and the lone `L` (Saturday).
    ("0 9 * * 2#1", D(2027, 2, 1), True),
    ("0 9 * * 2#1", D(2027, 2, 8), False),
    ("0 9 * * FRI#5", D(2027, 1, 29), True),
    ("0 9 * * FRI#5", D(2027, 2, 26), False),
    ("0 9 * * L", D(2027, 1, 2), True),
    ("0 9 * * L", D(2027, 1, 3), False),
    # Months, and either day field when both are restricted.
    ("0 0 * JAN *", D(2027, 2, 1), False),
    ("0 0 1 * MON", D(2027, 1, 1), True),
    ("0 0 1 * MON", D(2027, 1, 4), True),
    ("0 0 1 * MON", D(2027, 1, 5), False),
    ("0 0 1 FEB MON", D(2027, 1, 4), False),
    ("0 0 L * 6L", D(2027, 1, 29), True),
    ("0 0 L * 6L", D(2027, 1, 31), True),
    ("0 0 ? * *", D(2027, 1, 5), True),
]


@pytest.mark.parametrize(("expression", "day", "fires"), FIRES, ids=lambda v: str(v))
def test_fires_on(expression: str, day: datetime.date, fires: bool) -> None:
    assert parse(expression).fires_on(day) is fires


# POSIX cron (GitHub Actions): day-of-week 0-7 with 0 and 7 Sunday, translated to Cloudflare's
# 1 = Sunday ... 7 = Saturday.
POSIX_WEEKDAYS = [
    # POSIX field, Cloudflare day numbers, restricted
    ("*", set(R(1, 8)), False),
    ("*,1", set(R(1, 8)), False),
    ("0", {1}, True),
    ("7", {1}, True),
    ("1", {2}, True),
    ("6", {7}, True),
    ("1-5", {2, 3, 4, 5, 6}, True),
    ("MON-FRI", {2, 3, 4, 5, 6}, True),
    ("5-7", {6, 7, 1}, True),
    ("0-6", set(R(1, 8)), True),
    ("0-7", set(R(1, 8)), True),
    ("*/2", {1, 3, 5, 7}, True),
    ("1/2", {2, 4, 6}, True),
    ("1-5/2", {2, 4, 6}, True),
    ("0,6", {1, 7}, True),
    ("SAT,SUN", {7, 1}, True),
    ("sun-2", {1, 2, 3}, True),
]


@pytest.mark.parametrize(("field", "days", "restricted"), POSIX_WEEKDAYS,
                         ids=[row[0] for row in POSIX_WEEKDAYS])
def test_posix_weekday_translation(field: str, days: set[int], restricted: bool) -> None:
    cron = parse(f"0 9 * * {field}", dialect="posix")
    assert cron.text == f"0 9 * * {field}"
    assert cron.day_of_week.text == field
    assert cron.day_of_week.values == days
    assert cron.day_of_week.restricted is restricted
    # Translated to names, the field has nothing left to read two ways.
    assert cron.numeric_weekdays == ()
    assert weekday_readings(cron) is None


def test_posix_and_cloudflare_read_numbers_differently() -> None:
    sunday, monday = D(2027, 1, 3), D(2027, 1, 4)
    posix, cloudflare = parse("0 9 * * 1-5", dialect="posix"), parse("0 9 * * 1-5")
    assert (posix.fires_on(sunday), posix.fires_on(monday)) == (False, True)
    assert (cloudflare.fires_on(sunday), cloudflare.fires_on(monday)) == (True, True)
    assert not cloudflare.fires_on(D(2027, 1, 8)) and posix.fires_on(D(2027, 1, 8))  # a Friday
    # The other fields mean the same in both.
    assert parse("*/5 1,2 3-9 JAN *", dialect="posix").fields[:4] == parse("*/5 1,2 3-9 JAN *").fields[:4]


@pytest.mark.parametrize("expression", [
    # GitHub's workflow validator's own valid cases (actions/languageservices).
    "0 0 * * *", "0 000 001 * *", "15 * * * *", "2,10 4,5 * * *", "30 4-6 * * *", "0 4-4 * * *",
    "20/15 * * * *", "28 */4 * * *", "28 5,*/4,6-8 * * *", "0 0 * * SUN", "0 0 * * SUN-TUE",
    "0 0 * * SUN-2", "0 2-4/5 * * *", "0   0  *  *               *",
    "0 0 * JUL WED", "0 0 * jul-dec mon", "0 0 * * 7",
])
def test_posix_valid(expression: str) -> None:
    parse(expression, dialect="posix")


POSIX_INVALID = [
    ("0 0 L * *", "day-of-month `L` is a Quartz form that Cloudflare accepts but POSIX cron "
                  "(GitHub Actions) does not"),
    ("0 0 LW * *", "day-of-month `LW` is a Quartz form"),
    ("0 0 L-3 * *", "day-of-month `L-3` has `L`, a Quartz form"),
    ("0 0 15W * *", "day-of-month `15W` has `W`, a Quartz form"),
    ("0 0 * * 5L", "day-of-week `5L` has `L`, a Quartz form"),
    ("0 0 * * FRIL", "day-of-week `FRIL` is a Quartz form"),
    ("0 0 * * MON,FRIL", "day-of-week `MON,FRIL` has `FRIL`, a Quartz form"),
    ("0 0 * * 5#2", "day-of-week `5#2` has `#`, a Quartz form"),
    ("0 0 * * ?", "day-of-week `?` is a Quartz form that Cloudflare accepts but POSIX cron "
                  "(GitHub Actions) does not; write `*`"),
    ("0 0 ? * MON", "day-of-month `?` is a Quartz form"),
    ("0 0 * * 8", "day-of-week value `8` is out of range 0-7"),
    ("0 0 * * FRI-MON", "day-of-week range `FRI-MON` runs backwards; POSIX cron does not wrap "
                        "around (GitHub rejects it): write it as two ranges"),
    ("0 22-2 * * *", "hour range `22-2` runs backwards"),
    ("50-10 * * * *", "minute range `50-10` runs backwards"),
    ("0 0 * 11-2 *", "month range `11-2` runs backwards"),
    ("0 0 * * 6-1/2", "day-of-week range `6-1/2` runs backwards"),
    ("0 0 * * Monday", "day-of-week name `Monday` is unknown (use `SUN` to `SAT`)"),
    ("0 0 * * 1%", "day-of-week `1%` has `%`, which POSIX cron does not allow in that field"),
    ("@daily", "`@daily` shortcuts are not supported"),
    ("0 0 9 * * MON", "it has 6 fields, not 5"),
]


@pytest.mark.parametrize(("expression", "reason"), POSIX_INVALID, ids=lambda v: str(v)[:40])
def test_posix_invalid(expression: str, reason: str) -> None:
    with pytest.raises(CronError) as caught:
        parse(expression, dialect="posix")
    assert caught.value.message.startswith(f"cron `{expression}` is invalid: ")
    assert reason in caught.value.reason


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="unknown cron dialect 'quartz'"):
        parse("0 0 * * *", dialect="quartz")  # type: ignore[arg-type]


# Differential test against croniter, which reads POSIX cron: day-of-week 0 (or 7) = Sunday.
# A Cloudflare expression goes through `croniter_weekdays` first; a POSIX one goes as written.
#
# Where croniter's semantics differ from Cloudflare's (saffron's), the forms stay out of the
# pools below, on purpose:
# - croniter combines day-of-month and day-of-week with OR only for plain values: with `#` or
#   `W` (and `L`) it keeps an intersection. So the L/W/# forms are tested only with the other
#   day field `*` or `?`.
# - croniter has no `L-n`, `LW` or `L-nW`; those are covered by the hand-computed cases above.
# - `29W`-`31W`: croniter moves a missing day to the month's last day, saffron places it where
#   the calendar would (see `_nearest_weekday`); the pool stops at `28W`.
# - croniter reads an equal range (`5-5`) as the whole cycle, starts a stepped wrap-around
#   (`22-2/3`) over again after the wrap, and turns a day field that lists every value into `*`
#   when the other one contains a `*` (then intersects). None of these is in the pools.
DOMS = ["*", "?", "1", "15", "29", "30", "31", "1-7", "10-20", "1,15,31", "*/2", "3/10", "1-31/7",
        "25-5", "L", "1W", "15W", "28W"]
MONTHS = ["*", "2", "FEB", "1-6", "*/3", "JAN,JUL", "11-2", "2-3,12", "jun-aug"]
DOWS = ["*", "?", "1", "7", "2-6", "MON-FRI", "MON-5", "1,7", "*/2", "2/3", "6-2", "7-1", "6L",
        "friL", "2#1", "MON#5", "7#4", "L", "sun"]
RULES = re.compile(r"[LW#]", re.IGNORECASE)


def croniter_weekdays(field: str) -> str:
    """A Cloudflare day-of-week field in croniter's numbers (POSIX: 0 = Sunday ... 6 = Saturday)."""
    def day(token: str) -> int:  # 0 = Sunday, from a Cloudflare number or a name
        return int(token) - 1 if token.isdigit() else DAY_NAMES.index(token.upper())

    items: list[str] = []
    for item in field.split(","):
        if item in ("*", "?"):
            items.append("*")
        elif item.upper() == "L":  # Cloudflare's lone `L` is Saturday
            items.append("6")
        elif item.upper().endswith("L"):  # `6L`, `friL`: croniter writes the last Friday `L5`
            items.append(f"L{day(item[:-1])}")
        elif "#" in item:
            weekday, nth = item.split("#")
            items.append(f"{day(weekday)}#{nth}")
        else:  # values, ranges and steps: shift the numbers before the step, keep the names
            head, slash, step = item.partition("/")
            items.append(re.sub(r"\d+", lambda m: str(int(m.group()) - 1), head) + slash + step)
    return ",".join(items)


DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@pytest.mark.parametrize(("cloudflare", "posix"), [
    ("1", "0"), ("7", "6"), ("1-5", "0-4"), ("2-6", "1-5"), ("MON-5", "MON-4"), ("MON-FRI", "MON-FRI"),
    ("1,7", "0,6"), ("*/2", "*/2"), ("2/3", "1/3"), ("1-7/2", "0-6/2"), ("6-2", "5-1"), ("7-1", "6-0"),
    ("6L", "L5"), ("friL", "L5"), ("L", "6"), ("2#1", "1#1"), ("MON#5", "1#5"), ("*", "*"), ("?", "*"),
])
def test_croniter_weekdays(cloudflare: str, posix: str) -> None:
    assert croniter_weekdays(cloudflare) == posix
    # The translation names the same days: Cloudflare's numbers and POSIX's agree through names
    # (wrapping ranges aside, which our POSIX reading rejects as GitHub does).
    plain = not RULES.search(cloudflare) and cloudflare not in ("*", "?", "6-2", "7-1")
    if plain:
        assert parse(f"0 0 * * {cloudflare}").day_of_week.values == \
            parse(f"0 0 * * {posix}", dialect="posix").day_of_week.values


def _comparable(dom: str, dow: str) -> bool:
    restricted = dom not in ("*", "?") and dow not in ("*", "?")
    return not (restricted and (RULES.search(dom) or RULES.search(dow)))


_pick = random.Random(20270101)
CLOUDFLARE_DAYS = [
    "0 0 L * *", "0 0 * * 6L", "0 0 15W * *", "0 0 1W * *", "0 0 28W FEB *", "0 0 * * 2#1",
    "0 0 * * MON#5", "0 0 1 * MON", "0 0 1,15 * 1-5", "0 0 31 * 7", "0 0 29 2 *", "0 0 ? * 7-1",
    *_pick.sample([f"0 0 {dom} {month} {dow}" for dom in DOMS for month in MONTHS for dow in DOWS
                   if _comparable(dom, dow)], 110),
]
POSIX_DAYS = [
    "0 9 * * 1-5", "0 9 * * 0", "0 9 * * 7", "0 9 * * 5-7", "0 9 1 * 1",
    *_pick.sample([f"0 0 {dom} {month} {dow}"
                   for dom in ["*", "1", "15", "31", "1-7", "*/2", "10-20", "1,15"]
                   for month in ["*", "2", "1-6", "*/3", "JAN,JUL"]
                   for dow in ["*", "0", "7", "1-5", "MON-FRI", "5-7", "*/2", "1/2", "1-5/2", "0,6",
                               "SAT,SUN", "sun-2", "3"]], 60),
]
FIRST, LAST = D(2027, 1, 1), D(2028, 12, 31)  # two years, 29 February 2028 among them


def croniter_days(expression: str) -> set[datetime.date]:
    croniter = pytest.importorskip("croniter", reason="croniter (the `test` extra) is the oracle")
    runs = croniter.croniter(expression, datetime.datetime(2026, 12, 31, 23, 59))
    days: set[datetime.date] = set()
    try:
        while (day := runs.get_next(datetime.datetime).date()) <= LAST:
            days.add(day)
    except croniter.CroniterBadDateError:  # it never fires (`0 0 30 2 *`)
        pass
    return days


def our_days(expression: str, dialect: str) -> set[datetime.date]:
    cron = parse(expression, dialect=dialect)  # type: ignore[arg-type]
    days = (FIRST + datetime.timedelta(days=n) for n in range((LAST - FIRST).days + 1))
    return {day for day in days if cron.fires_on(day)}


@pytest.mark.parametrize("expression", CLOUDFLARE_DAYS)
def test_days_match_croniter(expression: str) -> None:
    minute, hour, dom, month, dow = expression.split()
    posix = " ".join([minute, hour, dom, month, croniter_weekdays(dow)])
    assert our_days(expression, "cloudflare") == croniter_days(posix)


@pytest.mark.parametrize("expression", POSIX_DAYS)
def test_posix_days_match_croniter(expression: str) -> None:
    assert our_days(expression, "posix") == croniter_days(expression)


MINUTES = ["0", "*/15", "5/20", "0,30", "10-20", "50-10", "*/7", "59", "*", "1-59/29"]
HOURS = ["*", "9", "9-17", "22-2", "*/6", "0,12", "3/5", "23"]


@pytest.mark.parametrize("expression", [f"{m} {h} * * *" for m in MINUTES for h in HOURS])
def test_times_match_croniter(expression: str) -> None:
    croniter = pytest.importorskip("croniter", reason="croniter (the `test` extra) is the oracle")
    day = D(2027, 3, 3)
    runs = croniter.croniter(expression, datetime.datetime(2027, 3, 2, 23, 59))
    times: list[int] = []
    while (run := runs.get_next(datetime.datetime)).date() == day:
        times.append(run.hour * 60 + run.minute)
    assert parse(expression).times_on(day) == times
