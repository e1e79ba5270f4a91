//! Load diagnostics: every problem in every rule file, with its position.

use std::fmt;

/// One problem found while loading rules: `file:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// The file as shown to the user (`rules/aws/s3/x.yaml` or `<builtin>/…`).
    pub file: String,
    /// 1-based; 0 when the problem is about the file as a whole.
    pub line: u32,
    /// 1-based; 0 when the problem is about the file as a whole.
    pub column: u32,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: &str, pos: crate::load::node::Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Loading failed: all diagnostics, sorted by file and position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        writeln!(
            f,
            "{n} error{} in rule files:",
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}
