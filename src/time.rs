//! Time as Teller stores it: whole seconds since the Unix epoch, UTC — the
//! same on both backends and in everything hashed — and as people read it:
//! in the election's time zone ([`Zone`], [`LocalTime`]).
//!
//! Every local time members and staff see is made here, as structured parts
//! (weekday, day, month, year, hh:mm, the zone's name and abbreviation, what
//! is left) with an `english()` rendering, so that another language can
//! render the same parts with its own words.

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;
use serde::Serialize;

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

/// Zones offered first in the election builder, with the name members read
/// ("Eastern time"). Any other IANA name is accepted too, and reads as its
/// city ("Rome time").
pub const COMMON_ZONES: &[(&str, &str)] = &[
    ("UTC", "UTC"),
    ("America/New_York", "Eastern time"),
    ("America/Chicago", "Central time"),
    ("America/Denver", "Mountain time"),
    ("America/Phoenix", "Arizona time"),
    ("America/Los_Angeles", "Pacific time"),
    ("America/Anchorage", "Alaska time"),
    ("Pacific/Honolulu", "Hawaii time"),
    ("America/Halifax", "Atlantic time"),
    ("America/St_Johns", "Newfoundland time"),
    ("America/Puerto_Rico", "Atlantic time"),
    ("America/Toronto", "Eastern time"),
    ("America/Winnipeg", "Central time"),
    ("America/Edmonton", "Mountain time"),
    ("America/Vancouver", "Pacific time"),
    ("America/Mexico_City", "Mexico City time"),
    ("America/Bogota", "Colombia time"),
    ("America/Lima", "Peru time"),
    ("America/Santiago", "Chile time"),
    ("America/Argentina/Buenos_Aires", "Argentina time"),
    ("America/Sao_Paulo", "Brasília time"),
    ("Europe/London", "UK time"),
    ("Europe/Dublin", "Irish time"),
    ("Europe/Lisbon", "Portugal time"),
    ("Europe/Madrid", "Spain time"),
    ("Europe/Paris", "Central European time"),
    ("Europe/Berlin", "Central European time"),
    ("Europe/Athens", "Eastern European time"),
    ("Africa/Lagos", "West Africa time"),
    ("Africa/Johannesburg", "South Africa time"),
    ("Africa/Nairobi", "East Africa time"),
    ("Asia/Kolkata", "India time"),
    ("Asia/Manila", "Philippine time"),
    ("Asia/Singapore", "Singapore time"),
    ("Asia/Tokyo", "Japan time"),
    ("Australia/Sydney", "Sydney time"),
    ("Pacific/Auckland", "New Zealand time"),
];

/// An election's time zone: an IANA name the bundled zone database knows
/// (the same database on every machine: `jiff`'s `tzdb-bundle-always`).
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl Default for Zone {
    fn default() -> Zone {
        Zone::utc()
    }
}

/// Why a local time typed for an election was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalTimeError {
    /// Not a date and time at all.
    Unreadable,
    /// The clocks skip this time (a daylight-saving gap).
    Skipped {
        /// The zone's name.
        zone: String,
        /// The time as typed, `2026-03-08 02:30`.
        typed: String,
    },
}

impl std::fmt::Display for LocalTimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocalTimeError::Unreadable => write!(f, "not a date and time"),
            LocalTimeError::Skipped { zone, typed } => write!(
                f,
                "{typed} does not exist in {zone}: the clocks go forward past it that night; choose a time outside the skipped hour"
            ),
        }
    }
}

impl Zone {
    /// Coordinated Universal Time, the default.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// The zone with this IANA name (as the database spells it, whatever
    /// the case typed), or why not.
    pub fn parse(name: &str) -> Result<Zone, String> {
        let name = name.trim();
        let refused = || {
            format!(
                "time zone {:?} is not known; use an IANA time zone name such as America/New_York, Europe/London or UTC",
                name.chars().take(64).collect::<String>()
            )
        };
        // Zone names are short; fixed offsets and POSIX rules are not names.
        if name.is_empty()
            || name.len() > 64
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
        {
            return Err(refused());
        }
        let tz = TimeZone::get(name).map_err(|_| refused())?;
        let canonical = tz.iana_name().unwrap_or(name).to_string();
        Ok(Zone { name: canonical, tz })
    }

