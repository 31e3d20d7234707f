//! Serialises writers: one lock per user for commands that write inside a user's directory,
//! and a global lock that excludes every writer for commands that write system directories.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{
    Mutex as AsyncMutex, OwnedMutexGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
};

use crate::grant::LockScope;

/// The lock table.
#[derive(Default)]
pub struct Locks {
    global: Arc<RwLock<()>>,
    users: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// Held for the duration of one command.
pub enum LockGuard {
    None,
    User(OwnedRwLockReadGuard<()>, OwnedMutexGuard<()>),
    Global(OwnedRwLockWriteGuard<()>),
}

impl Locks {
    /// Waits for the locks `scope` needs.
    pub async fn acquire(&self, scope: &LockScope) -> LockGuard {
        match scope {
            LockScope::None => LockGuard::None,
            LockScope::User(user) => {
                let shared = self.global.clone().read_owned().await;
                let user_lock = {
                    let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
                    users.entry(user.clone()).or_default().clone()
                };
                LockGuard::User(shared, user_lock.lock_owned().await)
            }
            LockScope::Global => LockGuard::Global(self.global.clone().write_owned().await),
        }
    }
}
