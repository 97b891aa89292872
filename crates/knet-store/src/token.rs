//! List continue tokens: the resourceVersion the list reads at and the last returned key, base64url-encoded so that
//! clients treat them as opaque.
//!
//! A token is `v2` NUL at NUL namespace NUL name, where `at` is the decimal resourceVersion every page of the list
//! shows (the first page's), or `latest` for a token that continues from the same key at whatever state is current
//! when it is used (see [`inconsistent_continue`]). It is encoded with the URL-safe base64 alphabet without padding, so
//! it can go into a query string unescaped. Kubernetes names cannot contain NUL, and keys with NUL are refused on
//! write. Tokens of version `v1` (no resourceVersion, issued before lists read snapshots) are refused like any foreign
//! token: the client lists again from the start. A dozen lines of base64 here spare the workspace a dependency.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VERSION: &str = "v2";
const LATEST: &str = "latest";

/// Where a continued list goes on: at which resourceVersion, after which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    /// The resourceVersion the list reads at; `None` for "the current state when the next page is read".
    pub at: Option<u64>,
    /// The namespace of the last returned key; `""` for cluster-scoped objects.
    pub namespace: String,
    /// The name of the last returned key.
    pub name: String,
}

/// The token for `position`.
pub(crate) fn encode(position: &Position) -> String {
    let at = position.at.map_or_else(|| LATEST.to_owned(), |rv| rv.to_string());
    base64(format!("{VERSION}\0{at}\0{}\0{}", position.namespace, position.name).as_bytes())
}

/// URL-safe base64 without padding.
fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        // A chunk of k bytes carries 8k bits, which need k + 1 characters of 6 bits.
        for i in 0..=chunk.len() {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// The position a token continues from, or `None` if the token is not one of ours (or of an older version).
pub(crate) fn decode(token: &str) -> Option<Position> {
    let mut bytes = Vec::with_capacity(token.len() / 4 * 3 + 2);
    for chunk in token.as_bytes().chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let value = ALPHABET.iter().position(|a| a == c)?;
            n |= (value as u32) << (18 - 6 * i);
        }
        let decoded = n.to_be_bytes();
        bytes.extend_from_slice(&decoded[1..chunk.len()]);
    }
    let plain = String::from_utf8(bytes).ok()?;
    let mut parts = plain.split('\0');
    let (Some(VERSION), Some(at), Some(namespace), Some(name), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let at = match at {
        LATEST => None,
        // Digits only: `u64::from_str` would also take a sign, which no token of ours carries.
        digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Some(digits.parse().ok()?),
        _ => return None,
    };
    Some(Position { at, namespace: namespace.to_owned(), name: name.to_owned() })
}

/// The token that continues the list of `token` from the same key, but at the current state instead of the
/// resourceVersion `token` carries; `None` if `token` is not a valid continue token.
///
/// This is kube-apiserver's remedy for an expired continue token: when a page fails with [`crate::Error::Expired`]
/// because the history no longer reaches back to the list's resourceVersion, the API server answers `410 Gone` and
/// puts this token into the Status's `metadata.continue`, so that a client that accepts an inconsistent list can go
/// on. A list with it reads the state current at that moment, and its page and later tokens carry the resourceVersion
/// that page was read at.
pub fn inconsistent_continue(token: &str) -> Option<String> {
    let position = decode(token)?;
    Some(encode(&Position { at: None, ..position }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(at: Option<u64>, namespace: &str, name: &str) -> Position {
        Position { at, namespace: namespace.to_owned(), name: name.to_owned() }
    }

    #[test]
    fn round_trips_every_length() {
        for name in ["", "a", "ab", "abc", "abcd", "web-7d4b9c-xk2lp", "ünïcödé"] {
            for namespace in ["", "default", "kube-system"] {
                for at in [None, Some(0), Some(7), Some(u64::MAX)] {
                    let position = position(at, namespace, name);
                    let token = encode(&position);
                    assert!(token.bytes().all(|b| ALPHABET.contains(&b)), "{token}");
                    assert_eq!(decode(&token), Some(position), "{token}");
                }
            }
        }
    }

    #[test]
    fn refuses_foreign_and_old_tokens() {
        // `djEAYQBi` is a version 1 token ("v1", "a", "b"), from before tokens carried a resourceVersion.
        let valid = encode(&position(Some(5), "a", "b"));
        for token in ["", "x", "not base64!", "dGVzdA", "djEAYQ", "djEAYQBi", &valid[1..]] {
            assert_eq!(decode(token), None, "{token}");
        }
        // Forged tokens with a bad resourceVersion.
        let plain = |text: &str| base64(text.as_bytes());
        assert_eq!(decode(&plain("v2\x005\x00a\x00b")), Some(position(Some(5), "a", "b")), "the forger works");
        for bad in ["v2\0\0a\0b", "v2\0+5\0a\0b", "v2\0-1\0a\0b", "v2\0five\0a\0b", "v2\099999999999999999999\0a\0b"] {
            assert_eq!(decode(&plain(bad)), None, "{bad:?}");
        }
    }

    #[test]
    fn an_inconsistent_continue_keeps_the_key_and_reads_the_latest_state() {
        let token = encode(&position(Some(42), "default", "web-1"));
        let latest = inconsistent_continue(&token).expect("a valid token");
        assert_eq!(decode(&latest), Some(position(None, "default", "web-1")));
        assert_eq!(inconsistent_continue(&latest), Some(latest.clone()), "idempotent");
        assert_eq!(inconsistent_continue("garbage"), None);
    }
}
