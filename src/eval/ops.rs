//! Operators on values: equality, ordering, arithmetic, membership, with the null rules
//! of the language. Each returns the problem in words when the operand types do not fit;
//! the evaluator adds the expression it happened in.

use std::cmp::Ordering;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use super::value::Value;
use crate::limits::{bytes_in_words, MAX_LIST_ITEMS, MAX_TEXT_BYTES};

/// 2^63, the first float beyond the integers (`i64::MAX as f64` rounds up to it).
pub(crate) const TWO_POW_63: f64 = i64::MAX as f64;

/// Seconds in a day.
const DAY: i64 = 86_400;

/// `==`: values compare by value; an integer equals a float of the same value; `null`
/// equals only `null`; values of different kinds are simply not equal.
pub fn equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            compare_numbers(left, right) == Some(Ordering::Equal)
        }
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::Date(a), Value::Date(b)) => a == b,
        (Value::DateTime(a), Value::DateTime(b)) => a == b,
        (Value::Duration(a), Value::Duration(b)) => a == b,
        (Value::Time(a), Value::Time(b)) => a == b,
        (Value::List(a), Value::List(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| equal(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.fields().all(|(key, value)| equal(value, b.get(key)))
        }
        _ => false,
    }
}

/// Orders two numbers by value (`None` only for values that are not numbers).
fn compare_numbers(left: &Value, right: &Value) -> Option<Ordering> {
    match (left, right) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Int(a), Value::Float(b)) => compare_int_float(*a, *b),
        (Value::Float(a), Value::Int(b)) => compare_int_float(*b, *a).map(Ordering::reverse),
        (Value::Float(a), Value::Float(b)) => a.partial_cmp(b),
        _ => None,
    }
}

/// Compares an integer with a float exactly, even beyond 2^53.
fn compare_int_float(int: i64, float: f64) -> Option<Ordering> {
    if float.is_nan() {
        return None;
    }
    if float >= TWO_POW_63 {
        return Some(Ordering::Less);
    }
    if float < -TWO_POW_63 {
        return Some(Ordering::Greater);
    }
    let whole = float.trunc();
    match int.cmp(&(whole as i64)) {
        Ordering::Equal => 0.0f64.partial_cmp(&(float - whole)),
        other => Some(other),
    }
}

/// `<`, `<=`, `>`, `>=`: `Ok(None)` when either side is null (the comparison is then
/// false); an error when the two kinds cannot be ordered.
pub fn order(left: &Value, right: &Value) -> Result<Option<Ordering>, String> {
    let ordering = match (left, right) {
        (Value::Null, _) | (_, Value::Null) => return Ok(None),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            compare_numbers(left, right)
        }
        (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
        (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
        (Value::DateTime(a), Value::DateTime(b)) => Some(a.cmp(b)),
        (Value::Duration(a), Value::Duration(b)) => Some(a.cmp(b)),
        (Value::Time(a), Value::Time(b)) => Some(a.cmp(b)),
        _ => {
            return Err(format!(
                "cannot compare {} with {}",
                left.kind(),
                right.kind()
            ))
        }
    };
    Ok(ordering)
}

/// The arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

impl Arith {
    fn verb(self) -> &'static str {
        match self {
            Arith::Add => "add",
            Arith::Sub => "subtract",
            Arith::Mul => "multiply",
            Arith::Div => "divide",
            Arith::Rem => "take the remainder of",
        }
    }
}

/// `a OP b` with the language's rules: null in, null out; integer overflow and division
/// by zero give null; `/` always gives a float; `%` keeps the sign of the left side.
pub fn arithmetic(op: Arith, left: &Value, right: &Value) -> Result<Value, String> {
    if left.is_null() || right.is_null() {
        return Ok(Value::Null);
    }
    let result = match (op, left, right) {
        (_, Value::Int(a), Value::Int(b)) => integer(op, *a, *b),
        (_, Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            Some(floating(op, as_float(left), as_float(right)))
        }
        (Arith::Add, Value::Str(a), Value::Str(b)) => {
            if a.len() + b.len() > MAX_TEXT_BYTES {
                return Err(format!(
                    "the joined text would be longer than {}",
                    bytes_in_words(MAX_TEXT_BYTES)
                ));
            }
            let mut joined = String::with_capacity(a.len() + b.len());
            joined.push_str(a);
            joined.push_str(b);
            Some(Value::Str(Arc::from(joined)))
        }
        (Arith::Add, Value::List(a), Value::List(b)) => {
            if a.len() + b.len() > MAX_LIST_ITEMS {
                return Err(format!(
                    "the joined list would have more than {MAX_LIST_ITEMS} items"
                ));
            }
            Some(Value::List(a.iter().chain(b.iter()).cloned().collect()))
        }
        _ => temporal(op, left, right)?,
    };
    Ok(result.unwrap_or(Value::Null))
}

