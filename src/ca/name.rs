//! Distinguished names: OpenSSL one-line form (`/O=Grid/OU=Core/CN=x`), Globus' LDAP form
//! (`cn=x,ou=Core,o=Grid`), rcgen names, and OpenSSL's subject hashes (`x509 -hash` and
//! `-subject_hash_old`).

use md5::Md5;
use rcgen::{DistinguishedName, DnType, DnValue};
use sha1::{Digest, Sha1};
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::x509::X509Name;

use super::CaError;

/// One attribute of a name, in certificate order (most significant first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rdn {
    /// Short attribute name as OpenSSL prints it: `C`, `ST`, `L`, `O`, `OU`, `CN`, `emailAddress`.
    pub key: String,
    /// The attribute value.
    pub value: String,
}

/// A distinguished name as an ordered list of single-valued RDNs.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Name(pub Vec<Rdn>);

const OIDS: &[(&str, &[u64])] = &[
    ("C", &[2, 5, 4, 6]),
    ("ST", &[2, 5, 4, 8]),
    ("L", &[2, 5, 4, 7]),
    ("O", &[2, 5, 4, 10]),
    ("OU", &[2, 5, 4, 11]),
    ("CN", &[2, 5, 4, 3]),
    ("name", &[2, 5, 4, 41]),
    ("emailAddress", &[1, 2, 840, 113549, 1, 9, 1]),
    ("DC", &[0, 9, 2342, 19200300, 100, 1, 25]),
    ("UID", &[0, 9, 2342, 19200300, 100, 1, 1]),
];

fn oid_of(key: &str) -> Option<&'static [u64]> {
    OIDS.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, o)| *o)
}

fn key_of(oid: &[u64]) -> Option<&'static str> {
    OIDS.iter().find(|(_, o)| *o == oid).map(|(k, _)| *k)
}

fn canonical_key(key: &str) -> Result<String, CaError> {
    OIDS.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(k, _)| (*k).to_string())
        .ok_or_else(|| CaError::Input(format!("unknown name attribute {key:?}")))
}

impl Name {
    /// Parses Globus' LDAP order `cn=x,ou=y,o=Grid` (least significant first).
    pub fn from_ldap(s: &str) -> Result<Name, CaError> {
        let mut out = Vec::new();
        for part in s.split(',') {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| CaError::Input(format!("bad name component {part:?} in {s:?}")))?;
            out.push(Rdn {
                key: canonical_key(k.trim())?,
                value: v.trim().to_string(),
            });
        }
        out.reverse();
        Ok(Name(out))
    }

    /// Appends an attribute (as the least significant one).
    pub fn with(mut self, key: &str, value: &str) -> Name {
        self.0.push(Rdn {
            key: key.to_string(),
            value: value.to_string(),
        });
        self
    }

    /// OpenSSL's old one-line form: `/O=Grid/OU=Core/CN=x`.
    pub fn oneline(&self) -> String {
        self.0
            .iter()
            .map(|r| format!("/{}={}", r.key, r.value))
            .collect()
    }

    /// Globus' LDAP form: `cn=x,ou=Core,o=Grid`.
    pub fn ldap(&self) -> String {
        self.0
            .iter()
            .rev()
            .map(|r| format!("{}={}", r.key.to_ascii_lowercase(), r.value))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The last `CN` value.
    pub fn common_name(&self) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|r| r.key == "CN")
            .map(|r| r.value.as_str())
    }

    /// True when `self` starts with all RDNs of `base` (the Globus signing-policy namespace).
    pub fn is_under(&self, base: &Name) -> bool {
        self.0.len() > base.0.len() && self.0[..base.0.len()] == base.0[..]
    }

    /// The name without its last RDN.
    pub fn parent(&self) -> Name {
        let mut v = self.0.clone();
        v.pop();
        Name(v)
    }

    /// Converts to an rcgen name. rcgen keeps one value per attribute type, so a repeated type is
    /// stored under its OID as a custom type (encoded identically); a third repeat is an error.
    pub fn to_rcgen(&self) -> Result<DistinguishedName, CaError> {
        let mut dn = DistinguishedName::new();
        for r in &self.0 {
            let oid = oid_of(&r.key)
                .ok_or_else(|| CaError::Input(format!("unknown name attribute {:?}", r.key)))?;
            let std_ty = DnType::from_oid(oid);
            let ty = if dn.get(&std_ty).is_none() {
                std_ty
            } else {
                let custom = DnType::CustomDnType(oid.to_vec());
                if dn.get(&custom).is_some() {
                    return Err(CaError::Input(format!(
                        "name {} repeats {} more than twice",
                        self.oneline(),
                        r.key
                    )));
                }
                custom
            };
            let value = if r.key == "C" || r.key == "emailAddress" || r.key == "DC" {
                match r.value.as_str().try_into() {
                    Ok(p) if r.key == "C" => DnValue::PrintableString(p),
                    _ => match r.value.as_str().try_into() {
                        Ok(ia5) => DnValue::Ia5String(ia5),
                        Err(_) => DnValue::Utf8String(r.value.clone()),
                    },
                }
            } else {
                match r.value.as_str().try_into() {
                    Ok(p) => DnValue::PrintableString(p),
                    Err(_) => DnValue::Utf8String(r.value.clone()),
                }
            };
            dn.push(ty, value);
        }
        Ok(dn)
    }

    /// Reads a parsed X.509 name (multi-valued RDNs are flattened in order).
    pub fn from_x509(name: &X509Name<'_>) -> Result<Name, CaError> {
        let mut out = Vec::new();
        for rdn in name.iter() {
            for atv in rdn.iter() {
                let oid: Vec<u64> = atv
                    .attr_type()
                    .iter()
                    .map(|i| i.collect())
                    .ok_or_else(|| CaError::Input("name attribute OID too large".into()))?;
                let key = key_of(&oid)
                    .map(str::to_string)
                    .unwrap_or_else(|| atv.attr_type().to_id_string());
                let value = string_value(atv.attr_value().tag(), atv.attr_value().data);
                out.push(Rdn { key, value });
            }
        }
        Ok(Name(out))
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.oneline())
    }
}

