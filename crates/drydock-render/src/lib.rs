//! Renderers for the drydock findings model: rustc-style human diagnostics, a versioned JSON
//! document (`docs/json-output.md`), and SARIF 2.1.0.

mod human;
mod json;
mod sarif;

pub use human::{HumanOptions, render_human};
pub use json::{JSON_SCHEMA_VERSION, render_json};
pub use sarif::render_sarif;

/// The name and version written into machine-readable outputs.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}
