//! What the demo database holds, read from SQLite itself, so that diagrams and
//! DDL in the book cannot drift from the schema.

use crate::database::{DemoDb, Limits};
use crate::EngineError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableInfo {
    pub name: String,
    /// The `CREATE TABLE` statement as SQLite stores it.
    pub ddl: String,
    pub columns: Vec<Column>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    pub declared_type: String,
    pub not_null: bool,
    pub primary_key: bool,
    pub references: Option<ForeignKey>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForeignKey {
    pub table: String,
    pub column: String,
}

/// Reading the schema is the engine's own business, not a reader's query: it gets
/// room enough for any schema the book could have.
const INTROSPECTION: Limits = Limits {
    max_rows: 100_000,
    max_steps: 100_000_000,
};

impl DemoDb {
    /// Tables in the order they were created, with their columns and foreign keys.
    pub fn tables(&self) -> Result<Vec<TableInfo>, EngineError> {
        let session = self.fresh(INTROSPECTION)?;
        let conn = session.connection();
        let sql_error = |e: rusqlite::Error| EngineError::Sql(e.to_string());
        let mut tables: Vec<TableInfo> = conn
            .prepare(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
            )
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok(TableInfo {
                        name: r.get(0)?,
                        ddl: r.get(1)?,
                        columns: Vec::new(),
                    })
                })?
                .collect()
            })
            .map_err(sql_error)?;
        for table in &mut tables {
            let foreign_keys: Vec<(String, String, String)> = conn
                .prepare("SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?1)")
                .and_then(|mut s| {
                    s.query_map([&table.name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                        .collect()
                })
                .map_err(sql_error)?;
            table.columns = conn
                .prepare(
                    "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid",
                )
                .and_then(|mut s| {
                    s.query_map([&table.name], |r| {
                        let name: String = r.get(0)?;
                        let references = foreign_keys
                            .iter()
                            .find(|(from, _, _)| *from == name)
                            .map(|(_, table, to)| ForeignKey {
                                table: table.clone(),
                                column: to.clone(),
                            });
                        Ok(Column {
                            name,
                            declared_type: r.get(1)?,
                            not_null: r.get(2)?,
                            primary_key: r.get::<_, i64>(3)? > 0,
                            references,
                        })
                    })?
                    .collect()
                })
                .map_err(sql_error)?;
        }
        Ok(tables)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tables_columns_and_foreign_keys() {
        let db = DemoDb::build(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES a(id));\
             CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a(id), note TEXT);",
            "",
        )
        .unwrap();
        let tables = db.tables().unwrap();
        assert_eq!(
            tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let a_id = &tables[1].columns[1];
        assert_eq!(a_id.name, "a_id");
        assert!(a_id.not_null);
        assert_eq!(
            a_id.references,
            Some(ForeignKey {
                table: "a".into(),
                column: "id".into()
            })
        );
        assert!(tables[0].columns[0].primary_key);
        assert!(tables[0].ddl.starts_with("CREATE TABLE a"));
    }
}
