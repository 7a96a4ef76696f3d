//! Name lookups on the decoding hot path: every key of every snapshot is looked up in
//! its object's schema, and every touch names a rule and a channel. Names are grouped
//! by their length in bytes, so a lookup compares the key only with names of its own
//! length, and a key of a length no name has (most keys a schema ignores) is rejected
//! without reading it; names of one length are kept sorted, so a playbook with a
//! thousand rules named alike still finds one in a few comparisons. No hashing.

/// Up to this many names of one length are compared one by one, which is quicker than
/// halving for so few.
const SHORT_RUN: usize = 8;

/// Names and their positions, grouped by length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NameIndex {
    /// `by_length[n]`: the names of `n` bytes, sorted, with their positions.
    by_length: Vec<Vec<(Box<str>, u32)>>,
}

impl NameIndex {
    /// An index of `names`, each at its position in the sequence.
    pub(crate) fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut index = NameIndex::default();
        for (position, name) in names.into_iter().enumerate() {
            index.insert(name, position as u32);
        }
        index
    }

    /// Adds a name, or moves it to a new position.
    pub(crate) fn insert(&mut self, name: &str, position: u32) {
        let length = name.len();
        if self.by_length.len() <= length {
            self.by_length.resize_with(length + 1, Vec::new);
        }
        let Some(names) = self.by_length.get_mut(length) else {
            return;
        };
        match names.binary_search_by(|(known, _)| known.as_bytes().cmp(name.as_bytes())) {
            Ok(found) => {
                if let Some(entry) = names.get_mut(found) {
                    entry.1 = position;
                }
            }
            Err(place) => names.insert(place, (Box::from(name), position)),
        }
    }

    /// The position of a name.
    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        let names = self.by_length.get(name.len())?;
        if names.len() > SHORT_RUN {
            return search(names, name);
        }
        let found = names
            .iter()
            .find(|(known, _)| known.as_bytes() == name.as_bytes());
        found.map(|&(_, position)| position)
    }
}

/// Finds a name among many of its length by halves.
#[inline(never)]
fn search(names: &[(Box<str>, u32)], name: &str) -> Option<u32> {
    let found = names.binary_search_by(|(known, _)| known.as_bytes().cmp(name.as_bytes()));
    names.get(found.ok()?).map(|&(_, position)| position)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_of_every_length_and_rejects_the_rest() {
        let index = NameIndex::from_names(["id", "orders", "spend", "tier", "city", "名字"]);
        assert_eq!(index.get("id"), Some(0));
        assert_eq!(index.get("tier"), Some(3));
        assert_eq!(index.get("city"), Some(4));
        assert_eq!(index.get("名字"), Some(5));
        assert_eq!(index.get("tie"), None);
        assert_eq!(index.get("cityx"), None);
        assert_eq!(index.get(""), None);
        assert_eq!(index.get("a_name_longer_than_every_known_one"), None);
    }

    #[test]
    fn many_names_of_one_length() {
        let names: Vec<String> = (0..1000).rev().map(|i| format!("r{i:04}")).collect();
        let index = NameIndex::from_names(names.iter().map(String::as_str));
        assert_eq!(index.get("r0999"), Some(0));
        assert_eq!(index.get("r0000"), Some(999));
        assert_eq!(index.get("r0500"), Some(499));
        assert_eq!(index.get("r1000"), None);
    }

    #[test]
    fn a_name_inserted_again_moves() {
        let mut index = NameIndex::from_names(["a", "b"]);
        index.insert("a", 7);
        assert_eq!(index.get("a"), Some(7));
        assert_eq!(index.get("b"), Some(1));
    }
}
