//! One connection per host for the whole run, opened on first use and shared by every task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::connection::{ConnectSpec, Connection, ConnectionError};

type Slot = Arc<OnceCell<Result<Arc<Connection>, String>>>;

/// The run's connections, keyed by the host's inventory name (and transport, so a play with
/// `connection: local` does not reuse a host's SSH connection).
#[derive(Default)]
pub struct ConnectionPool {
    slots: Mutex<HashMap<String, Slot>>,
}

impl ConnectionPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// The open connection for `spec`, opening it once; later callers wait for the first opener.
    /// A failed open is remembered: the host stays unreachable for the run.
    pub async fn get(&self, spec: &ConnectSpec) -> Result<Arc<Connection>, ConnectionError> {
        let key = format!(
            "{:?}|{}|{}|{}",
            spec.transport, spec.inventory_name, spec.user, spec.address
        );
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.entry(key).or_default().clone()
        };
        let res = slot
            .get_or_init(|| async {
                Connection::open(spec)
                    .await
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .await;
        match res {
            Ok(c) => Ok(c.clone()),
            Err(msg) => Err(ConnectionError::Remembered(msg.clone())),
        }
    }

    /// Forgets a host's connection (after it broke), so a later play may reconnect.
    pub fn forget(&self, host: &str) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.retain(|k, _| k.split('|').nth(1) != Some(host));
    }

    /// Closes every connection.
    pub async fn close_all(&self) {
        let slots: Vec<Slot> = {
            let mut map = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            map.drain().map(|(_, v)| v).collect()
        };
        for slot in slots {
            if let Ok(slot) = Arc::try_unwrap(slot) {
                if let Some(Ok(conn)) = slot.into_inner() {
                    if let Ok(conn) = Arc::try_unwrap(conn) {
                        conn.close().await;
                    }
                }
            }
        }
    }
}
