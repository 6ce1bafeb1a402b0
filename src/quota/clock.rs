//! Local calendar boundaries (midnight, the first of the month) for budgets
//! and reports, from the C library's time zone rules (no date crate).

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The local broken-down time of `t`.
fn local(t: i64) -> libc::tm {
    // SAFETY: `tm` is plain data; localtime_r only writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let time = t as libc::time_t;
    // SAFETY: both pointers are valid for the call; localtime_r is re-entrant.
    unsafe { libc::localtime_r(&time, &mut tm) };
    tm
}

/// The Unix time of a local date and time (normalising out-of-range fields,
/// so day 32 is the next month's first), letting the C library pick DST.
fn make(mut tm: libc::tm) -> i64 {
    tm.tm_isdst = -1;
    // SAFETY: `tm` is a valid, initialised struct owned by this frame.
    unsafe { libc::mktime(&mut tm) as i64 }
}

/// Local midnight `days` days after the day holding `t` (0: that day's).
fn midnight(t: i64, days: i32) -> i64 {
    let mut tm = local(t);
    tm.tm_hour = 0;
    tm.tm_min = 0;
    tm.tm_sec = 0;
    tm.tm_mday += days;
    make(tm)
}

/// Local midnight that starts the day holding `t`.
pub fn day_start(t: i64) -> i64 {
    midnight(t, 0)
}

/// Local midnight that ends the day holding `t`.
pub fn next_day_start(t: i64) -> i64 {
    midnight(t, 1)
}

/// The first of the month holding `t` plus `months`, at local midnight.
fn first_of_month(t: i64, months: i32) -> i64 {
    let mut tm = local(t);
    tm.tm_hour = 0;
    tm.tm_min = 0;
    tm.tm_sec = 0;
    tm.tm_mday = 1;
    tm.tm_mon += months;
    make(tm)
}

/// Local midnight of the first of the month holding `t`.
pub fn month_start(t: i64) -> i64 {
    first_of_month(t, 0)
}

/// Local midnight of the first of the month after the one holding `t`.
pub fn next_month_start(t: i64) -> i64 {
    first_of_month(t, 1)
}

/// The local time zone's offset from UTC at `t`, in seconds (east positive).
pub fn utc_offset(t: i64) -> i64 {
    local(t).tm_gmtoff
}

/// Local midnight of a `YYYY-MM-DD` date; `None` when it is not one.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: i32 = parts.next()?.parse().ok()?;
    let day: i32 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    let days_in_month = match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day > days_in_month {
        return None;
    }
    let mut tm = local(0);
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = 0;
    tm.tm_min = 0;
    tm.tm_sec = 0;
    Some(make(tm))
}

/// The local date of `t` as `YYYY-MM-DD`.
pub fn format_date(t: i64) -> String {
    let tm = local(t);
    format!(
        "{:04}-{:02}-{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_hold_the_time_they_bound() {
        let t = now();
        assert!(day_start(t) <= t && t < next_day_start(t));
        assert!(month_start(t) <= day_start(t) && next_day_start(t) <= next_month_start(t));
        // A day is 23 to 25 hours (DST); a month 28 to 31 days.
        let day = next_day_start(t) - day_start(t);
        assert!((23 * 3600..=25 * 3600).contains(&day), "{day}");
        let month = next_month_start(t) - month_start(t);
        assert!((28 * 86400 - 3600..=31 * 86400 + 3600).contains(&month));
    }

    #[test]
    fn dates_round_trip_and_bad_ones_are_refused() {
        let t = parse_date("2026-11-25").unwrap();
        assert_eq!(format_date(t), "2026-11-25");
        assert_eq!(day_start(t), t);
        assert_eq!(format_date(month_start(t)), "2026-11-01");
        assert_eq!(format_date(next_month_start(t)), "2026-12-01");
        assert_eq!(format_date(parse_date("2024-02-29").unwrap()), "2024-02-29");
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30",
            "2025-02-29",
            "yesterday",
            "2026-1",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
