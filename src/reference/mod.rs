//! Reference data: the store's view of CRM.COM records that events resolve against.

pub mod csv_dir;
pub mod document;
pub mod file;
pub mod maps;
pub mod merge;
pub mod record;