    /// The IANA name, such as `America/New_York`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What members read: "Eastern time", or the city of a zone not in
    /// [`COMMON_ZONES`] ("Rome time").
    pub fn label(&self) -> String {
        if let Some((_, label)) = COMMON_ZONES.iter().find(|(n, _)| *n == self.name) {
            return (*label).to_string();
        }
        let city = self.name.rsplit('/').next().unwrap_or(&self.name).replace('_', " ");
        format!("{city} time")
    }

    fn datetime(&self, t: i64) -> DateTime {
        let ts = Timestamp::from_second(t).unwrap_or(Timestamp::UNIX_EPOCH);
        self.tz.to_datetime(ts)
    }

    /// The instant `t` on the election's clocks.
    pub fn local(&self, t: i64) -> LocalTime {
        let ts = Timestamp::from_second(t).unwrap_or(Timestamp::UNIX_EPOCH);
        let dt = self.tz.to_datetime(ts);
        let info = self.tz.to_offset_info(ts);
        let abbreviation = info.abbreviation();
        // Zones without a lettered abbreviation give the offset ("-03").
        let abbreviation = if abbreviation.starts_with(['+', '-']) {
            format!("UTC{abbreviation}")
        } else {
            abbreviation.to_string()
        };
        LocalTime {
            weekday: dt.weekday().to_monday_zero_offset() as u8,
            day: dt.day() as u8,
            month: dt.month() as u8,
            year: dt.year(),
            time: format!("{:02}:{:02}", dt.hour(), dt.minute()),
            zone: self.label(),
            abbreviation,
        }
    }

    /// `2026-12-15T17:00` on the election's clocks: the value of a browser's
    /// date-time field.
    pub fn format_form(&self, t: i64) -> String {
        let dt = self.datetime(t);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute()
        )
    }

    /// The instant a clock in this zone shows as `dt`. A time the clocks
    /// skip (the spring-forward gap) is refused; a time they show twice (the
    /// autumn fold) is the first of the two, the one still on summer time —
    /// written with an offset (`…T01:30-05:00`) it can be the second.
    pub fn instant(&self, dt: DateTime) -> Result<i64, LocalTimeError> {
        let offset = match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset,
            AmbiguousOffset::Fold { before, .. } => before,
            AmbiguousOffset::Gap { .. } => {
                return Err(LocalTimeError::Skipped {
                    zone: self.name.clone(),
                    typed: format!(
                        "{:04}-{:02}-{:02} {:02}:{:02}",
                        dt.year(),
                        dt.month(),
                        dt.day(),
                        dt.hour(),
                        dt.minute()
                    ),
                })
            }
        };
        offset
            .to_timestamp(dt)
            .map(|ts| ts.as_second())
            .map_err(|_| LocalTimeError::Unreadable)
    }

    /// A TOML date-time: with an offset it is that instant; without one
    /// (`2026-12-01T09:00:00`) it is read on this zone's clocks.
    pub fn from_toml(&self, dt: &toml::value::Datetime) -> Result<i64, String> {
        if dt.offset.is_some() {
            return from_toml(dt);
        }
        let (Some(date), Some(time)) = (dt.date, dt.time) else {
            return Err(format!("{dt} needs both a date and a time"));
        };
        let civil = DateTime::new(
            date.year as i16,
            date.month as i8,
            date.day as i8,
            time.hour as i8,
            time.minute as i8,
            time.second as i8,
            0,
        )
        .map_err(|_| format!("{dt} is not a date and time"))?;
        self.instant(civil).map_err(|e| format!("{dt}: {e}"))
    }

    /// A time typed in a form, on this zone's clocks: `2026-12-15T17:00` (as
    /// a browser's date-time field sends it), `2026-12-15 17:00`, with
    /// seconds, or with an explicit offset (`…T17:00:00+01:00`, `…Z`), which
    /// wins over the zone.
    pub fn parse_form(&self, text: &str) -> Result<i64, LocalTimeError> {
        let t = text.trim().replacen(' ', "T", 1);
        // `…T17:00` and `…T17:00-05:00` have no seconds, which TOML needs.
        let t = if t.len() >= 16 && t.is_char_boundary(16) && !t[16..].starts_with(':') {
            format!("{}:00{}", &t[..16], &t[16..])
        } else {
            t
        };
        let dt = t
            .parse::<toml::value::Datetime>()
            .map_err(|_| LocalTimeError::Unreadable)?;
        if dt.offset.is_some() {
            return from_toml(&dt).map_err(|_| LocalTimeError::Unreadable);
        }
        let (Some(date), Some(time)) = (dt.date, dt.time) else {
            return Err(LocalTimeError::Unreadable);
        };
        let civil = DateTime::new(
            date.year as i16,
            date.month as i8,
            date.day as i8,
            time.hour as i8,
            time.minute as i8,
            time.second as i8,
            0,
        )
        .map_err(|_| LocalTimeError::Unreadable)?;
        self.instant(civil)
    }
}

