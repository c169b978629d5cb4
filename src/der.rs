//! A minimal, bounds-checked DER walk over an X.509 certificate.
//!
//! tlspin needs exactly two things from a certificate that rustls-webpki does not expose: the
//! validity period, and the SubjectPublicKeyInfo of certificates webpki refuses to parse (v1
//! certificates, unknown critical extensions) so that a pin can still be computed and shown.
//! Everything else (signatures, names, path building) is left to webpki.
//!
//! The input is untrusted: every read is checked and every failure says what was expected, what
//! was found and at which byte offset.

use core::fmt;

use crate::time::{days_from_civil, days_in_month};

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_UTC_TIME: u8 = 0x17;
const TAG_GENERALIZED_TIME: u8 = 0x18;
const TAG_VERSION: u8 = 0xa0;

/// The fields tlspin reads from a certificate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CertFields<'a> {
    /// The complete DER SubjectPublicKeyInfo, including its outer SEQUENCE tag and length.
    pub(crate) spki: &'a [u8],
    /// The Validity SEQUENCE, read only when asked for (as webpki does): a malformed time must
    /// not stop a pin from being computed.
    validity: Element<'a>,
}

/// A certificate's validity period, in seconds since the UNIX epoch (negative before 1970).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Validity {
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
}

impl CertFields<'_> {
    /// Reads notBefore and notAfter.
    pub(crate) fn validity(&self) -> Result<Validity, DerError> {
        let mut validity = self.validity.reader();
        let not_before = read_time(&mut validity, "notBefore")?;
        let not_after = read_time(&mut validity, "notAfter")?;
        validity.expect_end("the end of Validity")?;
        Ok(Validity {
            not_before,
            not_after,
        })
    }
}

/// Why a certificate could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DerError {
    pub(crate) offset: usize,
    pub(crate) expected: &'static str,
    pub(crate) found: String,
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected {} at byte {}, found {}",
            self.expected, self.offset, self.found
        )
    }
}

/// Reads the fields of a DER `Certificate`. Trailing bytes after the certificate are an error.
pub(crate) fn parse_certificate(der: &[u8]) -> Result<CertFields<'_>, DerError> {
    let mut outer = Reader::new(der, 0);
    let cert = outer.expect(TAG_SEQUENCE, "a certificate (DER SEQUENCE, tag 0x30)")?;
    outer.expect_end("the end of the certificate")?;

    let mut cert = cert.reader();
    let tbs = cert.expect(TAG_SEQUENCE, "the TBSCertificate SEQUENCE")?;
    let mut tbs = tbs.reader();
    if tbs.peek_tag() == Some(TAG_VERSION) {
        tbs.expect(TAG_VERSION, "the [0] version")?;
    }
    tbs.expect(TAG_INTEGER, "the serial number (INTEGER)")?;
    tbs.expect(TAG_SEQUENCE, "the signature AlgorithmIdentifier (SEQUENCE)")?;
    tbs.expect(TAG_SEQUENCE, "the issuer Name (SEQUENCE)")?;
    let validity = tbs.expect(TAG_SEQUENCE, "the Validity (SEQUENCE)")?;
    tbs.expect(TAG_SEQUENCE, "the subject Name (SEQUENCE)")?;
    let spki = tbs.expect(TAG_SEQUENCE, "the SubjectPublicKeyInfo (SEQUENCE)")?;

    Ok(CertFields {
        spki: spki.whole,
        validity,
    })
}

/// Checks that `der` is exactly one DER `SubjectPublicKeyInfo`: a SEQUENCE holding an
/// AlgorithmIdentifier SEQUENCE and the key's BIT STRING, and nothing after it.
pub(crate) fn check_spki(der: &[u8]) -> Result<(), DerError> {
    let mut outer = Reader::new(der, 0);
    let spki = outer.expect(
        TAG_SEQUENCE,
        "a SubjectPublicKeyInfo (DER SEQUENCE, tag 0x30)",
    )?;
    outer.expect_end("the end of the SubjectPublicKeyInfo")?;
    let mut spki = spki.reader();
    spki.expect(TAG_SEQUENCE, "the AlgorithmIdentifier (SEQUENCE)")?;
    spki.expect(TAG_BIT_STRING, "the subjectPublicKey (BIT STRING)")?;
    spki.expect_end("the end of the SubjectPublicKeyInfo's contents")
}

