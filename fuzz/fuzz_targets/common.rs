//! What every reader's target does with a request it read: judge each of its events, in
//! batches, against the repository's fixture reference data, as an import does.

use std::sync::LazyLock;

use cebulk::input::request::Request;
use cebulk::judge::batch::judge_batch;
use cebulk::judge::resolve::Context;
use cebulk::reference::maps::ReferenceMaps;

/// The fixture reference data, merged once.
static MAPS: LazyLock<ReferenceMaps> = LazyLock::new(|| {
    let text = include_str!("../../fixtures/reference.json");
    let value: serde_json::Value = serde_json::from_str(text).expect("the fixture is JSON");
    let records = cebulk::reference::document::read(&value).expect("the fixture reads");
    cebulk::reference::merge::merge(&ReferenceMaps::default(), records)
        .expect("the fixture merges")
        .maps
});

/// Judges every event of `request`, batches of 7.
pub fn judge_all(request: Request) {
    let context = Context {
        kind: request.kind,
        maps: &MAPS,
        intended_currency: request.intended_currency.as_ref(),
    };
    let mut batch = Vec::new();
    for item in request.events {
        let Ok(raw) = item else { break };
        batch.push(raw);
        if batch.len() == 7 {
            let _ = judge_batch(request.kind, &context, std::mem::take(&mut batch));
        }
    }
    let _ = judge_batch(request.kind, &context, batch);
}

/// Reads `bytes` as a purchases CSV under `options` and judges every event it gives.
#[allow(dead_code, reason = "each target includes this file; not every one reads CSV")]
pub fn judge_csv(bytes: &[u8], options: &cebulk::input::csv::options::CsvOptions) {
    use cebulk::domain::kind::Kind;
    use cebulk::input::request::Shape;
    let reader = Box::new(std::io::Cursor::new(bytes.to_vec()));
    if let Ok(header) =
        cebulk::input::csv::reader::events("fuzz.csv", Kind::Purchases, reader, options, true)
    {
        judge_all(Request {
            kind: Kind::Purchases,
            fields_set: None,
            intended_currency: None,
            events: header.events,
            shape: Shape::Csv {
                names: header.names,
                delimiter: options.delimiter_for("fuzz.csv"),
            },
        });
    }
}