fn as_float(value: &Value) -> f64 {
    match value {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    }
}

fn integer(op: Arith, a: i64, b: i64) -> Option<Value> {
    match op {
        Arith::Add => a.checked_add(b).map(Value::Int),
        Arith::Sub => a.checked_sub(b).map(Value::Int),
        Arith::Mul => a.checked_mul(b).map(Value::Int),
        Arith::Div => (b != 0).then(|| Value::float(a as f64 / b as f64)),
        Arith::Rem => a.checked_rem(b).map(Value::Int),
    }
}

fn floating(op: Arith, a: f64, b: f64) -> Value {
    match op {
        Arith::Add => Value::float(a + b),
        Arith::Sub => Value::float(a - b),
        Arith::Mul => Value::float(a * b),
        Arith::Div if b == 0.0 => Value::Null,
        Arith::Div => Value::float(a / b),
        Arith::Rem if b == 0.0 => Value::Null,
        Arith::Rem => Value::float(a % b),
    }
}

/// Dates, date-times and durations: `date - date` and `datetime - datetime` give a
/// duration; `datetime ± duration` and `date ± duration` (whole days) keep their type;
/// durations add, subtract, and multiply by integers.
fn temporal(op: Arith, left: &Value, right: &Value) -> Result<Option<Value>, String> {
    let value = match (op, left, right) {
        (Arith::Sub, Value::Date(a), Value::Date(b)) => {
            Some(Value::Duration(a.duration_since(*b).as_secs()))
        }
        (Arith::Sub, Value::DateTime(a), Value::DateTime(b)) => {
            Some(Value::Duration(a.duration_since(*b).as_secs()))
        }
        (Arith::Add, Value::DateTime(t), Value::Duration(d))
        | (Arith::Add, Value::Duration(d), Value::DateTime(t)) => shift_instant(*t, *d),
        (Arith::Sub, Value::DateTime(t), Value::Duration(d)) => {
            d.checked_neg().and_then(|d| shift_instant(*t, d))
        }
        (Arith::Add, Value::Date(date), Value::Duration(d))
        | (Arith::Add, Value::Duration(d), Value::Date(date)) => shift_date(*date, d / DAY),
        (Arith::Sub, Value::Date(date), Value::Duration(d)) => shift_date(*date, -(d / DAY)),
        (Arith::Add, Value::Duration(a), Value::Duration(b)) => {
            a.checked_add(*b).map(Value::Duration)
        }
        (Arith::Sub, Value::Duration(a), Value::Duration(b)) => {
            a.checked_sub(*b).map(Value::Duration)
        }
        (Arith::Mul, Value::Duration(d), Value::Int(n))
        | (Arith::Mul, Value::Int(n), Value::Duration(d)) => d.checked_mul(*n).map(Value::Duration),
        _ => {
            return Err(format!(
                "cannot {} {} and {}",
                op.verb(),
                left.kind(),
                right.kind()
            ))
        }
    };
    Ok(value)
}

fn shift_instant(at: Timestamp, seconds: i64) -> Option<Value> {
    at.checked_add(SignedDuration::from_secs(seconds))
        .ok()
        .map(Value::DateTime)
}

fn shift_date(date: Date, days: i64) -> Option<Value> {
    let days = i32::try_from(days).ok()?;
    date.checked_add(jiff::Span::new().try_days(days).ok()?)
        .ok()
        .map(Value::Date)
}

/// Unary `-`: numbers and durations; integer overflow gives null.
pub fn negate(value: &Value) -> Result<Value, String> {
    Ok(match value {
        Value::Null => Value::Null,
        Value::Int(i) => i.checked_neg().map_or(Value::Null, Value::Int),
        Value::Float(f) => Value::Float(-f),
        Value::Duration(d) => d.checked_neg().map_or(Value::Null, Value::Duration),
        other => return Err(format!("cannot negate {}", other.kind())),
    })
}

