//! The demo schema as a diagram and as DDL, both read from the database itself.

use super::{code_block, esc};
use demo_engine::TableInfo;
use std::collections::HashMap;
use std::fmt::Write;

const BOX_WIDTH: f64 = 230.0;
const COLUMN_GAP: f64 = 110.0;
const ROW_HEIGHT: f64 = 19.0;
const HEADER_HEIGHT: f64 = 26.0;
const BOX_GAP: f64 = 26.0;
const MARGIN: f64 = 12.0;

struct Placed<'a> {
    table: &'a TableInfo,
    x: f64,
    y: f64,
}

impl Placed<'_> {
    fn row_y(&self, column: &str) -> f64 {
        let index = self
            .table
            .columns
            .iter()
            .position(|c| c.name == column)
            .unwrap_or(0);
        self.y + HEADER_HEIGHT + ROW_HEIGHT * (index as f64 + 0.5) + 4.0
    }

    fn height(&self) -> f64 {
        HEADER_HEIGHT + ROW_HEIGHT * self.table.columns.len() as f64 + 8.0
    }
}

/// Layers by foreign-key depth: tables that reference nothing on the left,
/// each table one layer right of the deepest table it references.
fn layers(tables: &[TableInfo]) -> HashMap<&str, usize> {
    let mut depth: HashMap<&str, usize> = tables.iter().map(|t| (t.name.as_str(), 0)).collect();
    // At most one pass per table settles any acyclic schema; cycles stop there too.
    for _ in 0..tables.len() {
        let mut changed = false;
        for table in tables {
            for column in &table.columns {
                let Some(fk) = &column.references else {
                    continue;
                };
                if fk.table == table.name {
                    continue;
                }
                let wanted = depth.get(fk.table.as_str()).copied().unwrap_or(0) + 1;
                let entry = depth
                    .get_mut(table.name.as_str())
                    .expect("every table has a depth");
                if *entry < wanted {
                    *entry = wanted;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    depth
}

pub fn render_diagram(tables: &[TableInfo]) -> String {
    let depth = layers(tables);
    let mut next_y: HashMap<usize, f64> = HashMap::new();
    let mut placed: Vec<Placed<'_>> = Vec::new();
    for table in tables {
        let layer = depth[table.name.as_str()];
        let y = next_y.entry(layer).or_insert(MARGIN);
        let spot = Placed {
            table,
            x: MARGIN + layer as f64 * (BOX_WIDTH + COLUMN_GAP),
            y: *y,
        };
        *y += spot.height() + BOX_GAP;
        placed.push(spot);
    }
    let width = MARGIN * 2.0
        + (depth.values().max().copied().unwrap_or(0) as f64 + 1.0) * (BOX_WIDTH + COLUMN_GAP)
        - COLUMN_GAP
        + 30.0;
    let height = next_y.values().fold(0.0_f64, |a, &b| a.max(b)) + MARGIN - BOX_GAP;

    let mut out = String::new();
    let _ = write!(
        out,
        "<figure class=\"ormc-schema\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         role=\"img\" aria-label=\"Diagram of the demo database: tables, columns and foreign keys\">"
    );
    let by_name: HashMap<&str, &Placed<'_>> =
        placed.iter().map(|p| (p.table.name.as_str(), p)).collect();
    for from in &placed {
        for column in &from.table.columns {
            let Some(fk) = &column.references else {
                continue;
            };
            let Some(to) = by_name.get(fk.table.as_str()) else {
                continue;
            };
            edge(&mut out, from, &column.name, to, &fk.column);
        }
    }
    for spot in &placed {
        table_box(&mut out, spot);
    }
    out.push_str("</svg><figcaption>Generated from <code>snippets/schema.sql</code> when the book is built. \
                  Arrows point from a foreign key to the row it references; <tspan>?</tspan> marks a nullable column.</figcaption></figure>");
    out.replace("<tspan>?</tspan>", "<b>?</b>")
}

fn edge(out: &mut String, from: &Placed<'_>, column: &str, to: &Placed<'_>, target: &str) {
    let y1 = from.row_y(column);
    let y2 = to.row_y(target);
    let path = if std::ptr::eq(from.table, to.table) {
        // A self-reference loops out of the right edge and back.
        let x = from.x + BOX_WIDTH;
        format!(
            "M{x:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x:.1},{y2:.1}",
            x + 34.0,
            x + 34.0
        )
    } else {
        let x1 = from.x;
        let x2 = to.x + BOX_WIDTH;
        let mid = (x1 + x2) / 2.0;
        format!("M{x1:.1},{y1:.1} C{mid:.1},{y1:.1} {mid:.1},{y2:.1} {x2:.1},{y2:.1}")
    };
    let _ = write!(
        out,
        "<path class=\"ormc-schema-edge\" d=\"{path}\"/><circle class=\"ormc-schema-end\" cx=\"{:.1}\" cy=\"{y2:.1}\" r=\"3\"/>",
        if std::ptr::eq(from.table, to.table) { from.x + BOX_WIDTH } else { to.x + BOX_WIDTH }
    );
}

fn table_box(out: &mut String, spot: &Placed<'_>) {
    let (x, y) = (spot.x, spot.y);
    let _ = write!(
        out,
        "<g class=\"ormc-schema-table\"><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{BOX_WIDTH}\" height=\"{:.1}\" rx=\"5\"/>\
         <rect class=\"ormc-schema-header\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{BOX_WIDTH}\" height=\"{HEADER_HEIGHT}\" rx=\"5\"/>\
         <text class=\"ormc-schema-title\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
        spot.height(),
        x + 10.0,
        y + 18.0,
        esc(&spot.table.name)
    );
    for (i, column) in spot.table.columns.iter().enumerate() {
        let row_y = y + HEADER_HEIGHT + ROW_HEIGHT * (i as f64 + 1.0);
        let class = if column.primary_key {
            "ormc-schema-pk"
        } else if column.references.is_some() {
            "ormc-schema-fk"
        } else {
            "ormc-schema-col"
        };
        let nullable = if column.not_null || column.primary_key {
            ""
        } else {
            "?"
        };
        let _ = write!(
            out,
            "<text class=\"{class}\" x=\"{:.1}\" y=\"{row_y:.1}\">{}{nullable}</text>\
             <text class=\"ormc-schema-type\" x=\"{:.1}\" y=\"{row_y:.1}\" text-anchor=\"end\">{}</text>",
            x + 10.0,
            esc(&column.name),
            x + BOX_WIDTH - 10.0,
            esc(&column.declared_type)
        );
    }
    out.push_str("</g>");
}

/// Every `CREATE TABLE` as SQLite holds it.
pub fn render_ddl(tables: &[TableInfo]) -> String {
    let ddl: Vec<String> = tables.iter().map(|t| format!("{};", t.ddl)).collect();
    let mut out = String::from("<div class=\"ormc-ddl\">");
    code_block(&mut out, "sql", &ddl.join("\n\n"), "ormc-sql");
    out.push_str("</div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use demo_engine::DemoDb;

    fn tables() -> Vec<TableInfo> {
        DemoDb::build(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, up_id INTEGER REFERENCES a(id), note TEXT);\
             CREATE TABLE \"b<x>\" (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a(id));\
             CREATE TABLE c (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES \"b<x>\"(id));",
            "",
        )
        .unwrap()
        .tables()
        .unwrap()
    }

    #[test]
    fn layers_follow_foreign_keys() {
        let t = tables();
        let depth = layers(&t);
        assert_eq!((depth["a"], depth["b<x>"], depth["c"]), (0, 1, 2));
    }

    #[test]
    fn diagram_draws_every_table_and_edge_escaped() {
        let svg = render_diagram(&tables());
        assert_eq!(svg.matches("<g class=\"ormc-schema-table\">").count(), 3);
        assert_eq!(svg.matches("ormc-schema-edge").count(), 3);
        assert!(svg.contains("b&lt;x&gt;"));
        assert!(!svg.contains("b<x>"));
        assert!(!svg.contains('\n'));
    }

    #[test]
    fn ddl_lists_create_statements() {
        let html = render_ddl(&tables());
        assert_eq!(html.matches("CREATE TABLE").count(), 3);
    }
}
