//! Time as Teller stores it: whole seconds since the Unix epoch, UTC — the
//! same on both backends and in everything hashed.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in whole seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A TOML offset date-time as Unix seconds; local times (no offset) are refused.
pub fn from_toml(dt: &toml::value::Datetime) -> Result<i64, String> {
    let (Some(date), Some(time)) = (dt.date, dt.time) else {
        return Err(format!("{dt} needs both a date and a time"));
    };
    let offset_minutes = match dt.offset {
        Some(toml::value::Offset::Z) => 0,
        Some(toml::value::Offset::Custom { minutes }) => i64::from(minutes),
        None => {
            return Err(format!(
                "{dt} has no time zone; write it with one, for example {dt}Z for UTC or {dt}+01:00"
            ))
        }
    };
    let days = days_from_civil(i64::from(date.year), u32::from(date.month), u32::from(date.day));
    Ok(
        days * 86_400 + i64::from(time.hour) * 3600 + i64::from(time.minute) * 60 + i64::from(time.second)
            - offset_minutes * 60,
    )
}

/// A time typed in a form: `2026-12-15T17:00` (as a browser's date-time
/// field sends it, read as UTC), `2026-12-15 17:00`, or with seconds and a
/// zone such as `2026-12-15T17:00:00+01:00`.
pub fn parse_form(text: &str) -> Option<i64> {
    let t = text.trim().replacen(' ', "T", 1);
    let with_zone = if t.ends_with('Z') || t.rfind(['+', '-']).is_some_and(|i| i > 10) {
        t
    } else if t.len() == 16 {
        format!("{t}:00Z")
    } else {
        format!("{t}Z")
    };
    with_zone
        .parse::<toml::value::Datetime>()
        .ok()
        .and_then(|dt| from_toml(&dt).ok())
}

/// `2026-12-15T17:00`, the value a browser's date-time field takes (UTC).
pub fn format_form(t: i64) -> String {
    format_rfc3339(t)[..16].to_string()
}

/// When voting closes, for members: "Voting closes 2026-12-12 17:00 UTC: 2
/// days and 3 hours from now." (`None` when no closing time is set.)
pub fn closing_text(closes_at: Option<i64>, now: i64) -> Option<String> {
    let at = closes_at?;
    let left = (at - now).max(0);
    let (days, hours, minutes) = (left / 86_400, left % 86_400 / 3600, left % 3600 / 60);
    let n = |v: i64, one: &str, many: &str| crate::text::count(v.max(0) as u64, one, many);
    let remaining = if days > 0 {
        format!("{} and {}", n(days, "day", "days"), n(hours, "hour", "hours"))
    } else if hours > 0 {
        format!("{} and {}", n(hours, "hour", "hours"), n(minutes, "minute", "minutes"))
    } else {
        n(minutes.max(1), "minute", "minutes")
    };
    Some(format!("Voting closes {}: {remaining} from now.", format(at)))
}

/// `2026-12-01 09:00 UTC`.
pub fn format(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

/// `2026-12-01T09:00:00Z`.
pub fn format_rfc3339(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_left_in_words() {
        let at = 1_765_558_800; // 2025-12-12 17:00 UTC
        assert_eq!(closing_text(None, at), None);
        assert_eq!(
            closing_text(Some(at), at - 2 * 86_400 - 3 * 3600).unwrap(),
            "Voting closes 2025-12-12 17:00 UTC: 2 days and 3 hours from now."
        );
        assert!(closing_text(Some(at), at - 3600 - 60)
            .unwrap()
            .ends_with(": 1 hour and 1 minute from now."));
        assert!(closing_text(Some(at), at - 30)
            .unwrap()
            .ends_with(": 1 minute from now."));
    }

    #[test]
    fn civil_dates_round_trip_and_match_known_instants() {
        let dt: toml::value::Datetime = "2026-12-01T09:00:00Z".parse().unwrap();
        assert_eq!(from_toml(&dt).unwrap(), 1_796_115_600);
        assert_eq!(format(1_796_115_600), "2026-12-01 09:00 UTC");
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        let plus: toml::value::Datetime = "2026-12-01T10:30:00+01:30".parse().unwrap();
        assert_eq!(from_toml(&plus).unwrap(), 1_796_115_600);
        for t in [-86_400 * 400, 951_782_400, 4_102_444_800] {
            assert_eq!(
                format_rfc3339(t)
                    .parse::<toml::value::Datetime>()
                    .map(|d| from_toml(&d).unwrap())
                    .unwrap(),
                t
            );
        }
    }

    #[test]
    fn local_times_are_refused() {
        let dt: toml::value::Datetime = "2026-12-01T09:00:00".parse().unwrap();
        assert!(from_toml(&dt).unwrap_err().contains("time zone"));
    }
}
