//! The Connecteam provider: the only module that knows Connecteam's paths and JSON.
//! (Skeleton: being built for issue 4.)

use super::{Endpoint, ProviderError};
use crate::manifest::checked;
use crate::model::{Call, Change, LiveState, ReadScope};

/// A read-only Connecteam client.
pub struct Client {
    _endpoint: Endpoint,
}

impl Client {
    pub fn new(_provider: &checked::Provider, endpoint: Endpoint) -> Result<Self, ProviderError> {
        Ok(Self {
            _endpoint: endpoint,
        })
    }

    pub async fn read(&self, _scope: &ReadScope) -> Result<LiveState, ProviderError> {
        Err(ProviderError::Connection {
            call: "read".into(),
            message: "the Connecteam provider is not implemented yet".into(),
        })
    }

    pub fn calls(&self, _changes: &[Change], _live: &LiveState) -> Vec<Call> {
        Vec::new()
    }
}
