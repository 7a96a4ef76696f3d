//! Send times: `at HH:MM` (the earliest instant at or after the as-of time whose local
//! time is HH:MM:00) and channel windows (a time outside moves to the next opening).
//!
//! Local times are resolved in the playbook's zone with jiff's "compatible" rule: a
//! local time that falls in a gap (clocks jump forward) moves forward by the length of
//! the gap, and one that occurs twice (clocks fall back) takes the earlier instant.

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::compile::DayWindow;

/// The local time of day of an instant, in whole seconds since midnight.
pub(crate) fn second_of_day(zone: &TimeZone, at: Timestamp) -> u32 {
    let time = zone.to_datetime(at).time();
    time.hour() as u32 * 3600 + time.minute() as u32 * 60 + time.second() as u32
}

/// The earliest instant at or after `from` whose local time is `second_of_day`
/// (a whole minute); `None` only at the ends of the supported range.
pub(crate) fn next_local_time(
    zone: &TimeZone,
    from: Timestamp,
    second_of_day: u32,
) -> Option<Timestamp> {
    let hour = i8::try_from(second_of_day / 3600).ok()?;
    let minute = i8::try_from((second_of_day / 60) % 60).ok()?;
    let mut date = zone.to_datetime(from).date();
    // A local time may be skipped on one day (a gap); three days always suffice.
    for _ in 0..3 {
        let local = date.at(hour, minute, 0, 0);
        let instant = zone.to_ambiguous_timestamp(local).compatible().ok()?;
        if instant >= from {
            return Some(instant);
        }
        date = date.tomorrow().ok()?;
    }
    None
}

/// `at` first, then the window: where a touch planned from `as_of` lands.
pub(crate) fn send_time(
    zone: &TimeZone,
    as_of: Timestamp,
    at: Option<u32>,
    window: Option<DayWindow>,
) -> Option<Timestamp> {
    let mut time = match at {
        Some(second) => next_local_time(zone, as_of, second)?,
        None => as_of,
    };
    if let Some(window) = window {
        if !window.contains(second_of_day(zone, time)) {
            time = next_local_time(zone, time, window.start)?;
        }
    }
    Some(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn plus8() -> TimeZone {
        TimeZone::fixed(jiff::tz::offset(8))
    }

    const fn hm(hour: u32, minute: u32) -> u32 {
        hour * 3600 + minute * 60
    }

    #[test]
    fn at_later_today_or_tomorrow_when_past() {
        let zone = plus8();
        let t = at("2026-11-25T09:00:00+08:00");
        assert_eq!(
            send_time(&zone, t, Some(hm(19, 0)), None),
            Some(at("2026-11-25T19:00:00+08:00"))
        );
        assert_eq!(
            send_time(&zone, t, Some(hm(8, 0)), None),
            Some(at("2026-11-26T08:00:00+08:00"))
        );
        assert_eq!(send_time(&zone, t, Some(hm(9, 0)), None), Some(t));
    }

    #[test]
    fn windows_include_the_start_exclude_the_end_and_cross_midnight() {
        let zone = plus8();
        let day = DayWindow::new(hm(10, 0), hm(21, 0));
        let t = at("2026-11-25T09:00:00+08:00");
        assert_eq!(
            send_time(&zone, t, None, Some(day)),
            Some(at("2026-11-25T10:00:00+08:00"))
        );
        let t = at("2026-11-25T21:00:00+08:00");
        assert_eq!(
            send_time(&zone, t, None, Some(day)),
            Some(at("2026-11-26T10:00:00+08:00"))
        );
        let night = DayWindow::new(hm(22, 0), hm(2, 0));
        let t = at("2026-11-25T01:30:00+08:00");
        assert_eq!(send_time(&zone, t, None, Some(night)), Some(t));
        let t = at("2026-11-25T02:00:00+08:00");
        assert_eq!(
            send_time(&zone, t, None, Some(night)),
            Some(at("2026-11-25T22:00:00+08:00"))
        );
        let to_midnight = DayWindow::new(hm(20, 0), 0);
        let t = at("2026-11-25T23:59:00+08:00");
        assert_eq!(send_time(&zone, t, None, Some(to_midnight)), Some(t));
    }

    #[test]
    fn gaps_move_forward_and_repeated_times_take_the_earlier_instant() {
        let zone = TimeZone::get("America/New_York").unwrap();
        // 2026-03-08 02:30 does not exist in New York; it becomes 03:30 EDT.
        let t = at("2026-03-08T00:00:00-05:00");
        assert_eq!(
            next_local_time(&zone, t, hm(2, 30)),
            Some(at("2026-03-08T03:30:00-04:00"))
        );
        // 2026-11-01 01:30 happens twice; the first (EDT) is taken.
        let t = at("2026-11-01T00:00:00-04:00");
        assert_eq!(
            next_local_time(&zone, t, hm(1, 30)),
            Some(at("2026-11-01T01:30:00-04:00"))
        );
    }
}
