//! What the API's page defines, below everything else: the seven kinds, the ten reference
//! entities, scalar values, the error codes and texts, the per-kind schemas and the compact
//! stored form of an event. Nothing here knows of the command line, HTTP or SQLite.

pub mod codes;
pub mod entity;
pub mod kind;
pub mod schema;
pub mod values;