/// An instant as the election's clocks show it, in parts: the words are the
/// reader's language's ([`LocalTime::english`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalTime {
    /// 0 for Monday … 6 for Sunday.
    pub weekday: u8,
    /// Day of the month, 1–31.
    pub day: u8,
    /// 1 for January … 12 for December.
    pub month: u8,
    /// The year.
    pub year: i16,
    /// `17:00` (24-hour clock).
    pub time: String,
    /// The zone as members read it: "Eastern time".
    pub zone: String,
    /// The zone's abbreviation at that instant: "EST", "EDT", "UTC-03".
    pub abbreviation: String,
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl LocalTime {
    /// "Friday 12 December 2026".
    pub fn english_date(&self) -> String {
        format!(
            "{} {} {} {}",
            WEEKDAYS.get(usize::from(self.weekday)).unwrap_or(&""),
            self.day,
            MONTHS.get(usize::from(self.month).wrapping_sub(1)).unwrap_or(&""),
            self.year
        )
    }

    /// "Eastern time (EST)", or just "UTC".
    pub fn english_zone(&self) -> String {
        if self.zone == self.abbreviation {
            self.zone.clone()
        } else {
            format!("{} ({})", self.zone, self.abbreviation)
        }
    }

    /// "Friday 12 December 2026 at 17:00 Eastern time (EST)".
    pub fn english(&self) -> String {
        self.text(crate::i18n::Lang::En)
    }

    /// The time in `lang`: "Friday 12 December 2026 at 17:00 Eastern time
    /// (EST)", "viernes 12 de diciembre de 2026 a las 17:00 hora de New York
    /// (EST)" (weekday and month names from locales/*/teller.ftl).
    pub fn text(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::{text, Lang};
        let date = text(
            lang,
            "date-time",
            &[
                (
                    "weekday",
                    text(lang, &format!("weekday-{}", self.weekday + 1), &[]).into(),
                ),
                ("day", self.day.to_string().into()),
                ("month", text(lang, &format!("month-{}", self.month), &[]).into()),
                ("year", self.year.to_string().into()),
                ("time", self.time.clone().into()),
            ],
        );
        let zone = match lang {
            Lang::En => self.english_zone(),
            _ if self.zone == self.abbreviation => self.zone.clone(),
            _ => {
                let city = self.zone.trim_end_matches(" time");
                format!(
                    "{} ({})",
                    text(lang, "zone-city", &[("city", city.into())]),
                    self.abbreviation
                )
            }
        };
        format!("{date} {zone}")
    }

    /// "2026-12-12 17:00 EST", for staff's tables.
    pub fn short(&self) -> String {
        format!(
            "{:04}-{:02}-{:02} {} {}",
            self.year, self.month, self.day, self.time, self.abbreviation
        )
    }
}

