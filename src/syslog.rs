//! The syslog header in front of `CEF:`: only its HOSTNAME matters (Sentinel's `Computer`).

/// The hostname of an RFC 3164 or RFC 5424 header (optionally octet-counted, `<PRI>`
/// optional). `-` (RFC 5424 nil) and anything unrecognisable mean none.
pub fn hostname(prefix: &[u8]) -> Option<&[u8]> {
    let mut s = skip_spaces(prefix);
    s = skip_octet_count(s);
    s = skip_pri(s);
    let mut tokens = s.split(|&c| c == b' ').filter(|t| !t.is_empty());
    let first = tokens.next()?;
    let host = if first == b"1" {
        // RFC 5424: VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD
        tokens.nth(1)?
    } else if is_month(first) {
        // RFC 3164: Mmm dd hh:mm:ss HOSTNAME (day space-padded, so tokens, not columns)
        tokens.nth(2)?
    } else if looks_like_iso_timestamp(first) {
        // RFC 3164 variants with an ISO timestamp: TIMESTAMP HOSTNAME
        tokens.next()?
    } else {
        return None;
    };
    if host == b"-" || host.ends_with(b":") {
        // `-` is nil; `name:` is a TAG, meaning the sender left the hostname out.
        return None;
    }
    Some(host)
}

fn skip_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &s[n..]
}

/// TCP octet counting: `<digits> ` in front of the whole message, then `<PRI>`.
fn skip_octet_count(s: &[u8]) -> &[u8] {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && s.get(digits) == Some(&b' ') && s.get(digits + 1) == Some(&b'<') {
        &s[digits + 1..]
    } else {
        s
    }
}

fn skip_pri(s: &[u8]) -> &[u8] {
    if s.first() != Some(&b'<') {
        return s;
    }
    let digits = s[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if (1..=3).contains(&digits) && s.get(digits + 1) == Some(&b'>') {
        &s[digits + 2..]
    } else {
        s
    }
}

fn is_month(t: &[u8]) -> bool {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    MONTHS.contains(&t)
}

fn looks_like_iso_timestamp(t: &[u8]) -> bool {
    t.len() >= 10 && t[..4].iter().all(u8::is_ascii_digit) && t[4] == b'-' && t[7] == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> Option<String> {
        hostname(s.as_bytes()).map(|h| String::from_utf8_lossy(h).into_owned())
    }

    #[test]
    fn rfc3164() {
        assert_eq!(host("<14>Dec  4 10:00:03 fw01 "), Some("fw01".into()));
        assert_eq!(host("Dec 14 10:00:03 fw01.corp "), Some("fw01.corp".into()));
        assert_eq!(
            host("<14>Dec  4 10:00:03 fw01 panos: "),
            Some("fw01".into())
        );
    }

    #[test]
    fn rfc3164_without_hostname() {
        assert_eq!(host("<14>Dec  4 10:00:03 "), None);
        assert_eq!(host("<14>Dec  4 10:00:03 panos: "), None);
    }

    #[test]
    fn rfc5424() {
        assert_eq!(
            host("<14>1 2025-12-04T10:00:03Z fw02 - - - - "),
            Some("fw02".into())
        );
        assert_eq!(
            host("1 2025-12-04T10:00:03Z fw02 app 1 id - "),
            Some("fw02".into())
        );
        assert_eq!(host("<14>1 2025-12-04T10:00:03Z - - - - - "), None);
    }

    #[test]
    fn octet_counted() {
        assert_eq!(host("1234 <14>Dec  4 10:00:03 fw03 "), Some("fw03".into()));
        assert_eq!(
            host("87 <14>1 2025-12-04T10:00:03Z fw04 - - - - "),
            Some("fw04".into())
        );
    }

    #[test]
    fn iso_timestamp_3164() {
        assert_eq!(
            host("<14>2025-12-04T10:00:03+01:00 fw05 "),
            Some("fw05".into())
        );
    }

    #[test]
    fn nothing_there() {
        assert_eq!(host(""), None);
        assert_eq!(host("<14>"), None);
        assert_eq!(host("garbage here "), None);
        assert_eq!(host("<99999>Dec 4 1:2:3 h "), None);
    }
}
