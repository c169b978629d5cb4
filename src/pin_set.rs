//! A set of pins checked against presented keys, remembering the keys that matched.

use core::fmt;
use std::sync::OnceLock;

use crate::pin::Pin;

/// How many distinct matching keys a set remembers: the current key, its backup and a couple
/// of rotations. Further keys are still accepted, by hash.
const REMEMBERED_KEYS: usize = 4;

/// `pins` sorted for binary search, without duplicates or spare capacity; `None` if empty.
pub(crate) fn sorted_pins(pins: impl IntoIterator<Item = Pin>) -> Option<Vec<Pin>> {
    let mut pins: Vec<Pin> = pins.into_iter().collect();
    if pins.is_empty() {
        return None;
    }
    pins.sort_unstable();
    pins.dedup();
    // `collect` may reuse the caller's allocation, and `dedup` frees nothing: a set built from a
    // grown Vec of 1M pins kept twice the memory it needs (benches/, item 4).
    pins.shrink_to_fit();
    Some(pins)
}

/// Sorted, deduplicated pins, plus a bounded memo of SubjectPublicKeyInfos that hashed to one of
/// them.
///
/// A pinned verifier sees the same key on every connection, and hashing it is most of the work
/// the pin adds to a handshake's signature check (SHA-256 of a 294-byte RSA-2048 key is ~11k
/// instructions). A key already proven to hash to a pin is compared byte for byte instead.
///
/// Only keys that matched are remembered, so a peer cannot grow the memo; a slot is written
/// once and then read without locking, so verifications sharing the set never wait on each
/// other. Byte equality with a key whose SHA-256 is a pin implies the same SHA-256, so the memo
/// accepts exactly what hashing would.
#[derive(Clone)]
pub(crate) struct PinSet {
    pins: Vec<Pin>,
    matched: [OnceLock<Box<[u8]>>; REMEMBERED_KEYS],
}

impl PinSet {
    /// The set of `pins`, or `None` if there are none.
    pub(crate) fn new(pins: impl IntoIterator<Item = Pin>) -> Option<Self> {
        Some(Self {
            pins: sorted_pins(pins)?,
            matched: Default::default(),
        })
    }

    /// The pins, sorted and without duplicates.
    pub(crate) fn pins(&self) -> &[Pin] {
        &self.pins
    }

    /// Whether the DER SubjectPublicKeyInfo `spki` hashes to one of the pins.
    pub(crate) fn matches_key(&self, spki: &[u8]) -> bool {
        for slot in &self.matched {
            match slot.get() {
                Some(known) if **known == *spki => return true,
                Some(_) => {}
                // Slots fill in order: no key beyond an empty one.
                None => break,
            }
        }
        // `pins` is sorted: a binary search keeps large pin sets cheap (benches/, item 4).
        if self.pins.binary_search(&Pin::from_spki_der(spki)).is_err() {
            return false;
        }
        self.remember(spki);
        true
    }

    /// Stores `spki` in the first free slot unless a slot holds it already. Slots never change
    /// once written, so no key is stored twice, even by racing threads.
    fn remember(&self, spki: &[u8]) {
        for slot in &self.matched {
            if **slot.get_or_init(|| Box::from(spki)) == *spki {
                return;
            }
        }
    }

    #[cfg(test)]
    fn remembered(&self) -> Vec<&[u8]> {
        self.matched
            .iter()
            .map_while(|slot| slot.get().map(|key| &**key))
            .collect()
    }
}

impl fmt::Debug for PinSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.pins).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Vec<u8> {
        // Not a real SubjectPublicKeyInfo: the set only hashes and compares bytes.
        vec![0x30, 0x03, 0x02, 0x01, n]
    }

    fn pin(n: u8) -> Pin {
        Pin::from_spki_der(&key(n))
    }

    #[test]
    fn an_empty_set_is_refused() {
        assert!(PinSet::new([]).is_none());
    }

    #[test]
    fn pins_are_sorted_and_deduplicated() {
        let set = PinSet::new([pin(2), pin(1), pin(2)]).expect("pins");
        let mut expected = vec![pin(1), pin(2)];
        expected.sort_unstable();
        assert_eq!(set.pins(), expected);
    }

    #[test]
    fn keeps_no_spare_capacity() {
        let mut pins = Vec::with_capacity(64);
        pins.extend([pin(1), pin(2), pin(1)]);
        let set = PinSet::new(pins).expect("pins");
        assert_eq!(set.pins.capacity(), 2);
    }

    #[test]
    fn a_matching_key_is_remembered_once() {
        let set = PinSet::new([pin(1), pin(2)]).expect("pins");
        assert!(set.matches_key(&key(1)));
        assert!(set.matches_key(&key(1)));
        assert!(set.matches_key(&key(2)));
        assert_eq!(set.remembered(), [&key(1)[..], &key(2)[..]]);
    }

    #[test]
    fn a_key_that_does_not_match_is_refused_and_not_remembered() {
        let set = PinSet::new([pin(1)]).expect("pins");
        assert!(!set.matches_key(&key(9)));
        assert!(set.remembered().is_empty());
        assert!(set.matches_key(&key(1)));
        assert!(!set.matches_key(&key(9)));
        assert_eq!(set.remembered(), [&key(1)[..]]);
    }

    #[test]
    fn only_exact_bytes_of_a_remembered_key_skip_the_hash() {
        let set = PinSet::new([pin(1)]).expect("pins");
        assert!(set.matches_key(&key(1)));
        let mut longer = key(1);
        longer.push(0);
        assert!(!set.matches_key(&longer));
        assert!(!set.matches_key(&key(1)[..4]));
        assert!(!set.matches_key(&[]));
    }

    #[test]
    fn keys_beyond_the_memo_are_still_accepted_by_hash() {
        let count = u8::try_from(REMEMBERED_KEYS + 3).expect("small");
        let set = PinSet::new((0..count).map(pin)).expect("pins");
        for round in 0..2 {
            for n in 0..count {
                assert!(set.matches_key(&key(n)), "key {n}, round {round}");
            }
        }
        assert_eq!(set.remembered().len(), REMEMBERED_KEYS);
        assert!(!set.matches_key(&key(count)));
    }

    #[test]
    fn racing_threads_store_each_key_once() {
        let set = PinSet::new((0..3).map(pin)).expect("pins");
        std::thread::scope(|scope| {
            for thread in 0..8u8 {
                let set = &set;
                scope.spawn(move || {
                    for i in 0..200u8 {
                        let n = (thread + i) % 3;
                        assert!(set.matches_key(&key(n)));
                        assert!(!set.matches_key(&key(n + 3)));
                    }
                });
            }
        });
        let mut remembered = set.remembered();
        remembered.sort_unstable();
        assert_eq!(remembered, [&key(0)[..], &key(1)[..], &key(2)[..]]);
    }
}
