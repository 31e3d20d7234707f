//! Placeholder: the scoped-key, abuse-control and audit suite.
