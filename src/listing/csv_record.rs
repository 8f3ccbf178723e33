//! CSV records written straight into the listing's output buffer, in the bytes the `csv`
//! crate's default writer gives them: `,` between fields and `\n` after each record, a field
//! quoted when it holds `,`, `"`, `\r` or `\n` (its quotes doubled), and a record of one
//! empty field written as `""`. Why by hand: the `csv` writer's state machine a field and
//! the copy out of its own buffer were a sixth of the CSV listing's time
//! (docs/performance.md, "listing/csv_record: CSV written by hand"); a property test below
//! holds it to the `csv` writer.

/// One record being written at the end of an output buffer.
pub struct Record<'o> {
    out: &'o mut Vec<u8>,
    start: usize,
    fields: usize,
}

impl<'o> Record<'o> {
    /// A record that begins at the end of `out`.
    pub fn new(out: &'o mut Vec<u8>) -> Record<'o> {
        let start = out.len();
        Record {
            out,
            start,
            fields: 0,
        }
    }

    /// The next field: `prefix` then `text`, quoted as one field when either needs it.
    pub fn field(&mut self, prefix: &[u8], text: &[u8]) {
        if self.fields > 0 {
            self.out.push(b',');
        }
        self.fields += 1;
        if needs_quotes(prefix) || needs_quotes(text) {
            self.out.push(b'"');
            quoted(self.out, prefix);
            quoted(self.out, text);
            self.out.push(b'"');
        } else {
            self.out.extend_from_slice(prefix);
            self.out.extend_from_slice(text);
        }
    }

    /// Ends the record.
    pub fn end(self) {
        if self.fields == 1 && self.out.len() == self.start {
            // A lone empty field would read back as no field at all.
            self.out.extend_from_slice(b"\"\"");
        }
        self.out.push(b'\n');
    }
}

fn needs_quotes(text: &[u8]) -> bool {
    text.iter()
        .any(|&byte| matches!(byte, b',' | b'"' | b'\r' | b'\n'))
}

/// `text` with each `"` doubled.
fn quoted(out: &mut Vec<u8>, text: &[u8]) {
    let mut rest = text;
    while let Some(at) = memchr::memchr(b'"', rest) {
        out.extend_from_slice(&rest[..=at]);
        out.push(b'"');
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The records as the `csv` crate's default writer writes them.
    fn by_csv(records: &[Vec<(String, String)>]) -> Vec<u8> {
        let mut csv = csv::Writer::from_writer(Vec::new());
        for record in records {
            let fields: Vec<String> = record
                .iter()
                .map(|(prefix, text)| format!("{prefix}{text}"))
                .collect();
            csv.write_record(&fields).unwrap();
        }
        csv.into_inner().unwrap()
    }

    fn by_hand(records: &[Vec<(String, String)>]) -> Vec<u8> {
        let mut out = Vec::new();
        for record in records {
            let mut written = Record::new(&mut out);
            for (prefix, text) in record {
                written.field(prefix.as_bytes(), text.as_bytes());
            }
            written.end();
        }
        out
    }

    #[test]
    fn a_lone_empty_field_is_quoted() {
        let records = vec![vec![(String::new(), String::new())]];
        assert_eq!(by_hand(&records), b"\"\"\n");
        assert_eq!(by_hand(&records), by_csv(&records));
    }

    proptest! {
        #[test]
        fn writes_what_the_csv_writer_writes(
            width in 1usize..5,
            cells in prop::collection::vec(
                (prop_oneof![3 => Just(String::new()), 1 => Just("'".to_owned())],
                 "[a,\"\r\n' =é-]{0,6}"),
                0..24,
            ),
        ) {
            let records: Vec<Vec<(String, String)>> =
                cells.chunks_exact(width).map(<[_]>::to_vec).collect();
            prop_assert_eq!(by_hand(&records), by_csv(&records));
        }
    }
}
