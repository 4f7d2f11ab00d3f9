//! Dockerfile syntax: a BuildKit-exact parser with spans. Pure: no IO.

pub mod ast;
pub mod bases;
pub mod contexts;
pub mod dump;
pub mod lower;
pub mod parser;

pub use ast::*;
pub use bases::{base_images, expand};
pub use parser::parse;
