use super::{code_block, esc, island};
use crate::rosetta::{Cell, GroupView, RowView};
use crate::syntax::SectionKind;
use std::fmt::Write;

/// The appendix table: a row per operation, the Django ORM's code beside
/// SQLAlchemy's, grouped under headings. Each row links to its panel. On narrow
/// pages, CSS stacks each row into a card (theme/ormcompare.css).
pub fn render_rosetta(groups: &[GroupView<'_>]) -> String {
    let mut out = String::from(
        "<table class=\"ormc-rosetta-table\">\
         <colgroup><col class=\"ormc-rosetta-op\"><col><col></colgroup>",
    );
    out.push_str("<thead><tr><th scope=\"col\">Operation</th>");
    for kind in ["django", "sqlalchemy"].map(|k| SectionKind::named(k).expect("in the registry")) {
        let _ = write!(
            out,
            "<th scope=\"col\" data-kind=\"{}\" style=\"border-top: {}\">{}</th>",
            esc(kind.key()),
            esc(&kind.border()),
            esc(kind.title())
        );
    }
    out.push_str("</tr></thead>");
    for group in groups {
        let _ = write!(
            out,
            "<tbody><tr class=\"ormc-rosetta-group\"><th colspan=\"3\" scope=\"rowgroup\">{}</th></tr>",
            esc(group.title)
        );
        for row in &group.rows {
            render_row(&mut out, row);
        }
        out.push_str("</tbody>");
    }
    out.push_str("</table>");
    // Its code is the chapters' own, which the search index reads there: the table
    // is carried (`crate::islands`).
    let mut block = String::from("<div class=\"ormc ormc-rosetta\">");
    island(&mut block, &out);
    block.push_str("</div>");
    block
}

fn render_row(out: &mut String, row: &RowView<'_>) {
    let _ = write!(
        out,
        "<tr id=\"{}\"><th scope=\"row\"><a href=\"{}\">{}</a>\
         <span class=\"ormc-rosetta-where\">{}</span></th>",
        esc(&format!("rosetta-{}", row.id)),
        esc(&row.href),
        esc(row.title),
        esc(row.chapter_title),
    );
    render_cell(out, &row.django);
    render_cell(out, &row.sqlalchemy);
    out.push_str("</tr>");
}

fn render_cell(out: &mut String, cell: &Cell<'_>) {
    let _ = write!(
        out,
        "<td data-kind=\"{}\" data-label=\"{}\">",
        esc(cell.kind.key()),
        esc(cell.kind.title())
    );
    code_block(out, "python", cell.code, "ormc-code");
    // What the badge means is said once, in the prose above the table: a title on
    // each of them would be a tenth of the page.
    out.push_str("<span class=\"ormc-badge\">");
    // Each part after the first is a box of its own, so that a badge too long
    // for its cell breaks between the databases.
    for (index, part) in cell.summary().iter().enumerate() {
        if index == 0 {
            out.push_str(&esc(part));
        } else {
            let _ = write!(out, " <span>· {}</span>", esc(part));
        }
    }
    out.push_str("</span></td>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upgrade::SideChange;

    fn cell(kind: SectionKind, code: &'static str, raises: Option<&'static str>) -> Cell<'static> {
        Cell {
            kind,
            code,
            queries: 1,
            raises,
            elsewhere: Vec::new(),
            only_on: None,
        }
    }

    #[test]
    fn a_row_shows_both_sides_escaped_with_a_link_to_the_panel() {
        let groups = [GroupView {
            title: "Filtering <& co>",
            rows: vec![RowView {
                id: "filter-x",
                title: "Names like \"<b>\"",
                href: "../filtering.html#cmp-filter-x".into(),
                chapter_title: "Filtering & lookups",
                django: cell(
                    SectionKind::named("django").unwrap(),
                    "Customer.objects.filter(name=\"<b>\")\n\nx = 1\n",
                    None,
                ),
                sqlalchemy: cell(
                    SectionKind::named("sqlalchemy-async").unwrap(),
                    "await session.get(Customer, 99)\n",
                    Some("NoResultFound"),
                ),
            }],
        }];
        let html = crate::islands::load(&render_rosetta(&groups));
        assert!(html.starts_with("<div class=\"ormc ormc-rosetta\"><table"));
        assert!(html.contains(
            "<th scope=\"col\" data-kind=\"django\" style=\"border-top: 4px solid #44b78b\">Django ORM</th>\
             <th scope=\"col\" data-kind=\"sqlalchemy\" style=\"border-top: 4px solid #d6434e\">SQLAlchemy</th></tr></thead>"
        ));
        assert!(
            html.contains("<th colspan=\"3\" scope=\"rowgroup\">Filtering &lt;&amp; co&gt;</th>")
        );
        assert!(html.contains(
            "<tr id=\"rosetta-filter-x\"><th scope=\"row\"><a href=\"../filtering.html#cmp-filter-x\">\
             Names like \"&lt;b&gt;\"</a><span class=\"ormc-rosetta-where\">Filtering &amp; lookups</span></th>"
        ));
        assert!(html.contains(
            "<td data-kind=\"django\" data-label=\"Django ORM\"><pre class=\"ormc-code\">\
             <code class=\"language-python\">Customer.objects.filter(name=\"&lt;b&gt;\")\n&#10;x = 1</code></pre>"
        ));
        assert!(html.contains("data-label=\"SQLAlchemy asyncio\""));
        assert!(html.contains("<span class=\"ormc-badge\">1 query</span></td>"));
        assert!(
            html.contains("<span class=\"ormc-badge\">1 query, raises NoResultFound</span></td>")
        );
        // Escaped, with quotes and line breaks as characters in the island's text,
        // but never a blank line, which would end mdBook's raw HTML block.
        assert!(html.split('\n').all(|line| !line.trim().is_empty()));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn a_badge_breaks_between_databases_only() {
        let mut sqlalchemy = cell(SectionKind::named("sqlalchemy").unwrap(), "x\n", None);
        sqlalchemy.queries = 2;
        sqlalchemy.elsewhere = vec![(
            "Postgre<SQL>",
            SideChange {
                side: 1,
                versions: Default::default(),
                queries: (1, 2),
                statements: Vec::new(),
                result_changed: false,
                raised: (Some("IntegrityError".into()), None),
                printed_changed: false,
            },
        )];
        let mut django = cell(SectionKind::named("django").unwrap(), "y\n", None);
        django.only_on = Some("SQLite");
        let html = crate::islands::load(&render_rosetta(&[GroupView {
            title: "G",
            rows: vec![RowView {
                id: "x",
                title: "X",
                href: "x.html#cmp-x".into(),
                chapter_title: "X",
                django,
                sqlalchemy,
            }],
        }]));
        assert!(html.contains(
            ">2 queries <span>· Postgre&lt;SQL&gt;: 1 query, raises IntegrityError</span></span></td>"
        ));
        assert!(html.contains(">1 query <span>· SQLite only</span></span></td>"));
    }
}
