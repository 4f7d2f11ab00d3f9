//! Pure generation of files from the project model: no IO here.

pub mod compose;
