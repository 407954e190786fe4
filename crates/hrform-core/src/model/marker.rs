//! Request markers: the `[hrform:KEY]` note that ties a live request to
//! its declared key, and the keys `hrform export` makes for unmarked ones.

/// The marker hrform puts at the end of a request's manager note.
pub fn request_marker(key: &str) -> String {
    format!("[hrform:{key}]")
}

/// A manager note ending with the marker of `key` (the note trimmed; the
/// marker alone when there is none).
pub fn with_marker(note: Option<&str>, key: &str) -> String {
    match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("{n} {}", request_marker(key)),
        None => request_marker(key),
    }
}

/// The key of the trailing `[hrform:KEY]` marker of a manager note.
pub fn marker_key(note: &str) -> Option<&str> {
    let note = note.trim_end();
    let rest = note.strip_suffix(']')?;
    let start = rest.rfind("[hrform:")?;
    let key = &rest[start + "[hrform:".len()..];
    (!key.is_empty()).then_some(key)
}

/// What `hrform export` prefixes a live request's id with to make the key
/// of a request that carries no `[hrform:KEY]` marker: plan matches a
/// declared request with such a key to the live request of that id, with
/// no marker written (see [`id_key_target`]).
pub const ID_KEY_PREFIX: &str = "connecteam:";

/// The key `hrform export` gives the unmarked live request `id`.
pub fn id_key(id: &str) -> String {
    format!("{ID_KEY_PREFIX}{id}")
}

/// The live request id a key made by [`id_key`] names, if it is one.
pub fn id_key_target(key: &str) -> Option<&str> {
    key.strip_prefix(ID_KEY_PREFIX).filter(|id| !id.is_empty())
}
