//! Pins from where curl takes them: a `--pinnedpubkey` list and public-key files.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::SubjectPublicKeyInfoDer;

use crate::certs::pem_problem;
use crate::der;
use crate::error::Error;
use crate::pin::{decode_base64, Pin};

impl Pin {
    /// Parses curl's `--pinnedpubkey` list form, `sha256//<base64>;sha256//<base64>;…`, into its
    /// pins, in order.
    ///
    /// Every item must be `sha256//` followed by the 44-character base64 of a SHA-256 digest,
    /// exactly as curl compares it. An empty item (`;;`, or a `;` at either end), white space
    /// anywhere, or an item of another form is an [`Error::InvalidPinList`] naming the item:
    /// curl compares each item with the key's pin as text, so an item it cannot read just never
    /// matches, and a typo silently removes a pin. (To read a public-key file, curl's other
    /// form, use [`Pin::from_public_key_file`].)
    ///
    /// ```
    /// use tlspin::Pin;
    ///
    /// let pins = Pin::from_curl_list(
    ///     "sha256//ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=;\
    ///      sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    /// )?;
    /// assert_eq!(pins.len(), 2);
    ///
    /// let error = Pin::from_curl_list("sha256//ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=;;")
    ///     .unwrap_err();
    /// assert!(error.to_string().starts_with("item 2 of the curl pin list"));
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    pub fn from_curl_list(list: &str) -> Result<Vec<Pin>, Error> {
        list.split(';')
            .enumerate()
            .map(|(index, item)| {
                let invalid = |problem: String| Error::InvalidPinList {
                    item: index + 1,
                    text: item.to_owned(),
                    problem,
                };
                if item.is_empty() {
                    return Err(invalid("it is empty".into()));
                }
                if item.chars().any(char::is_whitespace) {
                    return Err(invalid("it contains white space".into()));
                }
                let Some(digest) = item.strip_prefix("sha256//") else {
                    return Err(invalid("it does not start with \"sha256//\"".into()));
                };
                if digest.len() != 44 {
                    return Err(invalid(format!(
                        "its digest has {} characters; expected 44 (the base64 of 32 bytes)",
                        digest.len()
                    )));
                }
                decode_base64(digest).map(Pin::from_sha256).map_err(invalid)
            })
            .collect()
    }

    /// The pin of a public key given as a PEM `PUBLIC KEY` block or as DER
    /// SubjectPublicKeyInfo bytes (what `openssl pkey -pubout` writes, with or without
    /// `-outform der`).
    ///
    /// Fails with [`Error::InvalidPublicKey`] if the bytes hold no public key, more than one, or
    /// anything else besides it (a certificate, a private key, a PKCS#1 `RSA PUBLIC KEY`),
    /// saying what was found and how to get the public key; the error never repeats the input.
    /// DER must be DER: a BER encoding of the same key would hash to a pin no server matches.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = rcgen::KeyPair::generate()?;
    /// # let public_key_pem = key.public_key_pem();
    /// // `public_key_pem` holds "-----BEGIN PUBLIC KEY-----\n...", from `openssl pkey -pubout`.
    /// let pin = tlspin::Pin::from_public_key(public_key_pem.as_bytes())?;
    /// println!("pin the device with {pin}");
    /// # Ok(()) }
    /// ```
    pub fn from_public_key(bytes: &[u8]) -> Result<Pin, Error> {
        public_key_pin(bytes, "the given bytes")
    }

    /// [`Pin::from_public_key`] of a file's contents; a file that cannot be read is
    /// [`Error::Io`].
    pub fn from_public_key_file(path: impl AsRef<Path>) -> Result<Pin, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|error| Error::Io {
            path: path.to_owned(),
            error: Arc::new(error),
        })?;
        public_key_pin(&bytes, &path.display().to_string())
    }
}

fn public_key_pin(bytes: &[u8], source: &str) -> Result<Pin, Error> {
    let invalid = |problem: String| Error::InvalidPublicKey {
        source: source.to_owned(),
        problem,
    };
    let spki = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        let labels = pem_labels(bytes);
        let others: Vec<&str> = labels
            .iter()
            .map(String::as_str)
            .filter(|label| *label != "PUBLIC KEY")
            .collect();
        if !others.is_empty() && others.len() < labels.len() {
            return Err(invalid(format!(
                "besides a PUBLIC KEY it holds {}; expected the public key alone",
                others.join(", ")
            )));
        }
        let keys = SubjectPublicKeyInfoDer::pem_slice_iter(bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("its PEM does not parse: {}", pem_problem(&e))))?;
        match <[_; 1]>::try_from(keys) {
            Ok([key]) => key.as_ref().to_vec(),
            Err(keys) if keys.is_empty() => return Err(invalid(no_public_key_found(&labels))),
            Err(keys) => {
                return Err(invalid(format!(
                    "it holds {} PUBLIC KEY blocks; expected one",
                    keys.len()
                )))
            }
        }
    } else {
        bytes.to_vec()
    };
    der::check_spki(&spki).map_err(|e| {
        invalid(if der::parse_certificate(&spki).is_ok() {
            "it is a DER certificate, not a public key; pin it with Pin::from_cert_der".into()
        } else {
            format!("its DER is not a SubjectPublicKeyInfo: {e}")
        })
    })?;
    Ok(Pin::from_spki_der(&spki))
}

