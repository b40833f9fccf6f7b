//! Byte search for the wasm build. Fluent Bit's WAMR interpreter has no SIMD and pays for
//! every instruction it dispatches, and `memchr`'s portable fallback works four bytes at a
//! time on wasm32 with a setup cost per call. This reads u64 words, with a cheap test per
//! 16-byte block that may flag too much (bytes >= 0x80) but never too little, and an exact
//! test only for the words it flagged. Measured under WAMR (`scripts/bench-wamr.sh`), blocks
//! of 16 bytes beat 8, 32 and 64 on the benchmark mix, and walking `chunks_exact` runs
//! twice as fast as indexing with a running offset.
//!
//! Native builds keep `memchr`'s SIMD search; property tests hold the two to one answer.

use std::slice::ChunksExact;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The first index at or after `from` where `h` holds `byte`.
#[inline]
pub fn find_byte(h: &[u8], from: usize, byte: u8) -> Option<usize> {
    if cfg!(target_arch = "wasm32") {
        find_byte_by_words(h, from, byte)
    } else {
        let rest = h.get(from..)?;
        memchr::memchr(byte, rest).map(|i| from + i)
    }
}

/// The first occurrence of `needle` in `h`: `memmem` natively; in wasm, the word search for
/// its first byte (which `memmem` cannot beat there without building a searcher per call).
#[inline]
pub fn find(h: &[u8], needle: &[u8]) -> Option<usize> {
    if cfg!(target_arch = "wasm32") {
        find_by_words(h, needle)
    } else {
        memchr::memmem::find(h, needle)
    }
}

/// [`find`] without SIMD.
pub fn find_by_words(h: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, _)) = needle.split_first() else {
        return Some(0);
    };
    find_byte_where(h, 0, first, |i| {
        h.get(i..i + needle.len())
            .is_some_and(|at| same_bytes(at, needle))
    })
}

/// [`find_byte`] without SIMD; public so that native tests can hold it to `memchr`.
#[inline(always)]
pub fn find_byte_by_words(h: &[u8], from: usize, byte: u8) -> Option<usize> {
    find_byte_where(h, from, byte, |_| true)
}

/// The first index at or after `from` where `h` holds `byte` and `accept` agrees, without
/// SIMD. Testing each match in place (rather than returning and searching again) keeps a
/// search for a byte that is often rejected, such as the prefilter's `p`, in one pass.
#[inline(always)]
pub fn find_byte_where(
    h: &[u8],
    from: usize,
    byte: u8,
    mut accept: impl FnMut(usize) -> bool,
) -> Option<usize> {
    let pattern = splat(byte);
    let mut blocks = h.get(from..)?.chunks_exact(16);
    let mut base = from;
    for block in &mut blocks {
        // A zero byte of `word ^ pattern` is a match; `x - LO` sets the high bit of every zero
        // byte (and of bytes >= 0x81, which the exact test discards).
        let maybe = [0, 8].iter().fold(0, |acc, &at| {
            acc | (word(&block[at..]) ^ pattern).wrapping_sub(LO)
        }) & HI;
        if maybe != 0 {
            if let Some(i) = first_in_block(block, pattern, base, &mut accept) {
                return Some(i);
            }
        }
        base += 16;
    }
    let tail = blocks.remainder();
    (0..tail.len()).find_map(|j| (tail[j] == byte && accept(base + j)).then_some(base + j))
}

/// The exact test for a block the cheap test flagged.
#[inline(always)]
fn first_in_block(
    block: &[u8],
    pattern: u64,
    base: usize,
    accept: &mut impl FnMut(usize) -> bool,
) -> Option<usize> {
    for at in [0, 8] {
        let mut flags = zero_bytes(word(&block[at..]) ^ pattern);
        while flags != 0 {
            let i = base + at + (flags.trailing_zeros() / 8) as usize;
            if accept(i) {
                return Some(i);
            }
            flags &= flags - 1;
        }
    }
    None
}

/// Every index of `byte` in `h`, in order: `memchr`'s SIMD iterator natively, the word
/// scan in wasm.
#[cfg(not(target_arch = "wasm32"))]
pub fn positions(h: &[u8], byte: u8) -> memchr::Memchr<'_> {
    memchr::memchr_iter(byte, h)
}

/// Every index of `byte` in `h`, in order: `memchr`'s SIMD iterator natively, the word
/// scan in wasm.
#[cfg(target_arch = "wasm32")]
pub fn positions(h: &[u8], byte: u8) -> WordPositions<'_> {
    WordPositions::new(h, byte)
}

/// The wasm side of [`positions`], a word at a time: for bytes as frequent as `=` in CEF (one
/// in about sixteen), 32-byte blocks would mostly be split up again.
pub struct WordPositions<'a> {
    words: ChunksExact<'a, u8>,
    pattern: u64,
    /// Where the word `flags` describes starts, and where the next one starts.
    base: usize,
    next_base: usize,
    /// Matches not yet returned in the current word, one high bit each.
    flags: u64,
    /// Whether the bytes after the last whole word have been looked at.
    tail_done: bool,
}

impl<'a> WordPositions<'a> {
    pub fn new(h: &'a [u8], byte: u8) -> WordPositions<'a> {
        WordPositions {
            words: h.chunks_exact(8),
            pattern: splat(byte),
            base: 0,
            next_base: 0,
            flags: 0,
            tail_done: false,
        }
    }

    /// Loads the next word (the short tail last, padded with a byte that never matches);
    /// `false` at the end.
    #[inline(always)]
    fn advance(&mut self) -> bool {
        let w = match self.words.next() {
            Some(chunk) => word(chunk),
            None if !self.tail_done => {
                self.tail_done = true;
                let tail = self.words.remainder();
                let mut w = [!(self.pattern as u8); 8];
                w[..tail.len()].copy_from_slice(tail);
                u64::from_le_bytes(w)
            }
            None => return false,
        };
        self.flags = zero_bytes(w ^ self.pattern);
        self.base = self.next_base;
        self.next_base += 8;
        true
    }
}

impl Iterator for WordPositions<'_> {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        while self.flags == 0 {
            if !self.advance() {
                return None;
            }
        }
        let i = self.base + (self.flags.trailing_zeros() / 8) as usize;
        self.flags &= self.flags - 1;
        Some(i)
    }
}

