//! What the API's page defines, below everything else: the seven kinds, the ten reference
//! entities, scalar values, the error codes and texts and the per-kind schemas. Nothing
//! here knows of the command line, HTTP or SQLite.

pub mod codes;
pub mod entity;
pub mod epoch;
pub mod kind;
pub mod schema;
pub mod values;
