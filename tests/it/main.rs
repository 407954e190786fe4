//! Integration tests: the real binary against manifests on disk and the sandbox over HTTP.
mod sandbox;
