//! Holdout membership: a fixed hash of the playbook's key and the member's id, so the
//! control group is the same across runs, machines and releases. The key is the
//! `key "…"` of the `playbook` declaration, or its name when it has none.
//!
//! The hash is FNV-1a (64-bit) over the UTF-8 bytes of the playbook's key, one `0x00`
//! byte, and the bytes of the member's id as a string; the result goes through the
//! splitmix64 finalizer to spread the bits. The member's bucket is that value modulo
//! 10 000, and the member is held out when its bucket is below `round(P × 100)` for a
//! `holdout P%`.

//!
//! Experiments use the same hash over other bytes, so that the two are independent:
//! the text `siyu-experiment`, a `0x00`, the playbook's key, a `0x00`, the
//! experiment's name, a `0x00`, and the member's id; modulo 10 000 it is the member's
//! experiment bucket (see `Experiment::new` for how variants own buckets).

/// How many buckets the holdout and each experiment divide members into.
pub const BUCKETS: u32 = 10_000;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The member's holdout bucket, from 0 to 9 999.
pub fn holdout_bucket(playbook_key: &str, member_id: &str) -> u32 {
    (hash_parts(&[playbook_key.as_bytes(), member_id.as_bytes()]) % 10_000) as u32
}

/// FNV-1a (64-bit) over the parts joined by one `0x00` byte each, through the
/// splitmix64 finalizer: the one hash every stable id of siyu is made of.
pub(crate) fn hash_parts(parts: &[&[u8]]) -> u64 {
    let mut hash = FNV_OFFSET;
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            hash ^= 0;
            hash = hash.wrapping_mul(FNV_PRIME);
        }
        for &byte in *part {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
    }
    splitmix64(hash)
}

/// The member's bucket in an experiment, from 0 to 9 999.
pub fn experiment_bucket(playbook_key: &str, experiment: &str, member_id: &str) -> u32 {
    let parts: [&[u8]; 4] = [
        b"siyu-experiment",
        playbook_key.as_bytes(),
        experiment.as_bytes(),
        member_id.as_bytes(),
    ];
    (hash_parts(&parts) % u64::from(BUCKETS)) as u32
}

fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_stable_and_spread() {
        assert_eq!(holdout_bucket("p", "m1"), holdout_bucket("p", "m1"));
        assert_ne!(holdout_bucket("p", "m1"), holdout_bucket("q", "m1"));
        let held = (0..10_000)
            .filter(|i| holdout_bucket("Lumi", &format!("m{i:07}")) < 500)
            .count();
        assert!(
            (400..=600).contains(&held),
            "{held} of 10000 held out at 5%"
        );
    }

    #[test]
    fn the_hash_is_the_documented_one() {
        // FNV-1a of the empty name, 0x00 and the empty id is FNV-1a of one zero byte:
        // the offset xor 0 (the offset itself) times the prime.
        let fnv_of_zero: u64 = FNV_OFFSET.wrapping_mul(FNV_PRIME);
        assert_eq!(
            holdout_bucket("", ""),
            (splitmix64(fnv_of_zero) % 10_000) as u32
        );
        assert_eq!(fnv_of_zero, 0xaf63_bd4c_8601_b7df);
    }
}
