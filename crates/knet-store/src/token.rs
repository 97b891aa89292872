//! List continue tokens: the last returned key's namespace and name, base64url-encoded so clients treat them as opaque.
//!
//! The token is `v1` NUL namespace NUL name, encoded with the URL-safe base64 alphabet without padding, so it can go
//! into a query string unescaped. Kubernetes names cannot contain NUL, and keys with NUL are refused on write. A
//! dozen lines of base64 here spare the workspace a dependency.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VERSION: &str = "v1";

/// The position after `(namespace, name)`; cluster-scoped objects have the namespace `""`.
pub(crate) fn encode(namespace: &str, name: &str) -> String {
    let plain = format!("{VERSION}\0{namespace}\0{name}");
    let bytes = plain.as_bytes();
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

/// The `(namespace, name)` a token continues after, or `None` if the token is not one of ours.
pub(crate) fn decode(token: &str) -> Option<(String, String)> {
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
    let (Some(VERSION), Some(namespace), Some(name), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some((namespace.to_owned(), name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        for name in ["", "a", "ab", "abc", "abcd", "web-7d4b9c-xk2lp", "ünïcödé"] {
            for namespace in ["", "default", "kube-system"] {
                let token = encode(namespace, name);
                assert!(token.bytes().all(|b| ALPHABET.contains(&b)), "{token}");
                assert_eq!(decode(&token), Some((namespace.to_owned(), name.to_owned())), "{token}");
            }
        }
    }

    #[test]
    fn refuses_foreign_tokens() {
        for token in ["", "x", "not base64!", "dGVzdA", "djEAYQ", &encode("a", "b")[1..]] {
            assert_eq!(decode(token), None, "{token}");
        }
    }
}
