//! The date and time functions Django registers on its SQLite connections.
//!
//! Django's SQLite backend does date arithmetic in Python: `TruncMonth` becomes
//! `django_date_trunc('month', "orders"."placed_on", NULL, NULL)`, a function the
//! backend adds to every connection it opens. A captured statement that calls one
//! can only be replayed where the function exists, so the engine defines the same
//! functions, with the same results, for the build and the page alike. Statements
//! that never call them are not affected. The replay compares every row with the
//! capture, so a result that differed from Django's own would stop the build.
//!
//! Time zones: the book's captures run with `USE_TZ = False`; a conversion between
//! two named zones is refused (an error, not a guess).

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Error, Result};
use time::{Date, Duration, Month, PrimitiveDateTime, Time};

/// Defines the functions on `conn`.
pub(crate) fn install(conn: &Connection) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("django_date_extract", 2, flags, |ctx| {
        extract(ctx, |ctx| parsed(ctx, 1, None, None))
    })?;
    conn.create_scalar_function("django_datetime_extract", 4, flags, |ctx| {
        extract(ctx, |ctx| parsed(ctx, 1, Some(2), Some(3)))
    })?;
    conn.create_scalar_function("django_date_trunc", 4, flags, |ctx| truncated(ctx, false))?;
    conn.create_scalar_function("django_datetime_trunc", 4, flags, |ctx| {
        truncated(ctx, true)
    })?;
    conn.create_scalar_function("django_datetime_cast_date", 3, flags, |ctx| {
        Ok(parsed(ctx, 0, Some(1), Some(2))?.map(|moment| Value::Text(date_text(moment.date()))))
    })?;
    conn.create_scalar_function("django_datetime_cast_time", 3, flags, |ctx| {
        Ok(parsed(ctx, 0, Some(1), Some(2))?.map(|moment| Value::Text(time_text(moment.time()))))
    })?;
    conn.create_scalar_function("django_time_extract", 2, flags, |ctx| {
        let Some(text) = text_arg(ctx, 1)? else {
            return Ok(None);
        };
        let Some(time) = parse_time(&text) else {
            return Ok(None);
        };
        let lookup = lookup_arg(ctx)?;
        let value = match lookup.as_str() {
            "hour" => time.hour().into(),
            "minute" => time.minute().into(),
            "second" => time.second().into(),
            "microsecond" => time.microsecond().into(),
            _ => return Err(unsupported(&lookup)),
        };
        Ok(Some(Value::Integer(value)))
    })?;
    conn.create_scalar_function("django_time_trunc", 4, flags, |ctx| {
        let time = match parsed(ctx, 1, Some(2), Some(3))? {
            Some(moment) => moment.time(),
            None => match text_arg(ctx, 1)?.as_deref().and_then(parse_time) {
                Some(time) => time,
                None => return Ok(None),
            },
        };
        let lookup = lookup_arg(ctx)?;
        let text = match lookup.as_str() {
            "hour" => format!("{:02}:00:00", time.hour()),
            "minute" => format!("{:02}:{:02}:00", time.hour(), time.minute()),
            "second" => format!(
                "{:02}:{:02}:{:02}",
                time.hour(),
                time.minute(),
                time.second()
            ),
            _ => return Err(unsupported(&lookup)),
        };
        Ok(Some(Value::Text(text)))
    })?;
    Ok(())
}

fn unsupported(lookup: &str) -> Error {
    Error::UserFunctionError(format!("Unsupported lookup type: {lookup:?}").into())
}

fn lookup_arg(ctx: &Context<'_>) -> Result<String> {
    Ok(text_arg(ctx, 0)?.unwrap_or_default())
}

