//! CSV input: the row cap and quote tracking under the parser ([`guard`]), the header's plan ([`header`]), the reader that groups rows into events
//! ([`reader`]) and one event's rows as handed to the workers ([`rows`]). Partner files:
//! the import's CSV options ([`options`]), mapping profiles ([`profile`]) and the
//! conversions they declare ([`convert`]), a header read through them ([`layout`]), and
//! the columns a kind accepts ([`columns`]).

pub mod columns;
pub mod convert;
pub mod guard;
pub mod header;
pub mod layout;
pub mod options;
pub mod profile;
pub mod reader;
pub mod rows;