/// Time left, in whole days, hours and minutes (rounded down; never less
/// than a minute while any is left).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Remaining {
    /// Whole days.
    pub days: i64,
    /// Hours after the days.
    pub hours: i64,
    /// Minutes after the hours.
    pub minutes: i64,
}

impl Remaining {
    /// From `now` until `at`.
    pub fn between(now: i64, at: i64) -> Remaining {
        let left = (at - now).max(0);
        Remaining {
            days: left / 86_400,
            hours: left % 86_400 / 3600,
            minutes: left % 3600 / 60,
        }
    }

    /// "2 days and 3 hours", "1 hour and 1 minute", "5 minutes": the two
    /// largest units.
    pub fn english(&self) -> String {
        self.text(crate::i18n::Lang::En)
    }

    /// [`Remaining::english`] in `lang`, with its plural rules.
    pub fn text(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::text;
        let n = |v: i64, key: &str| text(lang, key, &[("n", v.max(0).into())]);
        let and = |a: String, b: String| text(lang, "time-and", &[("a", a.into()), ("b", b.into())]);
        if self.days > 0 {
            and(n(self.days, "days"), n(self.hours, "hours"))
        } else if self.hours > 0 {
            and(n(self.hours, "hours"), n(self.minutes, "minutes"))
        } else {
            n(self.minutes.max(1), "minutes")
        }
    }
}

/// When voting closes, for members, in parts and in the page's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closing {
    /// The closing time on the election's clocks.
    pub at: LocalTime,
    /// What is left.
    pub left: Remaining,
    /// "Voting closes Friday 12 December 2026 at 17:00 Eastern time (EST):
    /// 2 days and 3 hours left."
    pub text: String,
}

/// When voting closes, for members (`None` when no closing time is set).
pub fn closing(closes_at: Option<i64>, zone: &Zone, now: i64) -> Option<Closing> {
    let at = closes_at?;
    let local = zone.local(at);
    let left = Remaining::between(now, at);
    let lang = crate::i18n::current();
    let text = crate::i18n::text(
        lang,
        "closes-left",
        &[("when", local.text(lang).into()), ("left", left.text(lang).into())],
    );
    Some(Closing { at: local, left, text })
}

