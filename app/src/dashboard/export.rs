//! The mastery table as CSV for spreadsheets: RFC 4180 quoting (by the csv crate) and a guard
//! against formula injection, because student and skill names come from imported files and a
//! cell starting with `=`, `+`, `-`, `@`, tab or carriage return is run as a formula by
//! spreadsheet programs (OWASP "CSV injection").

use classlens_core::infer::mastery::MasteryTable;

/// `text` made inert for spreadsheets: a leading formula character gets a `'` in front.
pub fn defuse(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// `student, <skill labels...>` then one row of probabilities (4 decimals) per student.
pub fn mastery_csv(table: &MasteryTable) -> Result<String, csv::Error> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(std::iter::once("student".to_string()).chain(table.labels.iter().map(|l| defuse(l))))?;
    for (student, probs) in &table.rows {
        w.write_record(std::iter::once(defuse(student)).chain(probs.iter().map(|p| format!("{p:.4}"))))?;
    }
    let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes).expect("the writer was given UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_per_rfc_4180_and_defuses_formulas() {
        let t = MasteryTable {
            skills: vec!["s1".into(), "s2".into()],
            labels: vec!["Fractions, adding".into(), "=HYPERLINK(\"x\")".into()],
            rows: vec![("@ana".into(), vec![0.5, 0.25]), ("bo \"b\"".into(), vec![1.0, 0.0])],
        };
        let csv = mastery_csv(&t).unwrap();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "student,\"Fractions, adding\",\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(lines[1], "'@ana,0.5000,0.2500");
        assert_eq!(lines[2], "\"bo \"\"b\"\"\",1.0000,0.0000");
        assert_eq!(lines[3], "", "CRLF after every record");
        assert_eq!(defuse("-1"), "'-1");
        assert_eq!(defuse("plain"), "plain");
    }
}