/// DER-encodes `contents` as a SEQUENCE (tag, definite length, contents).
///
/// rustls-webpki stores a trust anchor's SubjectPublicKeyInfo without its outer SEQUENCE; pins
/// hash the whole SPKI, so anchors must be re-wrapped before hashing.
pub(crate) fn wrap_sequence(contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = Vec::with_capacity(len + 6);
    out.push(TAG_SEQUENCE);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(contents);
    out
}

/// One TLV: its complete encoding and its contents.
#[derive(Debug, Clone, Copy)]
struct Element<'a> {
    whole: &'a [u8],
    contents: &'a [u8],
    contents_offset: usize,
}

impl<'a> Element<'a> {
    fn reader(&self) -> Reader<'a> {
        Reader::new(self.contents, self.contents_offset)
    }
}

/// A cursor over DER bytes; `base` is the absolute offset of `input` for error messages.
struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8], base: usize) -> Self {
        Self {
            input,
            pos: 0,
            base,
        }
    }

    fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn error(&self, expected: &'static str, found: String) -> DerError {
        DerError {
            offset: self.offset(),
            expected,
            found,
        }
    }

    fn peek_tag(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn byte(&mut self, expected: &'static str) -> Result<u8, DerError> {
        let b = self
            .input
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.error(expected, "the end of the input".into()))?;
        self.pos += 1;
        Ok(b)
    }

    /// Reads one element whose tag must be `tag`.
    fn expect(&mut self, tag: u8, what: &'static str) -> Result<Element<'a>, DerError> {
        let start = self.pos;
        let found = self.byte(what)?;
        if found != tag {
            self.pos = start;
            return Err(self.error(what, format!("tag 0x{found:02x}")));
        }
        let len = self.length(what)?;
        let contents_offset = self.offset();
        let end = self
            .pos
            .checked_add(len)
            .filter(|end| *end <= self.input.len())
            .ok_or_else(|| DerError {
                offset: self.base + start,
                expected: what,
                found: format!(
                    "a length of {len} bytes with only {} left",
                    self.input.len().saturating_sub(self.pos)
                ),
            })?;
        let whole = self.input.get(start..end);
        let contents = self.input.get(self.pos..end);
        self.pos = end;
        match (whole, contents) {
            (Some(whole), Some(contents)) => Ok(Element {
                whole,
                contents,
                contents_offset,
            }),
            _ => Err(self.error(what, "an out-of-range length".into())),
        }
    }

    /// Reads a definite DER length (short form, or long form of at most four bytes).
    fn length(&mut self, what: &'static str) -> Result<usize, DerError> {
        let first = self.byte(what)?;
        if first < 0x80 {
            return Ok(usize::from(first));
        }
        let count = first & 0x7f;
        if count == 0 {
            return Err(self.error(
                "a definite length",
                "the indefinite length form (0x80), which DER forbids".into(),
            ));
        }
        if count > 4 {
            return Err(self.error(
                "a length of at most 4 bytes",
                format!("a {count}-byte length"),
            ));
        }
        let mut len: usize = 0;
        for _ in 0..count {
            len = (len << 8) | usize::from(self.byte(what)?);
        }
        // DER writes every length in its shortest form; BER's longer forms would give the same
        // value different bytes, and so a different digest than the DER everyone else hashes.
        let shortest = match len {
            0..=0x7f => 0,
            0x80..=0xff => 1,
            0x100..=0xffff => 2,
            0x1_0000..=0xff_ffff => 3,
            _ => 4,
        };
        if usize::from(count) != shortest {
            return Err(self.error(
                "a length in DER's shortest form",
                format!("{len} written in {count} length bytes (BER, not DER)"),
            ));
        }
        Ok(len)
    }

    fn expect_end(&self, what: &'static str) -> Result<(), DerError> {
        let left = self.input.len().saturating_sub(self.pos);
        if left == 0 {
            Ok(())
        } else {
            Err(self.error(what, format!("{left} trailing bytes")))
        }
    }
}

