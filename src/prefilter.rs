//! The reject path. Almost every record is not a candidate, and in Fluent Bit's wasm
//! interpreter every guest instruction costs about ten native ones, so a record must be turned
//! away after reading as little of it as possible, without parsing it.
//!
//! A candidate needs `app` equal to the configured application (`incomplete`):
//! 1. the CEF key ` app=` decides: the rule reads the extension's `app` key, so any other value
//!    rejects the record after reading only up to it (PAN-OS puts `app` in the first half of
//!    a TRAFFIC line). Found by [`find_cef_app_key`]: SIMD substring search natively, and in
//!    wasm a word-at-a-time scan for `=` written for the interpreter, where a general substring
//!    search without SIMD costs several times more.
//! 2. only a record without ` app=` is searched for other spellings of an `app` key, which can
//!    only let it through: `|app=` (the extension's first key, or a `|` inside a value), a
//!    JSON key (`"app":`, or `\"app\":` inside a JSON text such as Cloud NGFW `Message`) or a
//!    msgpack key.
//!
//! Answers are conservative: "maybe" sends the record to the full parser, which decides.
//! What this assumes: ` app=` occurs in a record only as its CEF extension's one `app` key
//! (not in the syslog or CEF header, not in JSON fields before `message`, not twice).

use memchr::memmem;

pub struct Prefilter {
    any_key: memmem::Finder<'static>,
    /// The application value, when it is plain enough to be matched on raw bytes.
    application: Option<Vec<u8>>,
}

impl Prefilter {
    pub fn new(application: &str) -> Prefilter {
        // Values with characters that CEF or JSON escape could be spelled several ways;
        // for those the prefilter steps aside and every record is parsed.
        let plain = !application.is_empty()
            && application
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
        Prefilter {
            any_key: memmem::Finder::new(b"app").into_owned(),
            application: plain.then(|| application.as_bytes().to_vec()),
        }
    }

    /// `false` only when the record cannot be a candidate.
    pub fn may_match(&self, body: &[u8]) -> bool {
        self.scan(body).0
    }

    /// The answer, and how many bytes of the record it took (for the benchmark's report of
    /// how much of a rejected record is read).
    pub fn scan(&self, body: &[u8]) -> (bool, usize) {
        let Some(app) = self.application.as_deref() else {
            return (true, 0);
        };
        if let Some(pos) = find_cef_app_key(body) {
            let value = &body[pos + 5..];
            return (
                value_may_be(value, app),
                (pos + 5 + app.len()).min(body.len()),
            );
        }
        for pos in self.any_key.find_iter(body) {
            let before = pos.checked_sub(1).map(|i| body[i]);
            let rest = &body[pos + 3..];
            let accepts = match (before, rest.first()) {
                // Right after the header's last `|`: the extension's first key, or a `|`
                // inside some value; only the full parser can tell, so it may only accept.
                (Some(b'|'), Some(b'=')) => value_may_be(&rest[1..], app),
                (Some(b'"'), Some(b'"')) => json_value_may_be(&rest[1..], app, b"\""),
                (Some(b'"'), Some(b'\\'))
                    if rest.get(1) == Some(&b'"') && pos >= 2 && body[pos - 2] == b'\\' =>
                {
                    json_value_may_be(&rest[2..], app, b"\\\"")
                }
                // msgpack fixstr of length 3: a map key `app`.
                (Some(0xa3), _) => msgpack_value_may_be(rest, app),
                _ => false,
            };
            if accepts {
                return (true, (pos + 4 + app.len()).min(body.len()));
            }
        }
        (false, body.len())
    }
}

/// The position of the first ` app=` in `h`: the SIMD substring search where the CPU has it,
/// the word-at-a-time scan in wasm (Fluent Bit's WAMR runs without SIMD). Both give the same
/// answer; a property test holds them to it.
pub fn find_cef_app_key(h: &[u8]) -> Option<usize> {
    if cfg!(target_arch = "wasm32") {
        find_cef_app_key_by_words(h)
    } else {
        memmem::find(h, b" app=")
    }
}

/// The position of the first ` app=` in `h`. Eight bytes per step: the classic SWAR test for
/// a zero byte in `word ^ "========"` flags the `=` bytes (with possible false flags above a
/// real one, which the byte check below discards); each `=` is then checked for ` app` in
/// front of it.
pub fn find_cef_app_key_by_words(h: &[u8]) -> Option<usize> {
    const EQ: u64 = 0x3d3d_3d3d_3d3d_3d3d;
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let is_key = |eq: usize| eq >= 4 && &h[eq - 4..eq] == b" app";
    let mut i = 0;
    while let Some(chunk) = h.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ EQ;
        let mut flags = x.wrapping_sub(LO) & !x & HI;
        while flags != 0 {
            let at = i + (flags.trailing_zeros() / 8) as usize;
            if h[at] == b'=' && is_key(at) {
                return Some(at - 4);
            }
            flags &= flags - 1;
        }
        i += 8;
    }
    (i..h.len())
        .find(|&at| h[at] == b'=' && is_key(at))
        .map(|at| at - 4)
}

