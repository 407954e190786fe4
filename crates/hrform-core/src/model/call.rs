//! Calls: the exact API requests apply would make.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The HTTP method of a planned call.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Put,
    Patch,
    Post,
    Delete,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        })
    }
}

/// What a call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Operation {
    /// A read (a read-back, a recheck).
    #[default]
    Read,
    /// Activate or deactivate people (Connecteam: a batch of up to 25).
    Status,
    /// Put people on a policy (Clockify: a full replace of its users).
    Assign,
    /// Write balances.
    Balance,
    CreateRequest,
    UpdateRequest,
    DenyRequest,
}

/// One API call apply would make, exactly: method, path (with query,
/// relative to the provider's base URL) and JSON body, and the changes it
/// realises. Built by the provider module, the only one that knows the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Call {
    pub provider: String,
    /// What the call does, for apply to dispatch on (never sniffed from the
    /// path or method); not part of the plan document: apply rebuilds calls.
    #[serde(skip)]
    #[schemars(skip)]
    pub op: Operation,
    pub method: Method,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Ids of the changes this call realises.
    pub changes: Vec<usize>,
}
