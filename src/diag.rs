//! Diagnostics: stable codes, source locations and rendering.