/// `x in haystack`: membership in a list, or a substring of a string. A null needle or
/// a null haystack is never in anything.
pub fn contains(haystack: &Value, needle: &Value) -> Result<bool, String> {
    match (haystack, needle) {
        (_, Value::Null) | (Value::Null, _) => Ok(false),
        (Value::List(items), _) => Ok(items.iter().any(|item| equal(item, needle))),
        (Value::Str(text), Value::Str(sub)) => Ok(text.contains(&**sub)),
        (Value::Str(_), other) => Err(format!(
            "cannot look for {} in a string (only a string)",
            other.kind()
        )),
        (other, _) => Err(format!(
            "cannot look inside {} (only a list or a string)",
            other.kind()
        )),
    }
}

/// How a boolean operand reads: null is false, anything else that is not a boolean is
/// an error.
pub fn truth(value: &Value) -> Result<bool, String> {
    match value {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        other => Err(format!("expected true or false, found {}", other.kind())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arith(op: Arith, a: Value, b: Value) -> Value {
        arithmetic(op, &a, &b).unwrap()
    }

    #[test]
    fn integers_stay_integers_and_overflow_to_null() {
        assert_eq!(
            arith(Arith::Add, Value::Int(2), Value::Int(3)),
            Value::Int(5)
        );
        assert_eq!(
            arith(Arith::Mul, Value::Int(i64::MAX), Value::Int(2)),
            Value::Null
        );
        assert_eq!(
            arith(Arith::Sub, Value::Int(i64::MIN), Value::Int(1)),
            Value::Null
        );
    }

    #[test]
    fn division_is_float_and_by_zero_is_null() {
        assert_eq!(
            arith(Arith::Div, Value::Int(10), Value::Int(4)),
            Value::Float(2.5)
        );
        assert_eq!(arith(Arith::Div, Value::Int(1), Value::Int(0)), Value::Null);
        assert_eq!(
            arith(Arith::Div, Value::Float(1.0), Value::Float(0.0)),
            Value::Null
        );
        assert_eq!(arith(Arith::Rem, Value::Int(1), Value::Int(0)), Value::Null);
    }

    #[test]
    fn remainder_takes_the_sign_of_the_left_side() {
        assert_eq!(
            arith(Arith::Rem, Value::Int(-7), Value::Int(3)),
            Value::Int(-1)
        );
        assert_eq!(
            arith(Arith::Rem, Value::Int(7), Value::Int(-3)),
            Value::Int(1)
        );
        assert_eq!(
            arith(Arith::Rem, Value::Int(i64::MIN), Value::Int(-1)),
            Value::Null
        );
    }

    #[test]
    fn null_propagates_and_mixing_gives_float() {
        assert_eq!(arith(Arith::Add, Value::Null, Value::Int(1)), Value::Null);
        assert_eq!(
            arith(Arith::Add, Value::Int(1), Value::Float(0.5)),
            Value::Float(1.5)
        );
        assert_eq!(
            arith(Arith::Add, Value::str("a"), Value::str("b")),
            Value::str("ab")
        );
    }

    #[test]
    fn comparisons_with_null_are_false_and_numbers_compare_by_value() {
        assert_eq!(order(&Value::Null, &Value::Int(3)).unwrap(), None);
        assert!(equal(&Value::Int(3), &Value::Float(3.0)));
        assert!(equal(&Value::Null, &Value::Null));
        assert!(!equal(&Value::Null, &Value::Int(0)));
        assert_eq!(
            order(&Value::Int(i64::MAX), &Value::Float(9.3e18)).unwrap(),
            Some(Ordering::Less)
        );
        assert!(order(&Value::str("abc"), &Value::Int(3)).is_err());
    }

    #[test]
    fn dates_subtract_to_durations_and_shift_by_whole_days() {
        let a: Date = "2026-11-25".parse().unwrap();
        let b: Date = "2026-11-20".parse().unwrap();
        assert_eq!(
            arith(Arith::Sub, Value::Date(a), Value::Date(b)),
            Value::Duration(5 * DAY)
        );
        assert_eq!(
            arith(Arith::Add, Value::Date(b), Value::Duration(5 * DAY + 3600)),
            Value::Date(a)
        );
    }

    #[test]
    fn membership_and_substrings() {
        let list = Value::List(Arc::from(vec![Value::Int(1), Value::Int(2)]));
        assert!(contains(&list, &Value::Float(2.0)).unwrap());
        assert!(!contains(&list, &Value::Null).unwrap());
        assert!(contains(&Value::str("VIP-gold"), &Value::str("gold")).unwrap());
        assert!(contains(&Value::Int(3), &Value::Int(3)).is_err());
    }
}
