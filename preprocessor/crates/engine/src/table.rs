use crate::Value;
use serde::{Deserialize, Serialize};

/// Rows a statement returned: the first `rows.len()` of them, and how many there
/// were in all (`total_rows`), so a cut result can say what it left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub total_rows: usize,
}

impl Table {
    /// Rows counted but not kept.
    pub fn rows_left_out(&self) -> usize {
        self.total_rows.saturating_sub(self.rows.len())
    }

    /// The same rows, possibly in another order: what two SQL engines owe each
    /// other when the statement does not fix the order of every row.
    pub fn same_rows_in_any_order(&self, other: &Table) -> bool {
        fn sorted(table: &Table) -> Vec<String> {
            let mut keys: Vec<String> = table
                .rows
                .iter()
                .map(|row| {
                    let normal: Vec<Value> = row
                        .iter()
                        .map(|v| match v {
                            Value::Bool(b) => Value::Integer(i64::from(*b)),
                            other => other.clone(),
                        })
                        .collect();
                    format!("{normal:?}")
                })
                .collect();
            keys.sort();
            keys
        }
        self.total_rows == other.total_rows
            && self.rows.len() == other.rows.len()
            && sorted(self) == sorted(other)
    }

    /// Same values in the same order (column names may differ between ORMs).
    pub fn same_rows(&self, other: &Table) -> bool {
        self.total_rows == other.total_rows
            && self.rows.len() == other.rows.len()
            && self
                .rows
                .iter()
                .zip(&other.rows)
                .all(|(a, b)| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(i64, &str)]) -> Table {
        Table {
            columns: vec!["id".into(), "name".into()],
            rows: rows
                .iter()
                .map(|(i, n)| vec![Value::Integer(*i), Value::Text((*n).into())])
                .collect(),
            total_rows: rows.len(),
        }
    }

    #[test]
    fn order_matters_for_same_rows_only() {
        let a = table(&[(1, "a"), (1, "b")]);
        let b = table(&[(1, "b"), (1, "a")]);
        assert!(!a.same_rows(&b));
        assert!(a.same_rows_in_any_order(&b));
        assert!(!a.same_rows_in_any_order(&table(&[(1, "a"), (1, "a")])));
        assert!(!a.same_rows_in_any_order(&table(&[(1, "a")])));
    }
}
