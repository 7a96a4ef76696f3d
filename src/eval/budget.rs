//! The work budget of one member's evaluation ([`MAX_EVALUATION_STEPS`]). Expressions
//! are small, but the values they read are not: a quantifier visits every item of a
//! list, `in` reads a whole list, and nested quantifiers over long lists multiply. The
//! evaluator charges the budget where work grows with a value's size, and a member
//! whose evaluation would exceed it becomes an error record instead of a hang.

use crate::limits::MAX_EVALUATION_STEPS;

use super::value::Value;

/// Steps left for one member.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    left: u64,
}

impl Budget {
    /// A full budget.
    pub(crate) fn new() -> Self {
        Budget {
            left: MAX_EVALUATION_STEPS,
        }
    }

    /// Spends `steps`; false once the budget is exhausted.
    pub(crate) fn spend(&mut self, steps: u64) -> bool {
        match self.left.checked_sub(steps) {
            Some(left) => {
                self.left = left;
                true
            }
            None => {
                self.left = 0;
                false
            }
        }
    }
}

/// The steps reading a whole value costs: one per item of a list or field of an
/// object, one per 64 bytes of a string, nothing for a scalar.
pub(crate) fn cost(value: &Value) -> u64 {
    match value {
        Value::List(items) => items.len() as u64,
        Value::Object(object) => object.len() as u64,
        Value::Str(text) => text.len() as u64 / 64,
        _ => 0,
    }
}

/// What a member past the budget is told.
pub(crate) fn exhausted() -> String {
    format!("evaluating this member takes more than {MAX_EVALUATION_STEPS} steps")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_runs_out_and_stays_out() {
        let mut budget = Budget::new();
        assert!(budget.spend(MAX_EVALUATION_STEPS - 1));
        assert!(budget.spend(1));
        assert!(!budget.spend(1));
        assert!(!budget.spend(0) || budget.left == 0);
    }

    #[test]
    fn long_values_cost_their_length() {
        assert_eq!(cost(&Value::Int(5)), 0);
        assert_eq!(cost(&Value::str(&"x".repeat(640))), 10);
        let list = Value::List(std::sync::Arc::from(vec![Value::Null; 7]));
        assert_eq!(cost(&list), 7);
    }
}
