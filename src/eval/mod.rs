//! Evaluation of one member against a compiled playbook: [`value`]s and their null
//! rules ([`ops`]), expressions, send times and windows, the holdout hash, the planner,
//! and the explain [`trace`].
//!
//! Without a schema, a type error met here (`"abc" > 3`) makes the member an error
//! record naming the rule and the expression. Where the language description is
//! silent: `==` between values of different kinds is false rather than an error;
//! functions given null return null; `any`/`all`/`count` over a null list give null;
//! indexing past the end of a list gives null; arithmetic that yields NaN or an
//! infinity gives null; `date ± duration` adds the duration's whole days.

mod budget;
pub(crate) mod expr;
mod holdout;
pub mod ops;
pub(crate) mod output;
pub(crate) mod planner;
pub(crate) mod time;
pub mod trace;
pub mod value;

pub(crate) use holdout::hash_parts;
pub use holdout::{experiment_bucket, holdout_bucket, BUCKETS};
pub use value::{Object, Value};
