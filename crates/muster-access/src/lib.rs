//! Muster's access engine: exact, fast, explainable decisions over an in-memory index of
//! one organization (DESIGN.md §2).
//!
//! The engine is pure and synchronous: no I/O, no async, no SQL. The service layer loads
//! an organization's [`Facts`] from the database, builds an [`OrgIndex`] once, keeps it
//! current after every committed change ([`OrgIndex::upsert_user`], or a rebuild for tree,
//! hierarchy and role changes), and asks it questions; every answer is a [`Decision`]
//! carrying the [`Reason`] that decided it, so the API, the console and `muster check` can
//! say *why*.
//!
//! - [`facts`]: the plain data an organization is loaded into;
//! - [`index`]: the index (dense ids, Euler-tour intervals, bitsets, reverse lists);
//! - [`checks`]: capabilities and module levels at a current location, the command
//!   hierarchy's relations and section privileges, profile visibility, no escalation;
//! - [`reverse`]: who can see or change a person's record, who administers them;
//! - [`directory`]: whose directory entry a user sees;
//! - [`scope`]: whom a viewer's privileges reach, as a filter for lists;
//! - [`decision`]: decisions and their reasons.

pub mod checks;
pub mod decision;
pub mod directory;
pub mod facts;
mod hash;
pub mod index;
pub mod reverse;
pub mod scope;

pub use decision::{Decision, Missing, Named, Reason, Relation, ScopeTarget, Target};
pub use directory::DirectoryScope;
pub use facts::{
    Facts, GroupFacts, ModuleFacts, ModuleGrantFacts, NodeFacts, PlacementFacts, RoleFacts,
    UserFacts,
};
pub use index::OrgIndex;
pub use scope::PrivilegeScope;
