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
