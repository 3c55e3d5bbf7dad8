"""Time windows of the week, for the RDS and AWS Backup rules the config must satisfy before a deploy (BAK-2, BAK-3).

RDS refuses a backup window or a maintenance window under 30 minutes, and a backup window that overlaps the
maintenance window (CreateDBInstance `PreferredBackupWindow` / `PreferredMaintenanceWindow` constraints). AWS Backup
does not start a backup of an RDS database within one hour before, or during, its maintenance window (AWS Backup
Developer Guide, "Backup plan options and configuration"), so a tier whose start window falls there silently skips
that run. Everything here is minutes of a week (0 = Monday 00:00 UTC), so windows that wrap past midnight or past
Sunday are handled by one rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from config import limits

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WeekWindow:
    """[start, start + minutes) in minutes of the week, possibly wrapping past Sunday midnight."""

    start: int
    minutes: int

    def minute_set(self) -> set[int]:
        return {(self.start + offset) % MINUTES_PER_WEEK for offset in range(self.minutes)}

    def overlaps(self, other: WeekWindow) -> bool:
        return not self.minute_set().isdisjoint(other.minute_set())

    def widened_before(self, minutes: int) -> WeekWindow:
        return WeekWindow((self.start - minutes) % MINUTES_PER_WEEK, self.minutes + minutes)


def _minute_of_day(hh_mm: str) -> int:
    hour, minute = (int(part) for part in hh_mm.split(":"))
    return hour * 60 + minute


def daily_window_minutes(window: str) -> tuple[int, int]:
    """`hh24:mi-hh24:mi` (UTC) as (start minute of the day, length in minutes); a window may wrap past midnight."""
    start_text, end_text = window.split("-")
    start, end = _minute_of_day(start_text), _minute_of_day(end_text)
    return start, (end - start) % MINUTES_PER_DAY


def weekly_window(window: str) -> WeekWindow:
    """`ddd:hh24:mi-ddd:hh24:mi` (UTC) as a WeekWindow."""
    start_text, end_text = window.split("-")
    start_day, start_time = start_text.split(":", 1)
    end_day, end_time = end_text.split(":", 1)
    start = WEEKDAYS.index(start_day) * MINUTES_PER_DAY + _minute_of_day(start_time)
    end = WEEKDAYS.index(end_day) * MINUTES_PER_DAY + _minute_of_day(end_time)
    return WeekWindow(start, (end - start) % MINUTES_PER_WEEK)


def every_day(start_minute: int, minutes: int, weekdays: Iterable[str] = WEEKDAYS) -> list[WeekWindow]:
    """A daily window on each of `weekdays`, as week windows."""
    return [WeekWindow(WEEKDAYS.index(day) * MINUTES_PER_DAY + start_minute, minutes) for day in weekdays]


def backup_start_blocked_by(maintenance: WeekWindow) -> WeekWindow:
    """When AWS Backup will not start an RDS backup: the maintenance window and the hour before it."""
    return maintenance.widened_before(limits.BACKUP_RDS_MAINTENANCE_MARGIN_MINUTES)
