//! Python's `shlex.split(s)` (POSIX mode, `whitespace_split`, no comment characters), as Ansible
//! 1.2 uses it for inventory host lines and `parse_kv`.
//!
//! Written here rather than taken from the `shlex` crate because that crate treats a word
//! starting with `#` as a comment (`a #b c` → `a`), which Python's `shlex.split` does not. Inside
//! double quotes a backslash is kept unless it precedes `"` or `\`, as in Python.

/// Why a string could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShlexError {
    /// An opening quote without its closing quote.
    NoClosingQuotation,
    /// A backslash at the very end.
    NoEscapedCharacter,
}

impl std::fmt::Display for ShlexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShlexError::NoClosingQuotation => f.write_str("No closing quotation"),
            ShlexError::NoEscapedCharacter => f.write_str("No escaped character"),
        }
    }
}

/// Split `s` the way Python 2.7's `shlex.split(s)` does.
pub fn split(s: &str) -> Result<Vec<String>, ShlexError> {
    let mut out = Vec::new();
    let mut tok = String::new();
    // A token exists (possibly empty, from `''`).
    let mut in_token = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_token {
                    out.push(std::mem::take(&mut tok));
                    in_token = false;
                }
            }
            '\'' => {
                in_token = true;
                loop {
                    match chars.next() {
                        None => return Err(ShlexError::NoClosingQuotation),
                        Some('\'') => break,
                        Some(ch) => tok.push(ch),
                    }
                }
            }
            '"' => {
                in_token = true;
                loop {
                    match chars.next() {
                        None => return Err(ShlexError::NoClosingQuotation),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            None => return Err(ShlexError::NoClosingQuotation),
                            Some(n @ ('"' | '\\')) => tok.push(n),
                            Some(n) => {
                                tok.push('\\');
                                tok.push(n);
                            }
                        },
                        Some(ch) => tok.push(ch),
                    }
                }
            }
            '\\' => {
                in_token = true;
                match chars.next() {
                    None => return Err(ShlexError::NoEscapedCharacter),
                    Some(n) => tok.push(n),
                }
            }
            _ => {
                in_token = true;
                tok.push(c);
            }
        }
    }
    if in_token {
        out.push(tok);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn python_shlex_cases() {
        assert_eq!(split("a b  c").unwrap(), ["a", "b", "c"]);
        assert_eq!(
            split(r#"line="%wheel ALL=(ALL) NOPASSWD:ALL" x='a b'"#).unwrap(),
            ["line=%wheel ALL=(ALL) NOPASSWD:ALL", "x=a b"]
        );
        assert_eq!(split("a='' b").unwrap(), ["a=", "b"]);
        assert_eq!(
            split(r#""a\b" "a\"b" a\ b"#).unwrap(),
            [r"a\b", "a\"b", "a b"]
        );
        assert_eq!(split("#x y#z").unwrap(), ["#x", "y#z"]);
        assert_eq!(
            split(r#"msg="Ubuntu's init""#).unwrap(),
            ["msg=Ubuntu's init"]
        );
        assert!(split("a 'b").is_err());
        assert!(split("a\\").is_err());
        assert_eq!(split("  \n").unwrap(), Vec::<String>::new());
    }
}
