//! The plan, the shell's side: reading every provider (in parallel, in
//! `read`) and keeping the clients and what they read for apply
//! (`Session`). Deriving the plan from what was read is the core's
//! `hrform_core::plan`, re-exported here at the paths the shell has always
//! used.

mod read;
mod session;

pub(crate) use hrform_core::plan::*;
pub(crate) use read::{PlanError, declared, make_plan, plan_session, set_verbose};
pub(crate) use session::Session;
