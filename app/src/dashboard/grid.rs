//! The heatmap's body as markup, in pieces of a few rows that the page adds one task at a time.
//!
//! Built as Leptos views, a class of 30 × 20 cells was about 5,000 attribute calls across the
//! wasm–JavaScript boundary (each string decoded on the way) and one main-thread task of
//! 140–170 ms; as markup the browser's HTML parser builds the same rows natively, and in pieces
//! no task parses (or lays out) the whole grid (BENCHMARKS.md, "the dashboard's long tasks"). Every piece of text, student names and skill
//! labels from an imported file included, goes through [`escape`]. The rows carry no listeners:
//! the grid hears clicks, keys and focus once, on its `<table>`, and finds the student of a
//! clicked name by its `data-row`.

use std::fmt::Write;

use super::colour::Colour;
use super::levels::Level;
use super::view::ClassView;

/// `text` safe inside an element or a quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// The id of the cell at display row `r`, column `c`.
pub fn cell_id(r: usize, c: usize) -> String {
    format!("cell-{r}-{c}")
}

/// The (row, column) of a cell's id `cell-R-C`.
pub fn cell_of_id(id: &str) -> Option<(usize, usize)> {
    let (r, c) = id.strip_prefix("cell-")?.split_once('-')?;
    Some((r.parse().ok()?, c.parse().ok()?))
}

/// Every student's row, cut into pieces of at most `per_piece` rows (at least one) for the page
/// to add one piece per task: a row header whose button opens the student's page (`data-row`
/// is the row), then one grid cell per shown skill, printing its level's code and percentage
/// and naming student, skill, level and evidence in `title` and `aria-label` (the accessible
/// name starts with the visible text, WCAG 2.5.3). `stop` is the one cell in the tab order.
pub fn row_pieces(v: &ClassView, stop: (usize, usize), per_piece: usize) -> Vec<String> {
    let (n, per_piece) = (v.students.len(), per_piece.max(1));
    (0..n)
        .step_by(per_piece)
        .map(|first| {
            let mut out = String::new();
            (first..n.min(first.saturating_add(per_piece))).for_each(|r| row(v, r, stop, &mut out));
            out
        })
        .collect()
}

/// Row `r`'s markup, appended to `out`.
fn row(v: &ClassView, r: usize, stop: (usize, usize), out: &mut String) {
    let min = v.thresholds().min_answers;
    let student = &v.students[r];
    let name = escape(student);
    out.reserve(v.skill_order.len() * 400);
    let _ = write!(
        out,
        r#"<tr role="row"><th role="rowheader" scope="row"><button class="student-link" data-row="{r}" title="Open {name}&#39;s page">{name}</button></th>"#
    );
    for (c, &k) in v.skill_order.iter().enumerate() {
        let cell = v.cells[r][k];
        let text = match cell.level {
            Level::NotStarted | Level::NotEnoughData => cell.level.code().to_string(),
            _ => format!("{} {:.0}", cell.level.code(), 100.0 * cell.probability),
        };
        let evidence = match cell.level {
            Level::NotStarted => "no answers on this skill yet".to_string(),
            Level::NotEnoughData => format!("{} of the {min} answers a level needs; the model's estimate is {:.1}%", cell.attempts, 100.0 * cell.probability),
            _ => format!("{:.1}% from {} answers on this skill", 100.0 * cell.probability, cell.attempts),
        };
        let detail = escape(&format!("{text}: {student}, {}: {} ({evidence})", v.labels[k], cell.level.label()));
        let _ = write!(
            out,
            r#"<td role="gridcell" id="{id}" data-p="{p:.6}" data-answers="{answers}" data-level="{level:?}" tabindex="{tab}" title="{detail}" aria-label="{detail}" style="{style}">{text}</td>"#,
            id = cell_id(r, c),
            p = cell.probability,
            answers = cell.attempts,
            level = cell.level,
            tab = if stop == (r, c) { 0 } else { -1 },
            style = Colour::of_cell(cell.level, cell.probability).style(),
            text = escape(&text),
        );
    }
    out.push_str("</tr>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(escape(r#"<img src=x onerror="a('b')">&"#), "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;");
        assert_eq!(escape("Zoë Łukasz 数学"), "Zoë Łukasz 数学");
    }

    /// Two students (one named like markup), two skills; `<b>` answered skill 0 four times.
    fn view() -> ClassView {
        use super::super::levels::Thresholds;
        use classlens_core::infer::mastery::MasteryTable;
        use classlens_core::sequences::kt::{KtSequence, KtStep};
        let table = MasteryTable {
            skills: vec!["k0".into(), "k1".into()],
            labels: vec!["Fractions & \"ratios\"".into(), "Decimals".into()],
            rows: vec![("<b>".into(), vec![0.9, 0.4]), ("Zoë".into(), vec![0.2, 0.5])],
        };
        let seqs = vec![KtSequence { student: "<b>".into(), steps: (0..4).map(|_| KtStep::new(vec![0], true)).collect() }];
        ClassView::new(&table, &seqs, Thresholds::MATHIA)
    }

    /// Every row, in one piece.
    fn rows(v: &ClassView, stop: (usize, usize)) -> String {
        row_pieces(v, stop, usize::MAX).concat()
    }

    #[test]
    fn rows_name_every_cell_with_its_evidence_and_escape_the_data() {
        let v = view();
        let html = rows(&v, (1, 0));
        assert_eq!(html.matches("<tr ").count(), 2);
        assert_eq!(html.matches(r#"role="gridcell""#).count(), 4);
        assert_eq!(html.matches(r#"tabindex="0""#).count(), 1);
        assert!(html.contains(r#"id="cell-1-0" data-p="0.200000" data-answers="0" data-level="NotStarted" tabindex="0""#), "{html}");
        assert!(!html.contains("<b>"), "a student's name is text, never markup: {html}");
        assert!(html.contains(r#"data-row="0" title="Open &lt;b&gt;&#39;s page">&lt;b&gt;</button>"#), "{html}");
        assert!(html.contains("Fractions &amp; &quot;ratios&quot;"), "{html}");
        assert!(html.contains("90.0% from 4 answers on this skill"), "{html}");
        // The cell's visible text starts its accessible name, and title says the same.
        let cell = html.split("<td ").nth(1).unwrap();
        let attr = |name: &str| cell.split(&format!(r#"{name}=""#)).nth(1).unwrap().split('"').next().unwrap().to_string();
        assert_eq!(attr("title"), attr("aria-label"));
        let text = cell.split('>').nth(1).unwrap().split('<').next().unwrap();
        assert!(attr("aria-label").starts_with(&format!("{text}: ")), "{cell}");
    }

    #[test]
    fn pieces_are_the_rows_cut_in_order() {
        let v = view();
        assert_eq!(row_pieces(&v, (0, 1), 1).concat(), rows(&v, (0, 1)));
        assert_eq!(row_pieces(&v, (0, 1), 1).len(), 2);
        assert_eq!(row_pieces(&v, (0, 1), 8), vec![rows(&v, (0, 1))]);
        assert_eq!(row_pieces(&v, (0, 1), 0).len(), 2, "at least one row a piece");
    }

    #[test]
    fn cell_ids_read_back() {
        assert_eq!(cell_of_id(&cell_id(3, 12)), Some((3, 12)));
        assert_eq!(cell_of_id("cell-3"), None);
        assert_eq!(cell_of_id("row-3-1"), None);
        assert_eq!(cell_of_id(""), None);
    }
}
