//! Placeholder: the sandbox is being written.
