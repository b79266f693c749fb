//! Calendar dates as days since 1970-01-01 (proleptic Gregorian, UTC), without a date crate:
//! Howard Hinnant's civil algorithms. One copy, shared by the loaders, the generator and the
//! classroom grouping.

/// Days from 1970-01-01 to a date; `month` is 1..=12 and `day` valid for it (see [`parse_ymd`]).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = ((month + 9) % 12) as i64; // March = 0
    let doy = (153 * mp + 2) / 5 + day as i64 - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of a day count from [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Exactly `n` ASCII digits as a number.
pub(crate) fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// `YYYY-MM-DD`, strictly (two-digit month and day, a real calendar day), as days since the
/// epoch.
pub fn parse_ymd(s: &str) -> Option<i64> {
    let (y, rest) = s.split_once('-')?;
    let (m, d) = rest.split_once('-')?;
    let (year, month, day) = (digits(y, 4)? as i64, digits(m, 2)?, digits(d, 2)?);
    if !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // A day past the month's end rolls over into the next month: the round trip catches it.
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

/// `YYYY-MM-DD` for a day count.
pub fn format_days(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday).
pub fn weekday(days: i64) -> u32 {
    (days + 3).rem_euclid(7) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_leap_years_and_rejects_impossible_dates() {
        assert_eq!(parse_ymd("1970-01-01"), Some(0));
        assert_eq!(parse_ymd("1969-12-31"), Some(-1));
        assert_eq!(parse_ymd("2000-03-01").map(|d| d * 86_400), Some(951_868_800));
        for ok in ["2024-02-29", "2000-02-29", "2025-09-01", "1900-03-01"] {
            assert_eq!(format_days(parse_ymd(ok).unwrap()), ok);
        }
        assert_eq!(weekday(parse_ymd("2025-09-01").unwrap()), 0, "a Monday");
        for bad in ["1900-02-29", "2025-02-29", "2025-04-31", "2025-13-01", "2025-00-10", "2025-9-01", "20250901", "2025-09-01-1", ""] {
            assert_eq!(parse_ymd(bad), None, "{bad}");
        }
    }
}
