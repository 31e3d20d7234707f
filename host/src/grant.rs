//! What one invocation may touch: the directories it is handed and the lock it runs under.

use std::path::PathBuf;
use std::sync::Arc;

use crate::staging::Stage;

/// Read-only or read-write, for one preopened directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    ReadOnly,
    ReadWrite,
}

/// One host directory made visible to the guest at `guest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preopen {
    pub host: PathBuf,
    pub guest: String,
    pub permission: Permission,
}

/// Which writers a command must exclude while it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LockScope {
    /// Read-only: readers never lock (writers replace files by rename).
    #[default]
    None,
    /// Writes only inside one user's directory.
    User(String),
    /// Writes to a system directory.
    Global,
}

/// Everything the sandbox of one invocation is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    preopens: Vec<Preopen>,
    lock: LockScope,
    /// The staged copy the read-write user directory points at, committed on success.
    stage: Option<Arc<Stage>>,
    /// The stage of the caller of a nested command of the same user: its user directory, if
    /// granted, points at it, whatever it changes in place is unshared through it, and the
    /// caller commits it.
    caller_stage: Option<Arc<Stage>>,
}

impl Grant {
    /// A grant of `preopens` under `lock`.
    pub fn new(preopens: Vec<Preopen>, lock: LockScope) -> Self {
        Self {
            preopens,
            lock,
            stage: None,
            caller_stage: None,
        }
    }

    /// The same grant, committing `stage` when the command succeeds.
    pub fn with_stage(mut self, stage: Arc<Stage>) -> Self {
        self.stage = Some(stage);
        self
    }

    /// The same grant, for a nested command running inside its caller's `stage`.
    pub fn within_stage(mut self, stage: Arc<Stage>) -> Self {
        self.caller_stage = Some(stage);
        self
    }

    /// The stage of this grant, if its user directory is staged.
    pub fn stage(&self) -> Option<&Stage> {
        self.stage.as_deref()
    }

    /// The stage the grant's user directory points at, its own or its caller's: what the
    /// sandbox unshares files of before changing them in place ([`Stage::unshare`]).
    pub fn writes_into_stage(&self) -> Option<&Arc<Stage>> {
        self.stage.as_ref().or(self.caller_stage.as_ref())
    }

    /// Whether the guest's syncs can wait for the commit: the grant is staged, and its commit
    /// syncs the filesystem of every directory the grant may write before anything becomes
    /// visible (see [`Grant::finish_staged`]).
    pub fn syncs_deferred_to_commit(&self) -> bool {
        self.stage.is_some()
    }

    /// The writable directories other than the stage, which the commit syncs too.
    fn unstaged_writable(&self, stage: &Stage) -> Vec<&std::path::Path> {
        let staged = stage.path();
        self.preopens
            .iter()
            .filter(|preopen| preopen.permission == Permission::ReadWrite)
            .filter(|preopen| preopen.host != staged)
            .map(|preopen| preopen.host.as_path())
            .collect()
    }

    /// Called when the command ended: `succeeded` commits the stage (if any), otherwise it is
    /// discarded. Returns whether the command's changes are now visible (true without a stage).
    pub fn finish_staged(&self, succeeded: bool) -> bool {
        match &self.stage {
            None => succeeded,
            Some(stage) if succeeded => stage.commit(&self.unstaged_writable(stage)),
            Some(stage) => {
                stage.discard();
                false
            }
        }
    }

    /// The directories, in mount order.
    pub fn preopens(&self) -> &[Preopen] {
        &self.preopens
    }

    /// The lock the invocation runs under.
    pub fn lock(&self) -> &LockScope {
        &self.lock
    }
}