/// Reads a UTCTime or GeneralizedTime in the forms RFC 5280 allows (`YYMMDDHHMMSSZ`,
/// `YYYYMMDDHHMMSSZ`) and returns seconds since the UNIX epoch.
fn read_time(reader: &mut Reader<'_>, field: &'static str) -> Result<i64, DerError> {
    let offset = reader.offset();
    let bad = |found: String| DerError {
        offset,
        expected: "a UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ)",
        found: format!("{found} in {field}"),
    };
    // `at` is where the month digits start.
    let (digits, year, at) = match reader.peek_tag() {
        Some(TAG_UTC_TIME) => {
            let e = reader.expect(TAG_UTC_TIME, "a UTCTime")?;
            let digits = time_digits(e.contents, 12).ok_or_else(|| bad(describe(e.contents)))?;
            let yy = two(&digits, 0);
            // RFC 5280 4.1.2.5.1: YY >= 50 means 19YY, otherwise 20YY.
            let year = if yy >= 50 { 1900 + yy } else { 2000 + yy };
            (digits, year, 2)
        }
        Some(TAG_GENERALIZED_TIME) => {
            let e = reader.expect(TAG_GENERALIZED_TIME, "a GeneralizedTime")?;
            let digits = time_digits(e.contents, 14).ok_or_else(|| bad(describe(e.contents)))?;
            let year = two(&digits, 0) * 100 + two(&digits, 2);
            (digits, year, 4)
        }
        Some(tag) => return Err(bad(format!("tag 0x{tag:02x}"))),
        None => return Err(bad("the end of the input".into())),
    };
    let (month, day) = (two(&digits, at), two(&digits, at + 2));
    let (hour, minute, second) = (
        two(&digits, at + 4),
        two(&digits, at + 6),
        two(&digits, at + 8),
    );
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(bad(format!(
            "the impossible date {year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"
        )));
    }
    let days = days_from_civil(i64::from(year), month, day);
    Ok(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

/// The most digits a time has (GeneralizedTime, YYYYMMDDHHMMSS).
const MAX_TIME_DIGITS: usize = 14;

/// Checks that `contents` is `count` (at most [`MAX_TIME_DIGITS`]) ASCII digits followed by `Z`
/// and returns the digits' values, zero-padded. No allocation: this runs on every pinned
/// handshake.
fn time_digits(contents: &[u8], count: usize) -> Option<[u32; MAX_TIME_DIGITS]> {
    let (digits, z) = contents.split_at_checked(count)?;
    if z != b"Z" || count > MAX_TIME_DIGITS {
        return None;
    }
    let mut values = [0; MAX_TIME_DIGITS];
    for (value, byte) in values.iter_mut().zip(digits) {
        *value = char::from(*byte).to_digit(10)?;
    }
    Some(values)
}

/// The two-digit number at `at`; callers pass digit slices long enough for every `at` they use.
fn two(digits: &[u32], at: usize) -> u32 {
    let d = |i: usize| digits.get(at + i).copied().unwrap_or(0);
    d(0) * 10 + d(1)
}

fn describe(contents: &[u8]) -> String {
    match core::str::from_utf8(contents) {
        Ok(s) if s.len() <= 32 => format!("{s:?}"),
        _ => format!("{} bytes that are not a time", contents.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = contents.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(contents);
        out
    }

    fn cert_with_validity(validity: &[u8]) -> Vec<u8> {
        let spki = tlv(TAG_SEQUENCE, b"spki");
        let tbs = [
            tlv(TAG_VERSION, &tlv(TAG_INTEGER, &[2])),
            tlv(TAG_INTEGER, &[1]),
            tlv(TAG_SEQUENCE, b""),
            tlv(TAG_SEQUENCE, b""),
            tlv(TAG_SEQUENCE, validity),
            tlv(TAG_SEQUENCE, b""),
            spki,
        ]
        .concat();
        tlv(
            TAG_SEQUENCE,
            &[
                tlv(TAG_SEQUENCE, &tbs),
                tlv(TAG_SEQUENCE, b""),
                tlv(0x03, b"\0"),
            ]
            .concat(),
        )
    }

    fn validity(a: &[u8], b: &[u8]) -> Vec<u8> {
        let t = |s: &[u8]| {
            tlv(
                if s.len() == 13 {
                    TAG_UTC_TIME
                } else {
                    TAG_GENERALIZED_TIME
                },
                s,
            )
        };
        [t(a), t(b)].concat()
    }

    #[test]
    fn reads_times_and_spki() {
        let der = cert_with_validity(&validity(b"700101000000Z", b"20380119031408Z"));
        let fields = parse_certificate(&der).unwrap();
        let validity = fields.validity().unwrap();
        assert_eq!(validity.not_before, 0);
        assert_eq!(validity.not_after, 2_147_483_648);
        assert_eq!(fields.spki, tlv(TAG_SEQUENCE, b"spki").as_slice());
    }

    #[test]
    fn utc_time_pivot_and_pre_epoch() {
        let der = cert_with_validity(&validity(b"500101000000Z", b"491231235959Z"));
        let validity = parse_certificate(&der).unwrap().validity().unwrap();
        assert_eq!(validity.not_before, -631_152_000);
        assert_eq!(validity.not_after, 2_524_607_999);
    }

    #[test]
    fn leap_days() {
        let read = |der: &[u8]| parse_certificate(der).unwrap().validity();
        let ok = cert_with_validity(&validity(b"000229000000Z", b"20240229000000Z"));
        assert!(read(&ok).is_ok());
        let bad = cert_with_validity(&validity(b"230229000000Z", b"20240229000000Z"));
        let err = read(&bad).unwrap_err();
        assert!(err.found.contains("2023-02-29"), "{err}");
        let century = cert_with_validity(&validity(b"000101000000Z", b"21000229000000Z"));
        assert!(read(&century).is_err());
    }

    #[test]
    fn rejects_malformed_times() {
        for (a, b) in [
            (&b"700101000000"[..], &b"700101000000Z"[..]),
            (b"7001010000000", b"700101000000Z"),
            (b"701301000000Z", b"700101000000Z"),
            (b"700101240000Z", b"700101000000Z"),
            (b"70010100000aZ", b"700101000000Z"),
            (b"700101000000Z", b"20380119031408+0100"),
        ] {
            let der = cert_with_validity(&validity(a, b));
            // The key is still readable; only the validity period is not.
            let fields = parse_certificate(&der).unwrap();
            let err = fields.validity().unwrap_err();
            assert!(err.expected.contains("UTCTime"), "{err}");
        }
    }

    #[test]
    fn rejects_bad_structure_without_panicking() {
        let good = cert_with_validity(&validity(b"700101000000Z", b"20380119031408Z"));
        for len in 0..good.len() {
            assert!(
                parse_certificate(&good[..len]).is_err(),
                "prefix of {len} bytes"
            );
        }
        let mut trailing = good.clone();
        trailing.push(0);
        let err = parse_certificate(&trailing).unwrap_err();
        assert_eq!(err.found, "1 trailing bytes");

        let err = parse_certificate(b"-----BEGIN CERTIFICATE-----").unwrap_err();
        assert_eq!(err.offset, 0);
        assert_eq!(err.found, "tag 0x2d");

        for bytes in [
            &[0x30, 0x80][..],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert!(parse_certificate(bytes).is_err());
        }
    }

    #[test]
    fn wraps_sequences_like_der() {
        assert_eq!(wrap_sequence(b"ab"), tlv(TAG_SEQUENCE, b"ab"));
        let long = vec![7u8; 300];
        assert_eq!(wrap_sequence(&long), tlv(TAG_SEQUENCE, &long));
        let big = wrap_sequence(&[1u8; 70_000]);
        assert_eq!(&big[..5], &[0x30, 0x83, 0x01, 0x11, 0x70]);
        let element = Reader::new(&big, 0)
            .expect(TAG_SEQUENCE, "a SEQUENCE")
            .unwrap();
        assert_eq!(element.contents.len(), 70_000);
    }
}
