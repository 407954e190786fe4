//! The provider-neutral model: live HR state as read from a provider, the
//! changes the planner derives from it, and the API calls that realise them.
//!
//! Only the provider modules know a vendor's paths and JSON; they translate
//! to and from these types. The planner and the renderers see nothing else.
//!
//! Split by concern: `live` (what a provider has, and what to read),
//! `change` (what the planner derives), `call` (the API calls that realise
//! it), `marker` (how a request is tied to its key) and `words` (the
//! vocabulary shared with manifests). Everything is re-exported here.

mod call;
mod change;
mod live;
mod marker;
mod words;

pub use crate::amount::Amount;
pub use call::{Call, Method, Operation};
pub use change::{
    AllowanceBasis, AllowanceChange, BalanceReason, Change, ChangeKind, FieldWords, PersonRef,
    Phase, PolicyRef, Proration, RequestFields,
};
pub use live::{
    AsRead, Holding, LivePerson, LivePolicy, LiveRequest, LiveState, LiveStatus, PeopleFilter,
    PersonId, PolicyId, PolicyTypeRef, ReadScope, RequestStatus, Role, Vendor,
};
pub use marker::{ID_KEY_PREFIX, id_key, id_key_target, marker_key, request_marker, with_marker};
pub use words::{Status, Unit, time_words};
