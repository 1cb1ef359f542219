//! Root passwords: generated from the OS CSPRNG and hashed as MD5-crypt (`$1$salt$hash`, what
//! `openssl passwd -1` prints and what the kickstarts' `rootpw --iscrypted` expects).

use md5::{Digest, Md5};
use rand::rngs::OsRng;
use rand::Rng;

/// crypt(3)'s base-64 alphabet.
const ITOA64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Length of a generated password.
pub const PASSWORD_LEN: usize = 16;

/// A new random password: 16 characters from `[a-z0-9]` (about 82 bits), safe inside kickstarts,
/// preseeds and XML answer files.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..PASSWORD_LEN)
        .map(|_| ALPHABET[OsRng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A new random 8-character MD5-crypt salt.
pub fn generate_salt() -> String {
    (0..8)
        .map(|_| ITOA64[OsRng.gen_range(0..ITOA64.len())] as char)
        .collect()
}

/// MD5-crypt of `password` with `salt` (at most 8 characters are used, up to a `$`), as
/// `openssl passwd -1 -salt SALT PASSWORD` computes it.
pub fn md5_crypt(password: &str, salt: &str) -> String {
    let pw = password.as_bytes();
    let salt = salt.split('$').next().unwrap_or("");
    let salt = &salt.as_bytes()[..salt.len().min(8)];

    let mut alt = Md5::new();
    alt.update(pw);
    alt.update(salt);
    alt.update(pw);
    let alt = alt.finalize();

    let mut ctx = Md5::new();
    ctx.update(pw);
    ctx.update(b"$1$");
    ctx.update(salt);
    let mut n = pw.len();
    while n > 0 {
        ctx.update(&alt[..n.min(16)]);
        n = n.saturating_sub(16);
    }
    let mut i = pw.len();
    while i > 0 {
        if i & 1 != 0 {
            ctx.update([0u8]);
        } else {
            ctx.update(&pw[..1]);
        }
        i >>= 1;
    }
    let mut fin = ctx.finalize();

    for round in 0..1000 {
        let mut c = Md5::new();
        if round & 1 != 0 {
            c.update(pw);
        } else {
            c.update(fin);
        }
        if round % 3 != 0 {
            c.update(salt);
        }
        if round % 7 != 0 {
            c.update(pw);
        }
        if round & 1 != 0 {
            c.update(fin);
        } else {
            c.update(pw);
        }
        fin = c.finalize();
    }

    let mut out = format!("$1${}$", String::from_utf8_lossy(salt));
    let mut put = |mut v: u32, n: usize| {
        for _ in 0..n {
            out.push(ITOA64[(v & 0x3f) as usize] as char);
            v >>= 6;
        }
    };
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        put(
            (u32::from(fin[a]) << 16) | (u32::from(fin[b]) << 8) | u32::from(fin[c]),
            4,
        );
    }
    put(u32::from(fin[11]), 2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_openssl_passwd_1() {
        // Values printed by `openssl passwd -1 -salt SALT PASSWORD` (OpenSSL 3.0).
        assert_eq!(
            md5_crypt("secret", "abcdefgh"),
            "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1"
        );
        assert_eq!(md5_crypt("", "xy"), "$1$xy$JSgu5Zv4igzK2ULm5nTM30");
        assert_eq!(
            md5_crypt("a much longer password than sixteen bytes", "12345678"),
            "$1$12345678$yLppq.aqtfjKiej5RWDLq/"
        );
    }

    #[test]
    fn generated_passwords_and_salts() {
        let a = generate_password();
        assert_eq!(a.len(), PASSWORD_LEN);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(a, generate_password());
        let s = generate_salt();
        assert_eq!(s.len(), 8);
        assert!(s.bytes().all(|b| ITOA64.contains(&b)));
    }
}
