//! The apply journal: an append-only JSON-lines record of every call apply
//! makes, one line as each ends (time, provider, method, path, the changes
//! and people it serves, its outcome), opened — and a first `start` line
//! written — before the first API write. The one place its format is
//! written. May import: `model`, `providers` (the outcome of a call),
//! `http` (to halt writes when the journal fails), `private_file`.

use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use crate::providers::Executed;

/// The journal could not be opened or its first line written: nothing may
/// be sent.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the journal {}; nothing was written", .path.display())]
pub(crate) struct JournalError {
    pub path: std::path::PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// The append-only JSON-lines journal: one line per call, as it ends.
pub(crate) struct Journal {
    file: Mutex<std::fs::File>,
    path: std::path::PathBuf,
    people: std::collections::HashMap<usize, String>,
    error: Mutex<Option<String>>,
}

impl Journal {
    /// Open the journal (0600, never through a symlink) and write its first
    /// line, saying a run starts; any failure means nothing may be sent.
    pub(crate) fn open(
        path: &Path,
        people: std::collections::HashMap<usize, String>,
        calls: usize,
    ) -> Result<Self, JournalError> {
        let refused = |source| JournalError {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(refused)?;
        }
        let mut file =
            crate::private_file::open(path, crate::private_file::Mode::Append).map_err(refused)?;
        let mut start = serde_json::json!({
            "time": jiff::Timestamp::now().to_string(),
            "event": "start",
            "hrform": env!("CARGO_PKG_VERSION"),
            "calls": calls,
        })
        .to_string();
        start.push('\n');
        file.write_all(start.as_bytes())
            .and_then(|()| file.flush())
            .map_err(refused)?;
        Ok(Self {
            file: Mutex::new(file),
            path: path.to_owned(),
            people,
            error: Mutex::new(None),
        })
    }

    pub(crate) fn write(&self, e: &Executed) {
        let mut people: Vec<&str> = e
            .call
            .changes
            .iter()
            .filter_map(|id| self.people.get(id).map(String::as_str))
            .collect();
        people.dedup();
        let mut line = serde_json::json!({
            "time": jiff::Timestamp::now().to_string(),
            "provider": e.call.provider,
            "method": e.call.method,
            "path": e.call.path,
            "changes": e.call.changes,
            "people": people,
        });
        // The outcome is what the journal is for: a line without it is an
        // error of the run, and the line says it is missing.
        match (line.as_object_mut(), serde_json::to_value(&e.outcome)) {
            (Some(map), Ok(serde_json::Value::Object(outcome))) => map.extend(outcome),
            (map, got) => {
                let why = match got {
                    Err(err) => err.to_string(),
                    Ok(other) => format!("it serialised to {other} instead of an object"),
                };
                if let Some(map) = map {
                    map.insert("outcome".into(), "unrecorded".into());
                    map.insert("journal_error".into(), why.clone().into());
                }
                self.error
                    .lock()
                    .expect("journal error lock")
                    .get_or_insert(format!(
                        "the outcome of {} {} could not be recorded: {why}",
                        e.call.method, e.call.path
                    ));
            }
        }
        let mut text = line.to_string();
        text.push('\n');
        let mut file = self.file.lock().expect("journal lock");
        if let Err(err) = file.write_all(text.as_bytes()).and_then(|()| file.flush()) {
            // A write hrform cannot record is a write nobody can audit:
            // nothing more is sent.
            crate::http::halt_writes(format!(
                "not sent: the journal {} could not be written",
                self.path.display()
            ));
            self.error
                .lock()
                .expect("journal error lock")
                .get_or_insert(err.to_string());
        }
    }

    pub(crate) fn error(&self) -> Option<String> {
        self.error.lock().expect("journal error lock").clone()
    }
}
