//! A ClientHello writer: just enough TLS to ask a server what it would choose.

/// The parameters of one probing ClientHello.
#[derive(Debug, Clone)]
pub struct ClientHello<'a> {
    /// `legacy_version`: 0x0300 (SSL 3.0), 0x0301 (TLS 1.0), 0x0302 (TLS 1.1) or 0x0303
    /// (TLS 1.2 and 1.3). An SSL 3.0 hello goes in an SSL 3.0 record and has no extensions (SSL
    /// 3.0 defines none).
    pub version: u16,
    /// Offer TLS 1.3 only: a `supported_versions` extension naming TLS 1.3 and an empty
    /// `key_share`, so a TLS 1.3 server answers with a HelloRetryRequest naming its group.
    pub tls13: bool,
    /// Cipher suites, in order.
    pub suites: &'a [u16],
    /// Groups (`supported_groups`).
    pub groups: &'a [u16],
    /// Signature schemes (`signature_algorithms`); omitted when empty.
    pub schemes: &'a [u16],
    /// The `server_name` to send, if any (a DNS name; IP addresses are never sent).
    pub server_name: Option<&'a str>,
}

const EXT_SERVER_NAME: u16 = 0;
const EXT_SUPPORTED_GROUPS: u16 = 10;
const EXT_EC_POINT_FORMATS: u16 = 11;
const EXT_SIGNATURE_ALGORITHMS: u16 = 13;
const EXT_EXTENDED_MASTER_SECRET: u16 = 23;
const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_KEY_SHARE: u16 = 51;
const EXT_RENEGOTIATION_INFO: u16 = 0xff01;

impl ClientHello<'_> {
    /// The ClientHello as one TLS record, ready to write to the socket.
    pub fn encode(&self) -> Vec<u8> {
        let mut random = [0u8; 32];
        // A probe needs no secrecy from its random, but a fresh one avoids looking like a replay;
        // if the system has no randomness, the zero random still makes a valid ClientHello.
        let _ = aws_lc_rs::rand::fill(&mut random);

        let mut body = Vec::with_capacity(512);
        body.extend_from_slice(&self.version.to_be_bytes());
        body.extend_from_slice(&random);
        if self.tls13 {
            // A 32-byte legacy session id, as TLS 1.3 "middlebox compatibility mode" sends.
            body.push(32);
            body.extend_from_slice(&random);
        } else {
            body.push(0);
        }
        put_u16_list(&mut body, self.suites);
        body.extend_from_slice(&[1, 0]); // compression methods: null only
        if self.version == SSL30 {
            return record(SSL30, &body);
        }

        let mut extensions = Vec::new();
        if let Some(name) = self.server_name {
            // server_name_list { name_type host_name (0), HostName }
            let mut entry = vec![0];
            put_vec_u16(&mut entry, name.as_bytes());
            let mut list = Vec::new();
            put_vec_u16(&mut list, &entry);
            put_extension(&mut extensions, EXT_SERVER_NAME, &list);
        }
        let mut groups = Vec::new();
        put_u16_list(&mut groups, self.groups);
        put_extension(&mut extensions, EXT_SUPPORTED_GROUPS, &groups);
        put_extension(&mut extensions, EXT_EC_POINT_FORMATS, &[1, 0]);
        if !self.schemes.is_empty() {
            let mut schemes = Vec::new();
            put_u16_list(&mut schemes, self.schemes);
            put_extension(&mut extensions, EXT_SIGNATURE_ALGORITHMS, &schemes);
        }
        put_extension(&mut extensions, EXT_EXTENDED_MASTER_SECRET, &[]);
        put_extension(&mut extensions, EXT_RENEGOTIATION_INFO, &[0]);
        if self.tls13 {
            put_extension(&mut extensions, EXT_SUPPORTED_VERSIONS, &[2, 0x03, 0x04]);
            put_extension(&mut extensions, EXT_KEY_SHARE, &[0, 0]);
        }
        put_vec_u16(&mut body, &extensions);
        // The TLS 1.0 record version, as TLS 1.2 and 1.3 clients send their first record.
        record(0x0301, &body)
    }
}

/// SSL 3.0's version number.
const SSL30: u16 = 0x0300;

/// `body` as a client_hello handshake message in one handshake record of `record_version`.
fn record(record_version: u16, body: &[u8]) -> Vec<u8> {
    let mut handshake = vec![1]; // client_hello
    let length = u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes();
    handshake.extend_from_slice(length.get(1..).unwrap_or_default());
    handshake.extend_from_slice(body);

    let mut record = vec![22]; // handshake record
    record.extend_from_slice(&record_version.to_be_bytes());
    put_vec_u16(&mut record, &handshake);
    record
}

/// Appends `items` as a `u16`-length-prefixed list of `u16`s.
fn put_u16_list(out: &mut Vec<u8>, items: &[u16]) {
    let bytes: Vec<u8> = items.iter().flat_map(|item| item.to_be_bytes()).collect();
    put_vec_u16(out, &bytes);
}

/// Appends `bytes` with a `u16` length prefix; longer input is truncated to 65535 bytes (the
/// probe's own messages are far smaller).
fn put_vec_u16(out: &mut Vec<u8>, bytes: &[u8]) {
    let bytes = bytes.get(..usize::from(u16::MAX)).unwrap_or(bytes);
    let length = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(bytes);
}

fn put_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    put_vec_u16(out, data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_record_whose_lengths_add_up() {
        let hello = ClientHello {
            version: 0x0303,
            tls13: true,
            suites: &[0x1301, 0x1302],
            groups: &[0x001d],
            schemes: &[0x0403],
            server_name: Some("localhost"),
        };
        let bytes = hello.encode();
        assert_eq!(bytes[..3], [22, 3, 1]);
        let record_len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        assert_eq!(record_len, bytes.len() - 5);
        assert_eq!(bytes[5], 1);
        let hs_len =
            usize::from(bytes[6]) << 16 | usize::from(bytes[7]) << 8 | usize::from(bytes[8]);
        assert_eq!(hs_len, bytes.len() - 9);
        let text = bytes.windows(9).any(|w| w == b"localhost");
        assert!(text, "server_name is sent");
    }

    #[test]
    fn ssl3_hello_has_an_ssl3_record_and_no_extensions() {
        let hello = ClientHello {
            version: 0x0300,
            tls13: false,
            suites: &[0x000a, 0x002f],
            groups: &[0x0017],
            schemes: &[0x0401],
            server_name: Some("localhost"),
        };
        let bytes = hello.encode();
        assert_eq!(bytes[..3], [22, 3, 0]);
        assert_eq!(bytes[9..11], [3, 0], "client_version");
        // record 5 + handshake header 4 + version 2 + random 32 + session id 1 + suites 2+4 +
        // compression 2: the hello ends after its compression methods.
        assert_eq!(bytes.len(), 5 + 4 + 2 + 32 + 1 + 6 + 2);
        assert_eq!(bytes[bytes.len() - 2..], [1, 0]);
    }
}
