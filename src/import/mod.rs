//! `cebulk import`'s pipeline: inputs read in batches, judged on a pool of workers, handed
//! over in input order to the store's one writer, and reported.

pub mod digests;
pub mod handover;
pub mod interrupt;
pub mod pipeline;
pub mod reference_gaps;
pub mod rejects;
pub mod workers;
