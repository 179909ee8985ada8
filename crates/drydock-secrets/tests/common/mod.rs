//! Deterministic fake-token builders. Nothing here is a real credential.
#![allow(dead_code)]

pub fn cat(parts: &[&str]) -> String {
    parts.concat()
}

fn generate(n: usize, seed: u64, alphabet: &[u8]) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

/// Alphanumeric with at least one upper, lower and digit (n >= 3).
pub fn alnum(n: usize, seed: u64) -> String {
    let mut s = generate(
        n,
        seed,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    );
    s.replace_range(0..3, "a7Q");
    s
}

pub fn mixed(n: usize, seed: u64) -> String {
    alnum(n, seed)
}

pub fn upper32(n: usize, seed: u64) -> String {
    generate(n, seed, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
}

pub fn digits(n: usize, seed: u64) -> String {
    generate(n, seed, b"0123456789")
}

pub fn hex(n: usize, seed: u64) -> String {
    generate(n, seed, b"0123456789abcdef")
}

/// Standard-alphabet base64 characters with all classes present.
pub fn base64ish(n: usize, seed: u64) -> String {
    let mut s = generate(
        n,
        seed,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    );
    s.replace_range(0..4, "k9Z/");
    s
}

fn encode(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

pub fn b64(s: &str) -> String {
    encode(
        s.as_bytes(),
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        true,
    )
}

pub fn b64url(s: &str) -> String {
    encode(
        s.as_bytes(),
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        false,
    )
}

/// A fake GitHub classic token.
pub fn github_token(seed: u64) -> String {
    cat(&["gh", "p_", &alnum(36, seed)])
}
