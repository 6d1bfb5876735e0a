//! Change notifications between server processes on one PostgreSQL database: every
//! transaction that writes an audit event (every change) notifies [`CHANNEL`] with the
//! organization's id when it commits, and a [`ChangeListener`] receives them. SQLite has
//! no such channel; its readers check the change counter instead.

use muster_domain::OrgId;
use sqlx::postgres::PgListener;
use uuid::Uuid;

use crate::db::Pools;
use crate::{Result, Store};

/// The `LISTEN/NOTIFY` channel of committed changes; the payload is the organization id.
pub const CHANNEL: &str = "muster_changes";

/// What the listener heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A change of this organization was committed.
    Change(Option<OrgId>),
    /// The connection was lost (and is reconnected by the next call); notifications sent
    /// meanwhile are lost.
    Lost,
}

/// Receives change notifications (PostgreSQL only).
#[derive(Debug)]
pub struct ChangeListener(PgListener);

impl ChangeListener {
    /// Subscribes to [`CHANNEL`]; `None` on SQLite.
    pub async fn connect(store: &Store) -> Result<Option<Self>> {
        let Pools::Postgres(pool) = &store.pools else {
            return Ok(None);
        };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(Self(listener)))
    }

    /// Waits for the next notification, or reports a lost connection.
    pub async fn next(&mut self) -> Result<Heard> {
        Ok(match self.0.try_recv().await? {
            Some(notification) => Heard::Change(
                notification
                    .payload()
                    .parse::<Uuid>()
                    .ok()
                    .map(OrgId::from_uuid),
            ),
            None => Heard::Lost,
        })
    }
}
