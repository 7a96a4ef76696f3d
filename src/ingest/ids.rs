//! The ids seen so far in one input, so that a member given twice is planned once: the
//! second and later snapshots with an id already seen are invalid ("duplicate id `m1`,
//! first at line 3"), whatever caps they would otherwise double.
//!
//! Ids are not kept: each is reduced to a 64-bit hash and a 32-bit check hash (two
//! independent hashes of its text) and the line it was first seen on, 16 bytes in an
//! open-addressing table that is kept at most 7/8 full. A million members take a
//! table of 2^21 slots, 32 MiB. Two different ids are taken for one only when both
//! hashes agree (96 bits); when the 64-bit hashes agree but the check hashes differ, the
//! ids are known to differ, the member is planned, and its id text is kept in a side
//! list so that later copies of it are still found.

use std::hash::{Hash, Hasher};

/// What the table says about an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// The first time: noted.
    First,
    /// Seen before, first on this line.
    Before(u64),
}

/// A slot: the id's hash (0: empty), its check hash and the line it was first seen on
/// (saturating at `u32::MAX`).
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    hash: u64,
    check: u32,
    line: u32,
}

/// The ids of one input.
#[derive(Debug, Default)]
pub(crate) struct IdSet {
    slots: Vec<Slot>,
    used: usize,
    /// Ids whose 64-bit hash equals an earlier, different id's: their text, check hash
    /// and first line.
    colliding: Vec<(Box<str>, u64)>,
}

fn hash_with(seed: u64, id: &str) -> u64 {
    // SipHash with fixed keys: the same id always gets the same hash.
    let mut hasher = std::hash::DefaultHasher::new();
    seed.hash(&mut hasher);
    id.hash(&mut hasher);
    hasher.finish()
}

impl IdSet {
    /// An empty set.
    pub(crate) fn new() -> Self {
        IdSet::default()
    }

    /// Notes `id`, first seen (if new) on `line`.
    pub(crate) fn insert(&mut self, id: &str, line: u64) -> Seen {
        if let Some((_, first)) = self.colliding.iter().find(|(known, _)| &**known == id) {
            return Seen::Before(*first);
        }
        let hash = hash_with(0x5e, id).max(1);
        let check = hash_with(0xc4, id) as u32;
        if (self.used + 1) * 8 > self.slots.len() * 7 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut index = hash as usize & mask;
        loop {
            let slot = self.slots[index];
            if slot.hash == 0 {
                self.slots[index] = Slot {
                    hash,
                    check,
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                };
                self.used += 1;
                return Seen::First;
            }
            if slot.hash == hash {
                if slot.check == check {
                    return Seen::Before(u64::from(slot.line));
                }
                // A different id with the same hash: keep this one by its text.
                self.colliding.push((id.into(), line));
                return Seen::First;
            }
            index = (index + 1) & mask;
        }
    }

    /// The bytes the set holds on the heap.
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self
                .colliding
                .iter()
                .map(|(id, _)| id.len() + std::mem::size_of::<(Box<str>, u64)>())
                .sum::<usize>()
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); capacity]);
        let mask = capacity - 1;
        for slot in old.into_iter().filter(|s| s.hash != 0) {
            let mut index = slot.hash as usize & mask;
            while self.slots[index].hash != 0 {
                index = (index + 1) & mask;
            }
            self.slots[index] = slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_copy_is_found_with_its_first_line() {
        let mut set = IdSet::new();
        for i in 0..10_000u64 {
            assert_eq!(set.insert(&format!("m{i}"), i + 1), Seen::First);
        }
        assert_eq!(set.insert("m42", 20_000), Seen::Before(43));
        assert_eq!(set.insert("m9999", 20_001), Seen::Before(10_000));
        assert_eq!(set.insert("new", 20_002), Seen::First);
    }

    #[test]
    fn a_million_ids_take_32_mib() {
        let mut set = IdSet::new();
        for i in 0..1_000_000u64 {
            set.insert(&format!("m{i:07}"), i + 1);
        }
        assert_eq!(set.heap_bytes(), (1 << 21) * 16);
    }

    #[test]
    fn a_hash_collision_keeps_both_ids() {
        // Force a collision: plant a slot with another id's hash but a different check.
        let mut set = IdSet::new();
        set.insert("a", 1);
        let hash = hash_with(0x5e, "b").max(1);
        let mask = set.slots.len() - 1;
        let mut index = hash as usize & mask;
        while set.slots[index].hash != 0 {
            index = (index + 1) & mask;
        }
        set.slots[index] = Slot {
            hash,
            check: (hash_with(0xc4, "b") as u32).wrapping_add(1),
            line: 2,
        };
        set.used += 1;
        assert_eq!(set.insert("b", 3), Seen::First, "a distinct id is kept");
        assert_eq!(
            set.insert("b", 4),
            Seen::Before(3),
            "and its copies are found"
        );
        assert_eq!(set.insert("a", 5), Seen::Before(1));
    }
}
