//! Scenario language: load a RON file, validate it, apply variants.
//!
//! `load` → [`ValidScenario`] is the only way into the simulator: everything downstream may
//! assume ids resolve, ranges hold and limits are respected.

pub mod schema;

use crate::error::{Error, Result};
use schema::{ChangeSpec, ScenarioSpec};
use std::path::{Path, PathBuf};

/// A scenario that passed validation (with a variant applied, if any).
#[derive(Debug, Clone)]
pub struct ValidScenario {
    /// The validated specification.
    pub spec: ScenarioSpec,
    /// File it came from.
    pub path: PathBuf,
    /// The file's text (for diagnostics of variants and sweeps).
    pub source: String,
    /// sha256 of the file's bytes, lowercase hex.
    pub hash: String,
    /// Variant applied, if any.
    pub variant: Option<String>,
    /// Warnings found (legal but suspicious), rendered one per entry.
    pub warnings: Vec<String>,
}

impl ValidScenario {
    /// File stem used for default output directories (made file-name safe).
    pub fn stem(&self) -> String {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".to_string());
        crate::output::safe_file_name(&stem)
    }

    /// The scenario with variant `id` applied and validated again.
    pub fn with_variant(&self, id: &str) -> Result<ValidScenario> {
        let _ = id;
        Err(Error::Runtime("variants are not yet available".into()))
    }

    /// The scenario with extra changes applied (sweeps), validated again.
    pub fn with_changes(&self, changes: &[ChangeSpec]) -> Result<ValidScenario> {
        let _ = changes;
        Err(Error::Runtime("changes are not yet available".into()))
    }
}

/// Read, parse and validate a scenario file.
pub fn load(path: &Path) -> Result<ValidScenario> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let source = String::from_utf8(bytes)
        .map_err(|_| Error::Invalid(format!("{}: not UTF-8 text", path.display())))?;
    load_str(path, &source)
}

/// Parse and validate scenario text that came from `path`.
pub fn load_str(path: &Path, source: &str) -> Result<ValidScenario> {
    let spec: ScenarioSpec =
        ron::from_str(source).map_err(|e| Error::Invalid(format!("{}:{}", path.display(), e)))?;
    Ok(ValidScenario {
        spec,
        path: path.to_path_buf(),
        source: source.to_string(),
        hash: sha256_hex(source.as_bytes()),
        variant: None,
        warnings: Vec::new(),
    })
}

/// Lowercase hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `tabletop validate`.
pub fn cmd_validate(args: &crate::cli::ValidateArgs) -> Result<()> {
    let mut bad = 0;
    for f in &args.files {
        match load(f) {
            Ok(s) => println!("{}: ok ({} agencies)", f.display(), s.spec.agencies.len()),
            Err(e) => {
                eprintln!("{e}");
                bad += 1;
            }
        }
    }
    if bad > 0 {
        return Err(Error::Invalid(format!("{bad} file(s) invalid")));
    }
    Ok(())
}

/// `tabletop new`.
pub fn cmd_new(args: &crate::cli::NewArgs) -> Result<()> {
    let _ = args;
    Err(Error::Runtime("`tabletop new` is not yet available".into()))
}