/// Argument `index` as text, or `None` for NULL (numbers are written as Python
/// would write them: Django's parser sees `str(value)`).
fn text_arg(ctx: &Context<'_>, index: usize) -> Result<Option<String>> {
    Ok(match ctx.get_raw(index) {
        ValueRef::Null => None,
        ValueRef::Text(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Blob(_) => None,
    })
}

/// The moment in argument `at`, as Django's `_sqlite_datetime_parse` reads it:
/// `None` when it is NULL or does not parse.
fn parsed(
    ctx: &Context<'_>,
    at: usize,
    tzname: Option<usize>,
    conn_tzname: Option<usize>,
) -> Result<Option<PrimitiveDateTime>> {
    let zone = |index: Option<usize>| -> Result<Option<String>> {
        index.map_or(Ok(None), |i| text_arg(ctx, i))
    };
    let (tzname, conn_tzname) = (zone(tzname)?, zone(conn_tzname)?);
    if let Some(name) = &tzname {
        if Some(name) != conn_tzname.as_ref()
            && !(is_utc(name) && conn_tzname.as_deref().is_none_or(is_utc))
        {
            return Err(Error::UserFunctionError(
                format!(
                    "converting to the time zone {name:?} is not something the book's engine \
                     does; the captures run with USE_TZ = False"
                )
                .into(),
            ));
        }
    }
    Ok(text_arg(ctx, at)?.as_deref().and_then(parse_timestamp))
}

fn is_utc(name: &str) -> bool {
    matches!(name, "UTC" | "Etc/UTC")
}

fn extract(
    ctx: &Context<'_>,
    moment: impl Fn(&Context<'_>) -> Result<Option<PrimitiveDateTime>>,
) -> Result<Option<Value>> {
    let Some(moment) = moment(ctx)? else {
        return Ok(None);
    };
    let lookup = lookup_arg(ctx)?;
    let date = moment.date();
    let (iso_year, iso_week, _) = date.to_iso_week_date();
    let value: i64 = match lookup.as_str() {
        "year" => date.year().into(),
        "month" => u8::from(date.month()).into(),
        "day" => date.day().into(),
        // Sunday is 1, Saturday 7.
        "week_day" => i64::from(date.weekday().number_from_monday() % 7) + 1,
        "iso_week_day" => date.weekday().number_from_monday().into(),
        "week" => iso_week.into(),
        "quarter" => (i64::from(u8::from(date.month())) + 2) / 3,
        "iso_year" => iso_year.into(),
        "hour" => moment.hour().into(),
        "minute" => moment.minute().into(),
        "second" => moment.second().into(),
        _ => return Err(unsupported(&lookup)),
    };
    Ok(Some(Value::Integer(value)))
}

fn truncated(ctx: &Context<'_>, with_time: bool) -> Result<Option<Value>> {
    let Some(moment) = parsed(ctx, 1, Some(2), Some(3))? else {
        return Ok(None);
    };
    let lookup = lookup_arg(ctx)?;
    let date = moment.date();
    let day = |date: Date| -> String {
        if with_time {
            format!("{} 00:00:00", date_text(date))
        } else {
            date_text(date)
        }
    };
    let first_of = |month: Month| {
        Date::from_calendar_date(date.year(), month, 1).expect("the first of a month exists")
    };
    let text = match lookup.as_str() {
        "year" => day(first_of(Month::January)),
        "quarter" => {
            let month = u8::from(date.month());
            let first = Month::try_from(month - (month - 1) % 3).expect("a month of the year");
            day(first_of(first))
        }
        "month" => day(first_of(date.month())),
        "week" => day(date - Duration::days(date.weekday().number_days_from_monday().into())),
        "day" => day(date),
        "hour" | "minute" | "second" if with_time => {
            let (h, m, s) = (moment.hour(), moment.minute(), moment.second());
            let (m, s) = match lookup.as_str() {
                "hour" => (0, 0),
                "minute" => (m, 0),
                _ => (m, s),
            };
            format!("{} {h:02}:{m:02}:{s:02}", date_text(date))
        }
        _ => return Err(unsupported(&lookup)),
    };
    Ok(Some(Value::Text(text)))
}

fn date_text(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// `HH:MM:SS`, with `.ffffff` when there are microseconds (Python's `isoformat()`).
fn time_text(time: Time) -> String {
    let whole = format!(
        "{:02}:{:02}:{:02}",
        time.hour(),
        time.minute(),
        time.second()
    );
    match time.microsecond() {
        0 => whole,
        micro => format!("{whole}.{micro:06}"),
    }
}

/// Django's `typecast_timestamp`: `YYYY-MM-DD`, or that and a time after a space,
/// with optional fractions of a second and a time-zone suffix (ignored).
fn parse_timestamp(text: &str) -> Option<PrimitiveDateTime> {
    let text = text.trim();
    let (date, time) = match text.split_once(' ') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let time = match time {
        None => Time::MIDNIGHT,
        Some(time) => {
            // "12:30:00+02:00", "12:30:00-05:00": the offset is dropped, as Django does.
            let time = time.split(['+', '-']).next()?;
            parse_time(time)?
        }
    };
    Some(PrimitiveDateTime::new(date, time))
}

/// Django's `typecast_time`: `HH:MM[:SS[.ffffff]]`.
fn parse_time(text: &str) -> Option<Time> {
    let mut parts = text.trim().split(':');
    let hour: u8 = parts.next()?.parse().ok()?;
    let minute: u8 = parts.next()?.parse().ok()?;
    let (second, micro) = match parts.next() {
        None => (0, 0),
        Some(seconds) => match seconds.split_once('.') {
            None => (seconds.parse().ok()?, 0),
            Some((whole, fraction)) => {
                let digits: String = fraction.chars().take(6).collect();
                let micro: u32 = format!("{digits:0<6}").parse().ok()?;
                (whole.parse().ok()?, micro)
            }
        },
    };
    Time::from_hms_micro(hour, minute, second, micro).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(sql: &str) -> rusqlite::Result<Value> {
        let conn = Connection::open_in_memory().unwrap();
        install(&conn).unwrap();
        conn.query_row(sql, [], |row| row.get(0))
    }

    #[test]
    fn truncations_give_what_django_gives() {
        // Values from Django 6.1.3's _sqlite_date_trunc and _sqlite_datetime_trunc.
        let cases = [
            (
                "SELECT django_date_trunc('month', '2025-03-14', NULL, NULL)",
                "2025-03-01",
            ),
            (
                "SELECT django_date_trunc('quarter', '2025-08-14', NULL, NULL)",
                "2025-07-01",
            ),
            (
                "SELECT django_date_trunc('week', '2025-03-16', NULL, NULL)",
                "2025-03-10",
            ),
            (
                "SELECT django_date_trunc('year', '2025-03-14 10:11:12', NULL, NULL)",
                "2025-01-01",
            ),
            (
                "SELECT django_datetime_trunc('hour', '2025-03-14 10:11:12.5', NULL, NULL)",
                "2025-03-14 10:00:00",
            ),
            (
                "SELECT django_datetime_trunc('month', '2025-03-14 10:11:12', NULL, NULL)",
                "2025-03-01 00:00:00",
            ),
            (
                "SELECT django_datetime_cast_date('2025-03-14 23:59:00', NULL, NULL)",
                "2025-03-14",
            ),
            (
                "SELECT django_datetime_cast_time('2025-03-14 23:59:00.25', NULL, NULL)",
                "23:59:00.250000",
            ),
            (
                "SELECT django_time_trunc('minute', '10:11:12', NULL, NULL)",
                "10:11:00",
            ),
        ];
        for (sql, expected) in cases {
            assert_eq!(one(sql).unwrap(), Value::Text(expected.into()), "{sql}");
        }
    }

    #[test]
    fn extractions_give_what_django_gives() {
        let cases = [
            ("SELECT django_date_extract('year', '2025-03-14')", 2025),
            ("SELECT django_date_extract('quarter', '2025-03-14')", 1),
            // 2025-03-16 is a Sunday: week_day 1, iso_week_day 7.
            ("SELECT django_date_extract('week_day', '2025-03-16')", 1),
            (
                "SELECT django_date_extract('iso_week_day', '2025-03-16')",
                7,
            ),
            ("SELECT django_date_extract('week', '2025-01-01')", 1),
            ("SELECT django_date_extract('iso_year', '2024-12-30')", 2025),
            (
                "SELECT django_datetime_extract('hour', '2025-03-14 10:11:12', NULL, NULL)",
                10,
            ),
            ("SELECT django_time_extract('second', '10:11:12')", 12),
        ];
        for (sql, expected) in cases {
            assert_eq!(one(sql).unwrap(), Value::Integer(expected), "{sql}");
        }
    }

    #[test]
    fn nulls_and_unparsable_values_give_null_and_unknown_lookups_fail() {
        assert_eq!(
            one("SELECT django_date_trunc('month', NULL, NULL, NULL)").unwrap(),
            Value::Null
        );
        assert_eq!(
            one("SELECT django_date_trunc('month', 'soon', NULL, NULL)").unwrap(),
            Value::Null
        );
        assert!(one("SELECT django_date_trunc('fortnight', '2025-03-14', NULL, NULL)").is_err());
        let zone = one("SELECT django_date_trunc('month', '2025-03-14', 'Europe/Paris', 'UTC')");
        assert!(zone.unwrap_err().to_string().contains("USE_TZ = False"));
        assert_eq!(
            one("SELECT django_date_trunc('day', '2025-03-14 10:00:00', 'UTC', 'UTC')").unwrap(),
            Value::Text("2025-03-14".into())
        );
    }
}