/// Decodes a directory string value to UTF-8 (T61String as Latin-1, as OpenSSL does).
fn string_value(tag: Tag, data: &[u8]) -> String {
    match tag {
        Tag::BmpString => {
            let u: Vec<u16> = data
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&u)
        }
        Tag::UniversalString => data
            .chunks(4)
            .filter_map(|c| {
                if c.len() == 4 {
                    char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                } else {
                    None
                }
            })
            .collect(),
        Tag::T61String => data.iter().map(|&b| b as char).collect(),
        _ => String::from_utf8_lossy(data).into_owned(),
    }
}

fn der_len(n: usize, out: &mut Vec<u8>) {
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// DER TLV with the given tag byte.
pub(crate) fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    der_len(content.len(), &mut out);
    out.extend_from_slice(content);
    out
}

/// OpenSSL's canonical form of a string value (x_name.c `asn1_string_canon`): whitespace
/// trimmed and collapsed, ASCII lowercased.
fn canon_value(s: &str) -> String {
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r');
    let mut out = String::new();
    let mut pending_space = false;
    for c in s.trim_matches(is_space).chars() {
        if is_space(c) {
            pending_space = true;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn is_canon_tag(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Utf8String
            | Tag::BmpString
            | Tag::UniversalString
            | Tag::PrintableString
            | Tag::T61String
            | Tag::Ia5String
            | Tag::VisibleString
    )
}

/// OpenSSL's `X509_NAME_hash` (`openssl x509 -hash`): SHA-1 of the canonical name encoding.
pub fn subject_hash(name: &X509Name<'_>) -> u32 {
    let mut canon = Vec::new();
    for rdn in name.iter() {
        let mut avas: Vec<Vec<u8>> = Vec::new();
        for atv in rdn.iter() {
            let mut seq = der_tlv(0x06, atv.attr_type().as_bytes());
            let v = atv.attr_value();
            if is_canon_tag(v.tag()) {
                let s = canon_value(&string_value(v.tag(), v.data));
                seq.extend(der_tlv(0x0c, s.as_bytes()));
            } else {
                seq.extend(der_tlv(v.tag().0 as u8, v.data));
            }
            avas.push(der_tlv(0x30, &seq));
        }
        avas.sort();
        canon.extend(der_tlv(0x31, &avas.concat()));
    }
    let d = Sha1::digest(&canon);
    u32::from_le_bytes([d[0], d[1], d[2], d[3]])
}

/// OpenSSL's `X509_NAME_hash_old` (`-subject_hash_old`): MD5 of the name's DER encoding.
pub fn subject_hash_old(name: &X509Name<'_>) -> u32 {
    let d = Md5::digest(name.as_raw());
    u32::from_le_bytes([d[0], d[1], d[2], d[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldap_round_trip_and_oneline() {
        let n = Name::from_ldap("cn=coreca,ou=coreca-cahost,ou=Core,o=Grid").unwrap();
        assert_eq!(n.oneline(), "/O=Grid/OU=Core/OU=coreca-cahost/CN=coreca");
        assert_eq!(n.ldap(), "cn=coreca,ou=coreca-cahost,ou=Core,o=Grid");
        assert_eq!(n.common_name(), Some("coreca"));
        assert!(n.clone().with("CN", "x").is_under(&n));
        assert!(!n.is_under(&n));
        assert!(Name::from_ldap("xx=1").is_err());
    }

    #[test]
    fn canon_collapses_space_and_case() {
        assert_eq!(canon_value("  System   Operator\t"), "system operator");
        assert_eq!(canon_value("ÁRVÍZ Tűrő"), "ÁrvÍz tűrő");
    }
}
