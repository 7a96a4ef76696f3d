//! The output types of planning.
