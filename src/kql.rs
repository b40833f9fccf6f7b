//! The few KQL string operators the rule uses, with Kusto's semantics.

/// KQL `has`: `needle` occurs in `hay` as whole terms, ASCII case-insensitive. Terms are runs
/// of ASCII alphanumerics, so the match must not continue an alphanumeric run on either side.
pub fn has(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || n.len() > h.len() {
        return false;
    }
    let needs_left = n[0].is_ascii_alphanumeric();
    let needs_right = n[n.len() - 1].is_ascii_alphanumeric();
    (0..=h.len() - n.len()).any(|i| {
        h[i..i + n.len()].eq_ignore_ascii_case(n)
            && !(needs_left && i > 0 && h[i - 1].is_ascii_alphanumeric())
            && !(needs_right && h.get(i + n.len()).is_some_and(u8::is_ascii_alphanumeric))
    })
}

/// KQL `startswith`: ASCII case-insensitive prefix.
pub fn starts_with(hay: &str, prefix: &str) -> bool {
    hay.len() >= prefix.len()
        && hay.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// `extract("reason=(.+?)(;|$)", 1, AdditionalExtensions)`: the first occurrence of `reason=`
/// followed by at least one character and then `;` or the end, where `.` excludes newline
/// (RE2). A failed occurrence (newline before any terminator) moves on to the next one.
pub fn extract_reason(additional: &str) -> Option<&str> {
    const KEY: &str = "reason=";
    let b = additional.as_bytes();
    let mut from = 0;
    while let Some(off) = additional[from..].find(KEY) {
        let start = from + off + KEY.len();
        // `.+?` takes at least one character, which may itself be `;`.
        let mut end = start;
        let mut ok = false;
        while end < b.len() && b[end] != b'\n' {
            end += 1;
            if end == b.len() || b[end] == b';' {
                ok = true;
                break;
            }
        }
        if ok {
            return additional.get(start..end);
        }
        from = from + off + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_whole_terms_case_insensitive() {
        assert!(has("aged-out", "aged-out"));
        assert!(has("AGED-OUT", "aged-out"));
        assert!(has("session aged-out now", "aged-out"));
        assert!(has("tcp-fin-x", "tcp-fin"));
        assert!(has("x-tcp-fin", "tcp-fin"));
        assert!(!has("tcp-finish", "tcp-fin"));
        assert!(!has("xtcp-fin", "tcp-fin"));
        assert!(!has("", "tcp-fin"));
        assert!(!has("tcp-rst-from-server", "tcp-fin"));
    }

    #[test]
    fn underscore_is_a_separator() {
        // Kusto terms are alphanumeric runs: `_` separates them.
        assert!(has("tcp-fin_1", "tcp-fin"));
    }

    #[test]
    fn startswith() {
        assert!(starts_with("10.1.2.3", "10."));
        assert!(!starts_with("100.1.2.3", "10."));
        assert!(starts_with("AbC", "ab"));
        assert!(!starts_with("1", "10."));
    }

    #[test]
    fn reason_regex() {
        assert_eq!(extract_reason("a=1;reason=tcp-fin;b=2"), Some("tcp-fin"));
        assert_eq!(extract_reason("endreason=aged-out"), Some("aged-out"));
        assert_eq!(extract_reason("reason=;x;"), Some(";x"));
        assert_eq!(extract_reason("reason="), None);
        assert_eq!(extract_reason("reason=;"), Some(";"));
        assert_eq!(extract_reason("reason=a\nb;reason=c"), Some("c"));
        assert_eq!(extract_reason("nothing"), None);
        assert_eq!(extract_reason("Reason=x"), None);
    }
}
