//! A side's plan made ready for PostgreSQL (PGlite, in the page and in the tests):
//! each step with PostgreSQL's numbered placeholders and a flat list of values per
//! execution. The SQLite replay binds the driver's own placeholders; PostgreSQL
//! takes `$1`, `$2`... in the extended protocol, which is what psycopg itself sends
//! when it binds on the server, and what asyncpg's SQL already holds.
//!
//! Running the steps is the page's worker's job (src/runner/pg-replay.js): PGlite
//! is JavaScript. What a step *is* stays here, beside the SQLite replay.

use crate::plan::{parameter_sets, Plan, Step};
use crate::Value;
use serde::Serialize;

/// One step, ready for PGlite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PgStep {
    /// The SQL with `$n` placeholders.
    pub sql: String,
    /// One list of values per execution (several for an `executemany`).
    pub executions: Vec<Vec<Value>>,
    /// Each value's type (an OID; 0: left to the server), as psycopg sends it;
    /// empty for asyncpg's statements, whose types the server infers.
    pub types: Vec<Vec<u32>>,
    /// A `COPY ... FROM STDIN`: `executions` are the rows it streamed, and it runs
    /// once with them as its data.
    pub copy: bool,
    /// The database refused it when it was captured; the replay must be refused too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// Every step a Run needs, in order: the set-up, the steps before the chosen ones,
/// and the chosen ones (`from..to`), which the reader may have edited (`edit`:
/// their SQL and parameters, already checked by `plan::edited`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PgRun {
    pub steps: Vec<PgStep>,
    /// Where the chosen steps start in `steps`: their results are the answer.
    pub chosen: usize,
}

/// The plan's steps up to `to`, with `chosen` replacing `from..to`.
pub fn pg_run(plan: &Plan, from: usize, chosen: &[Step]) -> Result<PgRun, String> {
    let mut steps = Vec::with_capacity(plan.setup.len() + from + chosen.len());
    for step in plan.setup.iter().chain(&plan.steps[..from]) {
        steps.push(pg_step(step)?);
    }
    let first = steps.len();
    for step in chosen {
        steps.push(pg_step(step)?);
    }
    Ok(PgRun {
        steps,
        chosen: first,
    })
}

/// One step, for PostgreSQL.
pub fn pg_step(step: &Step) -> Result<PgStep, String> {
    let copy = is_copy(&step.sql);
    if copy {
        return Ok(PgStep {
            sql: step.sql.clone(),
            executions: parameter_sets(&step.params, true)?,
            types: Vec::new(),
            copy,
            refused: step.refused.clone(),
        });
    }
    // Each execution's parameters as captured: a list, or an object by name.
    let each: Vec<&serde_json::Value> = if step.many {
        step.params
            .as_array()
            .ok_or_else(|| {
                format!(
                    "the parameters of an `executemany` must be a list, not {}",
                    step.params
                )
            })?
            .iter()
            .collect()
    } else {
        vec![&step.params]
    };
    let mut sql = step.sql.clone();
    let mut executions = Vec::with_capacity(each.len());
    let mut types = Vec::with_capacity(each.len());
    for params in each {
        let positional: Vec<Value> = match params {
            serde_json::Value::Object(_) => Vec::new(),
            other => serde_json::from_value(other.clone())
                .map_err(|e| format!("unreadable parameters {other}: {e}"))?,
        };
        let (numbered, values) = numbered(&step.sql, Some(params), &positional)?;
        if numbered != step.sql {
            types.push(values.iter().map(psycopg_type).collect());
        }
        sql = numbered;
        executions.push(values);
    }
    Ok(PgStep {
        sql,
        executions,
        types,
        copy,
        refused: step.refused.clone(),
    })
}

