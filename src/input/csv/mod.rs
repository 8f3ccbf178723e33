//! CSV input: the row cap and quote tracking under the parser ([`guard`]), the header's plan ([`header`]), the reader that groups rows into events
//! ([`reader`]) and one event's rows as handed to the workers ([`rows`]).

pub mod guard;
pub mod header;
pub mod reader;
pub mod rows;