/// The value starts with `app` and does not continue as a longer word.
fn value_may_be(value: &[u8], app: &[u8]) -> bool {
    value.starts_with(app)
        && !value
            .get(app.len())
            .is_some_and(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// After a JSON key's closing quote: `: "value"` with optional spaces; `quote` is `"` or `\"`.
fn json_value_may_be(after_key: &[u8], app: &[u8], quote: &[u8]) -> bool {
    let s = skip_ws(after_key);
    let Some(s) = s.strip_prefix(b":") else {
        return false;
    };
    let s = skip_ws(s);
    match s.strip_prefix(quote) {
        Some(v) => v.starts_with(app) && v[app.len()..].starts_with(quote),
        // Not a string value: only the full parser can say (it will refuse it).
        None => false,
    }
}

fn msgpack_value_may_be(after_key: &[u8], app: &[u8]) -> bool {
    let len = app.len();
    let value = match after_key {
        [m, rest @ ..] if len < 32 && *m == (0xa0 | len as u8) => rest,
        [0xd9, l, rest @ ..] if usize::from(*l) == len => rest,
        [0xda, h, l, rest @ ..] if usize::from(*h) << 8 | usize::from(*l) == len => rest,
        _ => return false,
    };
    value.starts_with(app)
}

fn skip_ws(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        .count();
    &s[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may(body: &str) -> bool {
        Prefilter::new("incomplete").may_match(body.as_bytes())
    }

    #[test]
    fn cef_app_key_decides() {
        assert!(may(
            r#"{"message":"CEF:0|a|b|c|d|e|f|src=1 app=incomplete dpt=1"}"#
        ));
        assert!(may(
            r#"{"message":"CEF:0|a|b|c|d|e|f|src=1 app=incomplete"}"#
        ));
        assert!(may(
            "{\"message\":\"CEF:0|a|b|c|d|e|f|app=incomplete\\r\\n\"}"
        ));
        assert!(!may(
            r#"{"message":"CEF:0|a|b|c|d|e|f|src=1 app=ssl dpt=1 x=app=incomplete"}"#
        ));
        assert!(!may(
            r#"{"message":"CEF:0|a|b|c|d|e|f|src=1 app=incomplete-ish dpt=1"}"#
        ));
        assert!(!may(r#"{"message":"CEF:0|a|b|c|d|e|f|src=1 app= dpt=1"}"#));
        assert!(!may(
            r#"{"message":"CEF:0|a|b|c|d|e|f|src=1 app=Incomplete"}"#
        ));
    }

    #[test]
    fn app_first_in_the_extension() {
        assert!(may(
            r#"{"message":"CEF:0|a|b|c|d|e|f|app=incomplete src=1"}"#
        ));
        // Not decided by `|app=`: a later ` app=` key still counts.
        assert!(may(
            r#"{"message":"CEF:0|a|b|c|d|e|f|app=x msg=a|app=y app=incomplete"}"#
        ));
        assert!(!may(r#"{"message":"CEF:0|a|b|c|d|e|f|app=ssl src=1"}"#));
    }

    #[test]
    fn no_app_key_rejects() {
        assert!(!may(r#"{"message":"hello incomplete world"}"#));
        assert!(!may(""));
        assert!(!may("app"));
        assert!(!may(" app"));
    }

    #[test]
    fn json_keys_only_accept() {
        // An unrelated `app` field in front must not hide the CEF key behind it.
        assert!(may(
            r#"{"app":"x","message":"CEF:0|a|b|c|d|e|f|app=incomplete"}"#
        ));
        assert!(may(r#"{"ident":"TRAFFIC","Message":{"app":"incomplete"}}"#));
        assert!(may(
            r#"{"ident":"TRAFFIC","Message":"{\"app\": \"incomplete\"}"}"#
        ));
        assert!(!may(r#"{"ident":"TRAFFIC","Message":"{\"app\":\"ssl\"}"}"#));
        assert!(!may(
            r#"{"ident":"TRAFFIC","Message":{"app":"incompletely"}}"#
        ));
    }

    #[test]
    fn msgpack_key() {
        let mut body = vec![0x81, 0xa3];
        body.extend_from_slice(b"app");
        body.push(0xaa);
        body.extend_from_slice(b"incomplete");
        assert!(Prefilter::new("incomplete").may_match(&body));
        body[5] = 0xa9;
        assert!(!Prefilter::new("incomplete").may_match(&body));
    }

    #[test]
    fn word_scan_finds_the_first_key_at_every_alignment() {
        for pad in 0..20 {
            let text = format!("{}x=1 cs=a app=ssl app=b", "y".repeat(pad));
            let want = text.find(" app=");
            assert_eq!(
                find_cef_app_key_by_words(text.as_bytes()),
                want,
                "pad {pad}"
            );
        }
        assert_eq!(find_cef_app_key_by_words(b"app="), None);
        assert_eq!(find_cef_app_key_by_words(b" app="), Some(0));
        assert_eq!(find_cef_app_key_by_words(b"====== app ===="), None);
        assert_eq!(find_cef_app_key_by_words(b""), None);
    }

    proptest::proptest! {
        #[test]
        fn word_scan_agrees_with_a_plain_search(text in "[ ap=x]{0,64}") {
            let want = memmem::find(text.as_bytes(), b" app=");
            proptest::prop_assert_eq!(find_cef_app_key_by_words(text.as_bytes()), want);
            proptest::prop_assert_eq!(find_cef_app_key(text.as_bytes()), want);
        }
    }

    #[test]
    fn unusual_application_disables_the_filter() {
        assert!(Prefilter::new("a=b").may_match(b"nothing"));
        assert!(Prefilter::new("").may_match(b"nothing"));
    }
}
