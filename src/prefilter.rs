//! The reject path. Almost every record is not a candidate, and in Fluent Bit's wasm
//! interpreter every guest instruction costs about ten native ones, so a record must be turned
//! away after reading as little of it as possible, in one pass, without parsing it.
//!
//! A candidate needs `app` equal to the configured application (`incomplete`). One forward
//! search visits each `app` in the record in order (SIMD substring search natively; in wasm,
//! the word-at-a-time [`swar`](crate::swar) search for its second `p`, a rare byte in these
//! records) and looks at the bytes around it:
//! - ` app=`, the CEF extension's `app` key, decides: any other value rejects the record
//!   right there (PAN-OS puts `app` in the first half of a TRAFFIC line);
//! - other spellings can only let the record through, when their value matches: `|app=` (the
//!   extension's first key, or a `|` inside a value), a JSON key (`"app":`, or `\"app\":`
//!   inside a JSON text such as Cloud NGFW `Message`) or a msgpack key;
//! - anything else (`apple`, `app` inside a value) is passed over.
//!
//! Answers are conservative: "maybe" sends the record to the full parser, which decides.
//! What this assumes: ` app=` occurs in a record only as its CEF extension's one `app` key
//! (not in the syslog or CEF header, not in JSON fields before `message`, not twice).

use crate::swar;
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
    #[inline(always)]
    pub fn scan(&self, body: &[u8]) -> (bool, usize) {
        let Some(app) = self.application.as_deref() else {
            return (true, 0);
        };
        let mut from = 0;
        while let Some(pos) = self.next_app(body, from) {
            let read = (pos + 4 + app.len()).min(body.len());
            let before = pos.checked_sub(1).map(|i| body[i]);
            let rest = &body[pos + 3..];
            let accepts = match (before, rest.first()) {
                (Some(b' '), Some(b'=')) => return (value_may_be(&rest[1..], app), read),
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
                return (true, read);
            }
            from = pos + 3;
        }
        (false, body.len())
    }

    #[inline(always)]
    fn next_app(&self, h: &[u8], from: usize) -> Option<usize> {
        if cfg!(target_arch = "wasm32") {
            find_app_by_words(h, from)
        } else {
            self.any_key.find(h.get(from..)?).map(|i| from + i)
        }
    }
}

/// The first `app` at or after `from`, found through its second `p` with the wasm byte search.
#[inline(always)]
pub fn find_app_by_words(h: &[u8], from: usize) -> Option<usize> {
    // Every `p` found is at `from + 2` or later, so `q - 2` cannot underflow.
    swar::find_byte_where(h, from.checked_add(2)?, b'p', |q| {
        h.get(q - 2..q) == Some(b"ap")
    })
    .map(|q| q - 2)
}

/// The value starts with `app` and does not continue as a longer word.
fn value_may_be(value: &[u8], app: &[u8]) -> bool {
    value
        .get(..app.len())
        .is_some_and(|head| swar::same_bytes(head, app))
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
    fn word_search_finds_app_at_every_alignment() {
        for pad in 0..40 {
            let text = format!("{}x=1 cs=ap pp a-p app=ssl app=b", "y".repeat(pad));
            let want = text.find("app");
            assert_eq!(find_app_by_words(text.as_bytes(), 0), want, "pad {pad}");
            let second = text[want.unwrap() + 3..]
                .find("app")
                .map(|i| i + want.unwrap() + 3);
            assert_eq!(
                find_app_by_words(text.as_bytes(), want.unwrap() + 1),
                second
            );
        }
        assert_eq!(find_app_by_words(b"ap", 0), None);
        assert_eq!(find_app_by_words(b"app", 0), Some(0));
        assert_eq!(find_app_by_words(b"app", 1), None);
        assert_eq!(find_app_by_words(b"", 0), None);
        assert_eq!(find_app_by_words(b"app", usize::MAX), None);
    }

    #[test]
    fn a_decided_app_key_stops_the_search() {
        // The CEF key rejects; a JSON key after it is not consulted.
        assert!(!may(
            r#"{"message":"CEF:0|a|b|c|d|e|f|src=1 app=ssl","app":"incomplete"}"#
        ));
        // Words containing `app` are passed over.
        assert!(may(
            r#"{"message":"CEF:0|a|b|c|d|e|f|cs1=apple happy=1 app=incomplete"}"#
        ));
    }

    proptest::proptest! {
        #[test]
        fn word_search_agrees_with_memmem(text in "[ ap=x]{0,80}", from in 0usize..90) {
            let h = text.as_bytes();
            let want = h.get(from..).and_then(|r| memmem::find(r, b"app")).map(|i| from + i);
            proptest::prop_assert_eq!(find_app_by_words(h, from), want);
            let p = Prefilter::new("x");
            proptest::prop_assert_eq!(p.next_app(h, from), want);
        }
    }

    #[test]
    fn unusual_application_disables_the_filter() {
        assert!(Prefilter::new("a=b").may_match(b"nothing"));
        assert!(Prefilter::new("").may_match(b"nothing"));
    }
}