/// The type psycopg 3 gives a Python value it sends (its dumpers): the smallest
/// integer type that holds an `int`, `float8`, `bool`, `numeric` for a `Decimal`,
/// `bytea`; strings, dates (captured as their text), lists and `None` go as
/// "unknown", for the server to read from where they stand.
fn psycopg_type(value: &Value) -> u32 {
    const INT2: u32 = 21;
    const INT4: u32 = 23;
    const INT8: u32 = 20;
    match value {
        Value::Integer(i) if i16::try_from(*i).is_ok() => INT2,
        Value::Integer(i) if i32::try_from(*i).is_ok() => INT4,
        Value::Integer(_) => INT8,
        Value::Real(_) => 701,
        Value::Bool(_) => 16,
        Value::Numeric(_) => 1700,
        Value::Blob(_) => 17,
        Value::Null | Value::Text(_) | Value::Array(_) => 0,
    }
}

/// Whether `sql` is a `COPY` (PostgreSQL's bulk load), whose data the driver sends
/// after it.
pub fn is_copy(sql: &str) -> bool {
    sql.trim_start()
        .get(..5)
        .is_some_and(|verb| verb.eq_ignore_ascii_case("COPY "))
}

/// A psycopg placeholder in SQL text, outside quotes: `%s`, `%(name)s`, or `%%` (a
/// percent sign, once psycopg has put the values in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark<'a> {
    Positional,
    Named(&'a str),
    Percent,
}

/// Where psycopg's placeholders are in `sql` (byte ranges), in order. The formatter
/// keeps them whole and `numbered` numbers them: one reading of the syntax for both.
pub fn psycopg_marks(sql: &str) -> Vec<(std::ops::Range<usize>, Mark<'_>)> {
    let mut marks = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = sql.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '%') => {
                let rest = &sql[at..];
                let found = if rest.starts_with("%%") {
                    Some((2, Mark::Percent))
                } else if rest.starts_with("%s") {
                    Some((2, Mark::Positional))
                } else {
                    rest.strip_prefix("%(").and_then(|name| {
                        let close = name.find(")s")?;
                        let valid = close > 0
                            && name[..close]
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_');
                        valid.then(|| (close + 4, Mark::Named(&name[..close])))
                    })
                };
                if let Some((length, mark)) = found {
                    marks.push((at..at + length, mark));
                    // Skip the rest of the mark.
                    while chars.peek().is_some_and(|(next, _)| *next < at + length) {
                        chars.next();
                    }
                }
            }
            _ => {}
        }
    }
    marks
}

