//! Turning a byte offset into the line and column operators look for.

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// A JSON parse error as `line L, column C: what`, columns 1-based (serde_json says
/// column 0 for an empty input) and without serde_json's own position suffix.
pub fn json_error(error: &serde_json::Error) -> String {
    format!(
        "line {}, column {}: {}",
        error.line().max(1),
        error.column().max(1),
        json_error_what(error)
    )
}

/// What a JSON parse error says, without its position.
pub fn json_error_what(error: &serde_json::Error) -> String {
    let text = error.to_string();
    text.rsplit_once(" at line ")
        .map_or(text.as_str(), |(what, _)| what)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_characters() {
        assert_eq!(line_column(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx".as_bytes(), 2), (1, 2));
        assert_eq!(line_column(b"", 0), (1, 1));
    }
}
