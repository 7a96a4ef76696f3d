//! The stable ids a ledger gives: each planned action's id, and the hash of a
//! playbook's source. Both are the one documented hash of siyu (FNV-1a 64 over parts
//! joined by `0x00` bytes, through the splitmix64 finalizer; see `eval::holdout`),
//! written as 16 lowercase hexadecimal digits.
//!
//! An action's id hashes, in this order: the playbook's key, the as-of time as whole
//! seconds since 1970-01-01T00:00:00Z in decimal (`1795568400`), the member's id, the
//! rule's name, and the action's index among the rule's `then` clauses (from 0, in
//! decimal). A re-run of the same day gives the same ids, whatever offset the as-of
//! time was written with.

use jiff::Timestamp;

use crate::eval::hash_parts;

/// An action id, as a number (shown as 16 hexadecimal digits).
pub(crate) type ActionId = u64;

/// Makes the ids of one run's actions.
#[derive(Debug, Clone)]
pub(crate) struct ActionIds {
    key: Box<str>,
    as_of: Box<str>,
}

impl ActionIds {
    /// The ids of a run of the playbook with this key at `as_of`.
    pub(crate) fn new(key: &str, as_of: Timestamp) -> Self {
        ActionIds {
            key: key.into(),
            as_of: as_of.as_second().to_string().into(),
        }
    }

    /// The id of the action at `position` in `rule`, planned for `member`.
    pub(crate) fn id(&self, member: &str, rule: &str, position: usize) -> ActionId {
        let position = position.to_string();
        hash_parts(&[
            self.key.as_bytes(),
            self.as_of.as_bytes(),
            member.as_bytes(),
            rule.as_bytes(),
            position.as_bytes(),
        ])
    }
}

/// An id written as 16 lowercase hexadecimal digits.
pub(crate) fn hex(id: u64) -> [u8; 16] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 16];
    for (index, byte) in out.iter_mut().enumerate() {
        let shift = 60 - 4 * index;
        *byte = DIGITS[((id >> shift) & 0xf) as usize];
    }
    out
}

/// An id's 16 hexadecimal digits as a string.
pub(crate) fn hex_string(id: u64) -> String {
    String::from_utf8_lossy(&hex(id)).into_owned()
}

/// Reads 16 hexadecimal digits back into an id.
pub(crate) fn parse_hex(text: &str) -> Option<u64> {
    if text.len() != 16 {
        return None;
    }
    u64::from_str_radix(text, 16).ok()
}

/// The hash of a playbook's source: every file it was read from, in order, each as its
/// name and its text.
pub(crate) fn source_hash<'a>(files: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut parts: Vec<&[u8]> = Vec::new();
    for (name, text) in files {
        parts.push(name.as_bytes());
        parts.push(text.as_bytes());
    }
    hex_string(hash_parts(&parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_every_part_and_read_back() {
        let as_of = Timestamp::from_second(1_795_568_400).expect("a time");
        let ids = ActionIds::new("lumi", as_of);
        let id = ids.id("m1", "invite", 0);
        assert_eq!(id, ActionIds::new("lumi", as_of).id("m1", "invite", 0));
        assert_ne!(id, ids.id("m1", "invite", 1));
        assert_ne!(id, ids.id("m2", "invite", 0));
        assert_ne!(id, ids.id("m1", "invites", 0));
        assert_ne!(id, ActionIds::new("lumi2", as_of).id("m1", "invite", 0));
        let text = hex_string(id);
        assert_eq!(text.len(), 16);
        assert_eq!(parse_hex(&text), Some(id));
        assert_eq!(hex_string(0x0123_4567_89ab_cdef), "0123456789abcdef");
    }

    #[test]
    fn the_id_is_the_documented_hash() {
        let as_of = Timestamp::from_second(1_795_568_400).expect("a time");
        let expected = hash_parts(&[b"k", b"1795568400", b"m", b"r", b"0"]);
        assert_eq!(ActionIds::new("k", as_of).id("m", "r", 0), expected);
    }
}