/// `sql` with psycopg's placeholders (`%s`, `%(name)s`, `%%` for a percent sign)
/// numbered as PostgreSQL's (`$1`), and the values in that order. `named` is the
/// capture's parameters as JSON: an object for `%(name)s`, a list otherwise. SQL
/// that already numbers its placeholders (asyncpg's) is kept as it is.
pub fn numbered(
    sql: &str,
    named: Option<&serde_json::Value>,
    positional: &[Value],
) -> Result<(String, Vec<Value>), String> {
    let by_name = named.and_then(serde_json::Value::as_object);
    let has_placeholders = !positional.is_empty() || by_name.is_some_and(|m| !m.is_empty());
    if !has_placeholders {
        // psycopg reads `%` only when it has parameters to put in.
        return Ok((sql.to_string(), Vec::new()));
    }
    let mut out = String::with_capacity(sql.len());
    let mut values: Vec<Value> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut next_positional = 0;
    let mut copied = 0;
    for (range, mark) in psycopg_marks(sql) {
        out.push_str(&sql[copied..range.start]);
        copied = range.end;
        match mark {
            Mark::Percent => out.push('%'),
            Mark::Positional => {
                let value = positional.get(next_positional).cloned().ok_or_else(|| {
                    format!(
                        "the statement has more `%s` than its {} parameters",
                        positional.len()
                    )
                })?;
                next_positional += 1;
                values.push(value);
                out.push_str(&format!("${}", values.len()));
            }
            Mark::Named(name) => {
                let position = match names.iter().position(|n| *n == name) {
                    Some(position) => position,
                    None => {
                        let json = by_name
                            .and_then(|m| m.get(name))
                            .ok_or_else(|| format!("no parameter named `{name}`"))?;
                        let value: Value = serde_json::from_value(json.clone())
                            .map_err(|e| format!("unreadable parameter `{name}`: {e}"))?;
                        names.push(name);
                        values.push(value);
                        names.len() - 1
                    }
                };
                out.push_str(&format!("${}", position + 1));
            }
        }
    }
    out.push_str(&sql[copied..]);
    if values.is_empty() {
        // asyncpg's `$1`: the values in the capture's order.
        return Ok((sql.to_string(), positional.to_vec()));
    }
    if !names.is_empty() && next_positional > 0 {
        return Err("the statement mixes `%s` and `%(name)s` placeholders".into());
    }
    Ok((out, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn number(sql: &str, params: serde_json::Value) -> (String, Vec<Value>) {
        let positional = match &params {
            serde_json::Value::Array(list) => list
                .iter()
                .map(|v| serde_json::from_value(v.clone()).unwrap())
                .collect(),
            _ => Vec::new(),
        };
        numbered(sql, Some(&params), &positional).unwrap()
    }

    #[test]
    fn psycopg_placeholders_become_numbered_ones() {
        let (sql, values) = number(
            "SELECT \"a\" FROM t WHERE a = %s AND b LIKE '%s%%' AND c % 2 = %s",
            json!([1, "x"]),
        );
        assert_eq!(
            sql,
            "SELECT \"a\" FROM t WHERE a = $1 AND b LIKE '%s%%' AND c % 2 = $2"
        );
        assert_eq!(values, vec![Value::Integer(1), Value::Text("x".into())]);
        let (sql, values) = number(
            "SELECT a FROM t WHERE a = %(pk_1)s::INTEGER OR b = %(pk_1)s LIMIT %(n)s",
            json!({"pk_1": 5, "n": 2}),
        );
        assert_eq!(
            sql,
            "SELECT a FROM t WHERE a = $1::INTEGER OR b = $1 LIMIT $2"
        );
        assert_eq!(values, vec![Value::Integer(5), Value::Integer(2)]);
        let (sql, _) = number("SELECT 10 %% 3 AS r WHERE 1 = %s", json!([1]));
        assert_eq!(sql, "SELECT 10 % 3 AS r WHERE 1 = $1");
    }

    #[test]
    fn other_sql_is_kept_as_sent() {
        // asyncpg's numbered placeholders, and psycopg's SQL without parameters.
        let (sql, values) = number("SELECT a FROM t WHERE a = $1", json!([3]));
        assert_eq!(
            (sql.as_str(), values),
            ("SELECT a FROM t WHERE a = $1", vec![Value::Integer(3)])
        );
        let (sql, values) = number("SELECT '100%' AS p, 7 % 2 AS m", json!([]));
        assert_eq!(
            (sql.as_str(), values.len()),
            ("SELECT '100%' AS p, 7 % 2 AS m", 0)
        );
    }

    #[test]
    fn a_run_holds_the_steps_before_and_the_chosen_ones() {
        let step = |sql: &str, params: serde_json::Value, many: bool| Step {
            sql: sql.into(),
            params,
            many,
            refused: None,
        };
        let plan = Plan {
            setup: vec![step("SELECT 1", json!([]), false)],
            steps: vec![
                step("BEGIN", json!([]), false),
                step("INSERT INTO t (a) VALUES (%s)", json!([[1], [2]]), true),
                step("COPY t (a) FROM STDIN", json!([[3], [4]]), true),
                step("SELECT a FROM t WHERE a > %s", json!([0]), false),
            ],
        };
        let run = pg_run(&plan, 3, &plan.steps[3..]).unwrap();
        assert_eq!(run.chosen, 4);
        assert_eq!(run.steps[2].sql, "INSERT INTO t (a) VALUES ($1)");
        assert_eq!(run.steps[2].executions.len(), 2);
        assert!(run.steps[3].copy && run.steps[3].sql == "COPY t (a) FROM STDIN");
        assert_eq!(run.steps[4].sql, "SELECT a FROM t WHERE a > $1");
        assert_eq!(run.steps[4].types, vec![vec![21]]);
        assert_eq!(run.steps[2].types, vec![vec![21], vec![21]]);
        assert!(numbered("SELECT %s", None, &[]).unwrap().1.is_empty());
        assert!(numbered("SELECT %s, %s", Some(&json!([1])), &[Value::Integer(1)]).is_err());
    }
}
