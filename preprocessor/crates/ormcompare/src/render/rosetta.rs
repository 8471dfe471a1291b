use super::{attr, code_block, text};
use crate::rosetta::{Cell, GroupView, RowView};
use crate::syntax::SectionKind;
use std::fmt::Write;

/// The appendix table: a row per operation, the Django ORM's code beside
/// SQLAlchemy's, grouped under headings. Each row links to its panel. On narrow
/// pages, CSS stacks each row into a card (theme/ormcompare.css).
pub fn render_rosetta(groups: &[GroupView<'_>]) -> String {
    let mut out = String::from(
        "<div class=\"ormc ormc-rosetta\"><table class=\"ormc-rosetta-table\">\
         <colgroup><col class=\"ormc-rosetta-op\"><col><col></colgroup>",
    );
    out.push_str("<thead><tr><th scope=\"col\">Operation</th>");
    for kind in [SectionKind::Django, SectionKind::SqlAlchemy] {
        let _ = write!(
            out,
            "<th scope=\"col\" data-kind=\"{}\">{}</th>",
            attr(kind.key()),
            text(kind.title())
        );
    }
    out.push_str("</tr></thead>");
    for group in groups {
        let _ = write!(
            out,
            "<tbody><tr class=\"ormc-rosetta-group\"><th colspan=\"3\" scope=\"rowgroup\">{}</th></tr>",
            text(group.title)
        );
        for row in &group.rows {
            render_row(&mut out, row);
        }
        out.push_str("</tbody>");
    }
    out.push_str("</table></div>");
    out
}

fn render_row(out: &mut String, row: &RowView<'_>) {
    let _ = write!(
        out,
        "<tr id=\"{}\"><th scope=\"row\"><a href=\"{}\">{}</a>\
         <span class=\"ormc-rosetta-where\">{}</span></th>",
        attr(&format!("rosetta-{}", row.id)),
        attr(&row.href),
        text(row.title),
        text(row.chapter_title),
    );
    render_cell(out, &row.django);
    render_cell(out, &row.sqlalchemy);
    out.push_str("</tr>");
}

fn render_cell(out: &mut String, cell: &Cell<'_>) {
    let _ = write!(
        out,
        "<td data-kind=\"{}\" data-label=\"{}\">",
        attr(cell.kind.key()),
        attr(cell.kind.title())
    );
    code_block(out, "python", cell.code, "ormc-code");
    let _ = write!(
        out,
        "<span class=\"ormc-badge\" title=\"What the code sent and raised when the book was built\">{}</span></td>",
        text(&cell.summary())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(kind: SectionKind, code: &'static str, raises: Option<&'static str>) -> Cell<'static> {
        Cell {
            kind,
            code,
            queries: 1,
            raises,
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
                    SectionKind::Django,
                    "Customer.objects.filter(name=\"<b>\")\n\nx = 1\n",
                    None,
                ),
                sqlalchemy: cell(
                    SectionKind::SqlAlchemyAsync,
                    "await session.get(Customer, 99)\n",
                    Some("NoResultFound"),
                ),
            }],
        }];
        let html = render_rosetta(&groups);
        assert!(html.starts_with("<div class=\"ormc ormc-rosetta\"><table"));
        assert!(html.contains(
            "<th scope=\"col\" data-kind=\"django\">Django ORM</th>\
             <th scope=\"col\" data-kind=\"sqlalchemy\">SQLAlchemy</th></tr></thead>"
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
             <code class=\"language-python\">Customer.objects.filter(name=\"&lt;b&gt;\")&#10;&#10;x = 1</code></pre>"
        ));
        assert!(html.contains("data-label=\"SQLAlchemy asyncio\""));
        assert!(html.contains(">1 query</span></td>"));
        assert!(html.contains(">1 query, raises NoResultFound</span></td>"));
        assert!(
            !html.contains('\n'),
            "raw HTML blocks must not hold newlines"
        );
        assert!(!html.contains("<b>"));
    }
}