/// The label of every `-----BEGIN LABEL-----` line, in order. A label that is not short
/// upper-case text (a flattened key would put its base64 there) is shown as "an unreadable
/// label", so that no input is ever repeated in a message.
fn pem_labels(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    text.match_indices("-----BEGIN ")
        .map(|(at, begin)| {
            let rest = text.get(at + begin.len()..).unwrap_or_default();
            match rest.split_once("-----") {
                Some((label, _))
                    if label.len() <= 40
                        && label.bytes().all(|b| b.is_ascii_uppercase() || b == b' ') =>
                {
                    label.to_owned()
                }
                _ => "an unreadable label".to_owned(),
            }
        })
        .collect()
}

/// What a PEM input without a `PUBLIC KEY` block holds instead, and how to get the public key.
fn no_public_key_found(labels: &[String]) -> String {
    let has = |wanted: &str| labels.iter().any(|label| label == wanted);
    if has("RSA PUBLIC KEY") {
        "it holds a PKCS#1 RSA PUBLIC KEY; expected a PUBLIC KEY (SubjectPublicKeyInfo): convert \
         it with `openssl rsa -RSAPublicKey_in -pubout`"
            .into()
    } else if has("CERTIFICATE") {
        "it holds a CERTIFICATE, not a PUBLIC KEY; pin the certificate's key with \
         Pin::from_cert_der (or `tlspin pin FILE`)"
            .into()
    } else if labels.iter().any(|label| label.ends_with("PRIVATE KEY")) {
        "it holds a PRIVATE KEY; expected its public key: `openssl pkey -pubout` writes it (and \
         keep the private key out of places that only need the pin)"
            .into()
    } else {
        "it holds no PUBLIC KEY block; expected \"-----BEGIN PUBLIC KEY-----\"".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256//ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=";
    const B: &str = "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    #[test]
    fn curl_lists_parse_every_item_in_order() {
        let pins = Pin::from_curl_list(&format!("{A};{B}")).unwrap();
        assert_eq!(pins, [A.parse().unwrap(), B.parse::<Pin>().unwrap()]);
        assert_eq!(Pin::from_curl_list(A).unwrap().len(), 1);
    }

    #[test]
    fn a_bad_item_is_named() {
        for (list, item, needle) in [
            (String::new(), 1, "empty"),
            (format!("{A};"), 2, "empty"),
            (format!(";{A}"), 1, "empty"),
            (format!("{A};;{B}"), 2, "empty"),
            (format!("{A}; {B}"), 2, "white space"),
            (format!("{A};{B}\n"), 2, "white space"),
            (
                format!("{A};sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg="),
                2,
                "\"sha256//\"",
            ),
            (
                format!("{A};SHA256//ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg="),
                2,
                "\"sha256//\"",
            ),
            (format!("{A};sha1//AAAA"), 2, "\"sha256//\""),
            (
                format!("{A};sha256//AAAA"),
                2,
                "has 4 characters; expected 44",
            ),
            (
                format!("{A};{B};sha256//ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3-4Jjg="),
                3,
                "base64url",
            ),
        ] {
            let error = Pin::from_curl_list(&list).unwrap_err();
            assert!(
                matches!(&error, Error::InvalidPinList { item: i, .. } if *i == item),
                "{list:?}: {error:?}"
            );
            let shown = error.to_string();
            assert!(
                shown.starts_with(&format!("item {item} of the curl pin list")),
                "{shown}"
            );
            assert!(shown.contains(needle), "{list:?}: {shown}");
        }
    }

    #[test]
    fn public_key_inputs_that_are_not_one_key_are_refused_with_the_reason() {
        let cases: [(&[u8], &str); 6] = [
            (b"", "not a SubjectPublicKeyInfo"),
            (b"\x30\x03\x02\x01\x01", "the AlgorithmIdentifier"),
            (
                b"-----BEGIN RSA PUBLIC KEY-----\nMAA=\n-----END RSA PUBLIC KEY-----\n",
                "openssl rsa -RSAPublicKey_in -pubout",
            ),
            (
                b"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
                "openssl pkey -pubout",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
                "Pin::from_cert_der",
            ),
            (
                b"-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n\
                  -----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
                "2 PUBLIC KEY blocks",
            ),
        ];
        for (bytes, needle) in cases {
            let error = Pin::from_public_key(bytes).unwrap_err();
            let shown = error.to_string();
            assert!(matches!(error, Error::InvalidPublicKey { .. }), "{shown}");
            assert!(shown.contains(needle), "{shown}");
            assert!(!shown.contains("MAA="), "the input is not echoed: {shown}");
        }
    }
}