/// `a == b`, eight bytes per step: wasi-libc's `memcmp` goes a byte at a time.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while let (Some(x), Some(y)) = (
        a.get(i..).and_then(<[u8]>::first_chunk::<8>),
        b.get(i..).and_then(<[u8]>::first_chunk::<8>),
    ) {
        if u64::from_le_bytes(*x) != u64::from_le_bytes(*y) {
            return false;
        }
        i += 8;
    }
    a[i..].iter().zip(&b[i..]).all(|(x, y)| x == y)
}

/// The high bit of each byte of `x` that is zero, exactly (no borrow between bytes).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    !(((x & !HI).wrapping_add(!HI)) | x) & HI
}

#[inline(always)]
fn splat(byte: u8) -> u64 {
    LO.wrapping_mul(u64::from(byte))
}

/// The first eight bytes of `chunk` (which has at least eight) as a little-endian word.
#[inline(always)]
fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&chunk[..8]);
    u64::from_le_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_at_every_offset_and_alignment() {
        for len in 0..80 {
            for at in 0..len {
                let mut h = vec![b'x'; len];
                h[at] = b'=';
                for from in 0..=len {
                    let want = (from <= at).then_some(at);
                    assert_eq!(
                        find_byte_by_words(&h, from, b'='),
                        want,
                        "{len} {at} {from}"
                    );
                }
            }
        }
        assert_eq!(find_byte_by_words(b"abc", 7, b'a'), None);
    }

    #[test]
    fn high_bytes_and_zero_are_neither_missed_nor_mistaken() {
        let mut h = vec![0xffu8; 64];
        h.extend([0x80, 0x81, 0x00, 0x3d, 0xbd]);
        assert_eq!(find_byte_by_words(&h, 0, 0x3d), Some(67));
        assert_eq!(find_byte_by_words(&h, 0, 0x00), Some(66));
        assert_eq!(find_byte_by_words(&h, 0, 0xbd), Some(68));
        assert_eq!(find_byte_by_words(&h, 0, 0x81), Some(65));
    }

    #[test]
    fn word_positions_at_every_length() {
        for len in 0..40 {
            let h: Vec<u8> = (0..len)
                .map(|i| if i % 3 == 0 { b'=' } else { b'x' })
                .collect();
            let want: Vec<usize> = memchr::memchr_iter(b'=', &h).collect();
            assert_eq!(
                WordPositions::new(&h, b'=').collect::<Vec<_>>(),
                want,
                "{len}"
            );
        }
        // The padding past the end must not match, whatever the byte.
        for byte in [0u8, 0xff, b'='] {
            assert_eq!(WordPositions::new(&[1, 2, 3], byte).count(), 0);
        }
    }

    #[test]
    fn same_bytes_compares_whole_slices() {
        assert!(same_bytes(b"", b""));
        assert!(same_bytes(b"incomplete", b"incomplete"));
        assert!(!same_bytes(b"incomplete", b"incompletf"));
        assert!(!same_bytes(b"incomplete", b"Incomplete"));
        assert!(!same_bytes(b"incomplete", b"incomplet"));
        assert!(!same_bytes(b"abcdefgh", b"abcdefgi"));
    }

    proptest! {
        #[test]
        fn word_positions_agree_with_memchr_iter(
            h in proptest::collection::vec(prop_oneof![Just(b'='), Just(0u8), any::<u8>()], 0..120),
            byte in prop_oneof![Just(b'='), Just(0u8), any::<u8>()],
        ) {
            let want: Vec<usize> = memchr::memchr_iter(byte, &h).collect();
            prop_assert_eq!(WordPositions::new(&h, byte).collect::<Vec<_>>(), want.clone());
            prop_assert_eq!(positions(&h, byte).collect::<Vec<_>>(), want);
        }

        #[test]
        fn find_agrees_with_memmem(
            h in proptest::collection::vec(prop_oneof![Just(b'C'), Just(b'E'), Just(b'F'), Just(b':'), any::<u8>()], 0..100),
            needle in proptest::collection::vec(prop_oneof![Just(b'C'), Just(b'E'), Just(b'F'), Just(b':')], 0..5),
        ) {
            let want = memchr::memmem::find(&h, &needle);
            prop_assert_eq!(find_by_words(&h, &needle), want);
            prop_assert_eq!(find(&h, &needle), want);
        }

        #[test]
        fn same_bytes_agrees_with_eq(a in proptest::collection::vec(0u8..3, 0..20), b in proptest::collection::vec(0u8..3, 0..20)) {
            prop_assert_eq!(same_bytes(&a, &b), a == b);
        }

        #[test]
        fn agrees_with_memchr(
            h in proptest::collection::vec(prop_oneof![Just(b'='), Just(b'p'), Just(0u8), any::<u8>()], 0..200),
            from in 0usize..210,
            byte in prop_oneof![Just(b'='), Just(b'p'), Just(0u8), any::<u8>()],
        ) {
            let want = h.get(from..).and_then(|r| memchr::memchr(byte, r)).map(|i| from + i);
            prop_assert_eq!(find_byte_by_words(&h, from, byte), want);
            prop_assert_eq!(find_byte(&h, from, byte), want);
        }
    }
}
