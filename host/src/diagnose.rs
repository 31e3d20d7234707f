//! What stopped a sandboxed command, named for the log: the wasm trap (`call stack
//! exhausted`, `interrupt`, ...) or the innermost cause, instead of a bare "plugin trapped"
//! followed by a backtrace. Never shown to a client (`runtime::failure_outcome` answers).

use crate::runtime::RuntimeError;

/// The trap code or innermost cause of `error`, as one line.
pub fn cause(error: &RuntimeError) -> String {
    match error {
        RuntimeError::Trap(source)
        | RuntimeError::StackOverflow(source)
        | RuntimeError::Setup(source) => match source.downcast_ref::<wasmtime::Trap>() {
            Some(trap) => trap.to_string(),
            None => source
                .root_cause()
                .to_string()
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trap_is_named_by_its_code() {
        let error = RuntimeError::Trap(wasmtime::Error::from(wasmtime::Trap::StackOverflow));
        assert_eq!(cause(&error), "wasm trap: call stack exhausted");
    }

    #[test]
    fn other_failures_keep_their_message() {
        let error = RuntimeError::Timeout(std::time::Duration::from_millis(5));
        assert_eq!(cause(&error), "plugin exceeded its time limit of 5ms");
        let error = RuntimeError::Trap(wasmtime::Error::msg("first line\nsecond"));
        assert_eq!(cause(&error), "first line");
    }
}
