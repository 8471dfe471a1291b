use rusqlite::types::{ToSqlOutput, ValueRef};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One value, as SQLite stores it and as capture files write it.
///
/// In JSON a value is `null`, a number, a string, or `{"$bytes": "<hex>"}`.
/// Booleans are accepted on input (Python's `True` is sent to SQLite as 1).
/// Parameters sent to PostgreSQL may also be `{"$numeric": "12.50"}` (a `Decimal`,
/// which psycopg sends as `numeric`) and `{"$array": [...]}` (a list, sent as an
/// array); SQLite takes neither.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(BlobHex),
    Bool(bool),
    Numeric(NumericText),
    Array(ArrayValues),
}

/// A PostgreSQL `numeric` parameter, as its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericText {
    #[serde(rename = "$numeric")]
    pub text: String,
}

/// A PostgreSQL array parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArrayValues {
    #[serde(rename = "$array")]
    pub items: Vec<Value>,
}

/// A blob written as hex in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlobHex {
    #[serde(rename = "$bytes")]
    pub hex: String,
}

/// `value` as compact JSON text, as `value.to_string()` writes it, but written
/// straight into the string: `Display` goes through the formatting machinery a
/// piece at a time: writing the pages' data and plans so cost a cold build about
/// 4% of its processor time (preprocessor alone, 16 runs alternated: 261.2 ->
/// 251.8 ms, medians of `perf stat` task-clock).
pub fn json_text(value: &serde_json::Value) -> String {
    serde_json::to_string(value).expect("a JSON value always serializes")
}

/// Written by hand rather than derived: an untagged derive tries each variant in
/// turn and builds an error for every miss, which made reading captures the
/// slowest part of a build.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null, a number, a string, a boolean or {\"$bytes\": \"<hex>\"}")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| E::custom(format!("{v} does not fit in SQLite's 64-bit integer")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Real(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Text(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        const FORMS: &str =
            "{\"$bytes\": \"<hex>\"}, {\"$numeric\": \"<text>\"} or {\"$array\": [...]}";
        let mut value = None;
        while let Some(key) = map.next_key::<String>()? {
            if value.is_some() {
                return Err(de::Error::custom(format!(
                    "unexpected key `{key}`: a value is one of {FORMS}"
                )));
            }
            value = Some(match key.as_str() {
                "$bytes" => Value::Blob(BlobHex {
                    hex: map.next_value::<String>()?,
                }),
                "$numeric" => Value::Numeric(NumericText {
                    text: map.next_value::<String>()?,
                }),
                "$array" => Value::Array(ArrayValues {
                    items: map.next_value::<Vec<Value>>()?,
                }),
                _ => {
                    return Err(de::Error::custom(format!(
                        "unexpected key `{key}`: a value is one of {FORMS}"
                    )))
                }
            });
        }
        value.ok_or_else(|| de::Error::custom(format!("a value is one of {FORMS}")))
    }
}

impl Value {
    pub(crate) fn from_sqlite(value: ValueRef<'_>) -> Value {
        match value {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(BlobHex {
                hex: b.iter().map(|byte| format!("{byte:02x}")).collect(),
            }),
        }
    }

    /// True when two values are the same stored value. A boolean equals the
    /// integer SQLite stores for it, since that is what the driver sends.
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Bool(b), Value::Integer(i)) | (Value::Integer(i), Value::Bool(b)) => {
                *i == i64::from(*b)
            }
            (a, b) => a == b,
        }
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            Value::Integer(i) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*i)),
            Value::Real(r) => ToSqlOutput::Owned(rusqlite::types::Value::Real(*r)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Value::Bool(b) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(i64::from(*b))),
            Value::Blob(blob) => ToSqlOutput::Owned(rusqlite::types::Value::Blob(
                decode_hex(&blob.hex)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?,
            )),
            Value::Numeric(_) | Value::Array(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "a `$numeric` or `$array` parameter is PostgreSQL's; SQLite takes numbers, \
                     strings and blobs"
                        .into(),
                ))
            }
        })
    }
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    // Checked before slicing: a multi-byte character would put a slice boundary
    // inside it.
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("a blob's `$bytes` must be hex digits, not `{hex}`"));
    }
    if !hex.len().is_multiple_of(2) {
        return Err(format!("odd-length hex blob `{hex}`"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| format!("bad hex blob `{hex}`"))
        })
        .collect()
}

/// How a value reads in a result table: SQL's NULL stays visible as `NULL`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r:?}"),
            Value::Text(t) => f.write_str(t),
            Value::Blob(b) => write!(f, "x'{}'", b.hex),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Numeric(n) => f.write_str(&n.text),
            Value::Array(a) => {
                f.write_str("{")?;
                for (i, item) in a.items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_kinds() {
        let json = r#"[null, 3, 2.5, "a", {"$bytes": "00ff"}, true]"#;
        let values: Vec<Value> = serde_json::from_str(json).unwrap();
        assert_eq!(
            values,
            vec![
                Value::Null,
                Value::Integer(3),
                Value::Real(2.5),
                Value::Text("a".into()),
                Value::Blob(BlobHex { hex: "00ff".into() }),
                Value::Bool(true),
            ]
        );
    }

    #[test]
    fn postgresql_parameters_keep_their_kind() {
        let json = r#"[{"$numeric": "12.50"}, {"$array": [1, "a", null]}]"#;
        let values: Vec<Value> = serde_json::from_str(json).unwrap();
        assert_eq!(values[0].to_string(), "12.50");
        assert_eq!(values[1].to_string(), "{1,a,NULL}");
        assert_eq!(
            serde_json::to_string(&values).unwrap(),
            json.replace(": ", ":").replace(", ", ",")
        );
        assert!(rusqlite::ToSql::to_sql(&values[0]).is_err());
        assert!(serde_json::from_str::<Value>(r#"{"$bytes": "00", "$array": []}"#).is_err());
    }

    #[test]
    fn malformed_values_are_errors() {
        assert!(serde_json::from_str::<Value>(r#"{"bytes": "00"}"#).is_err());
        assert!(serde_json::from_str::<Value>(r#"[1]"#).is_err());
        assert!(serde_json::from_str::<Value>("18446744073709551615").is_err());
        assert_eq!(
            serde_json::from_str::<Value>("1.0").unwrap(),
            Value::Real(1.0)
        );
    }

    #[test]
    fn bool_matches_the_integer_sqlite_stores() {
        assert!(Value::Bool(true).same_as(&Value::Integer(1)));
        assert!(!Value::Bool(false).same_as(&Value::Integer(1)));
        assert!(!Value::Real(1.0).same_as(&Value::Integer(1)));
    }

    #[test]
    fn odd_hex_is_an_error_not_a_panic() {
        assert!(decode_hex("abc").is_err());
        assert_eq!(decode_hex("0aff").unwrap(), vec![10, 255]);
    }

    #[test]
    fn a_non_ascii_blob_is_an_error_not_a_panic() {
        // Issue 11, defect 2: `{"$bytes": "aé0"}` sliced a character in two.
        let error = decode_hex("aé0").unwrap_err();
        assert!(error.contains("hex digits"), "{error}");
        let value: Value = serde_json::from_str(r#"{"$bytes": "aé0"}"#).unwrap();
        assert!(rusqlite::ToSql::to_sql(&value).is_err());
    }
}