/// [`closing`]'s sentence, in the page's language.
pub fn closing_text(closes_at: Option<i64>, zone: &Zone, now: i64) -> Option<String> {
    closing(closes_at, zone, now).map(|c| c.text)
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

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap()
    }

    fn at(zone: &Zone, text: &str) -> i64 {
        zone.parse_form(text).unwrap()
    }

    #[test]
    fn what_is_left_in_words() {
        let utc = Zone::utc();
        let at = 1_765_558_800; // 2025-12-12 17:00 UTC
        assert_eq!(closing_text(None, &utc, at), None);
        assert_eq!(
            closing_text(Some(at), &utc, at - 2 * 86_400 - 3 * 3600).unwrap(),
            "Voting closes Friday 12 December 2025 at 17:00 UTC: 2 days and 3 hours left."
        );
        assert!(closing_text(Some(at), &utc, at - 3600 - 60)
            .unwrap()
            .ends_with(": 1 hour and 1 minute left."));
        assert!(closing_text(Some(at), &utc, at - 30)
            .unwrap()
            .ends_with(": 1 minute left."));
    }

    #[test]
    fn closing_in_the_elections_zone_in_parts_and_in_english() {
        let ny = zone("America/New_York");
        let at = 1_765_576_800; // 2025-12-12 22:00 UTC = 17:00 EST
        let c = closing(Some(at), &ny, at - 2 * 86_400 - 3 * 3600 - 59).unwrap();
        assert_eq!(
            c.at,
            LocalTime {
                weekday: 4,
                day: 12,
                month: 12,
                year: 2025,
                time: "17:00".into(),
                zone: "Eastern time".into(),
                abbreviation: "EST".into(),
            }
        );
        assert_eq!(
            c.left,
            Remaining {
                days: 2,
                hours: 3,
                minutes: 0
            }
        );
        assert_eq!(
            c.text,
            "Voting closes Friday 12 December 2025 at 17:00 Eastern time (EST): 2 days and 3 hours left."
        );
        // Summer time shows its own abbreviation; zones without letters
        // show their offset; others read as their city.
        assert_eq!(
            ny.local(1_751_389_200).english(),
            "Tuesday 1 July 2025 at 13:00 Eastern time (EDT)"
        );
        assert_eq!(
            zone("America/Sao_Paulo").local(1_751_389_200).english(),
            "Tuesday 1 July 2025 at 14:00 Brasília time (UTC-03)"
        );
        assert_eq!(zone("Europe/Rome").label(), "Rome time");
    }

    #[test]
    fn zone_names_are_checked_and_spelled_as_the_database_does() {
        assert_eq!(zone("america/new_york").name(), "America/New_York");
        assert_eq!(zone("UTC"), Zone::utc());
        for bad in ["", "Mars/Olympus_Mons", "EST+5/../x", "+01:00", &"A".repeat(80)] {
            let e = Zone::parse(bad).unwrap_err();
            assert!(e.contains("not known"), "{bad}: {e}");
        }
    }

    #[test]
    fn local_times_across_daylight_saving() {
        let ny = zone("America/New_York");
        // Winter and summer: 5 and 4 hours behind UTC.
        assert_eq!(at(&ny, "2026-01-15T09:00"), 1_768_485_600);
        assert_eq!(at(&ny, "2026-07-15 09:00"), 1_784_120_400);
        // The spring-forward gap: 02:30 on 8 March 2026 never happens.
        let e = ny.parse_form("2026-03-08T02:30").unwrap_err();
        assert!(e.to_string().contains("does not exist in America/New_York"), "{e}");
        assert_eq!(at(&ny, "2026-03-08T03:00") - at(&ny, "2026-03-08T01:59"), 60);
        // The autumn fold: 01:30 on 1 November 2026 happens twice; the form
        // means the first (EDT), an explicit offset the second (EST).
        let first = at(&ny, "2026-11-01T01:30");
        let second = at(&ny, "2026-11-01T01:30-05:00");
        assert_eq!(second, at(&ny, "2026-11-01 06:30Z"));
        assert_eq!(second - first, 3600);
        assert_eq!(ny.local(first).abbreviation, "EDT");
        assert_eq!(ny.local(second).abbreviation, "EST");
        // What the form shows reads back as the same instant around both,
        // except the fold's second hour, which reads back as the first (the
        // builder keeps a stored time whose text was not changed).
        for t in [first, at(&ny, "2026-03-08T03:00"), at(&ny, "2026-03-08T01:59")] {
            assert_eq!(at(&ny, &ny.format_form(t)), t);
        }
        assert_eq!(ny.format_form(second), "2026-11-01T01:30");
        assert_eq!(at(&ny, &ny.format_form(second)), first);
        assert_eq!(ny.parse_form("15/01/2026"), Err(LocalTimeError::Unreadable));
        assert_eq!(ny.parse_form("2026-02-30T10:00"), Err(LocalTimeError::Unreadable));
    }

    #[test]
    fn election_files_read_local_times_in_their_zone() {
        let ny = zone("America/New_York");
        let local: toml::value::Datetime = "2026-12-01T09:00:00".parse().unwrap();
        let utc: toml::value::Datetime = "2026-12-01T09:00:00Z".parse().unwrap();
        assert_eq!(ny.from_toml(&local).unwrap(), 1_796_133_600);
        assert_eq!(ny.from_toml(&utc).unwrap(), 1_796_115_600);
        let gap: toml::value::Datetime = "2026-03-08T02:30:00".parse().unwrap();
        assert!(ny.from_toml(&gap).unwrap_err().contains("does not exist"));
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
