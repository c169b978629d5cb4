//! `tlspin probe` against sslscan 2.x: for a matrix of OpenSSL `s_server` and GnuTLS
//! `gnutls-serv` configurations on loopback, both tools must find the same cipher suites in every
//! protocol version.
//!
//! Suites are compared as sets: both tools remove the server's pick and ask again, so the order
//! they report is the server's only when the server imposes its own preference (otherwise it
//! follows each tool's own offer order, which differ). Cases where the server does impose its
//! order (`-serverpref`, `%SERVER_PRECEDENCE`) compare the order too.
//!
//! Where sslscan cannot see a suite (its handshakes come from its OpenSSL client, which offers no
//! PSK suite without a key and no brainpool curve), the case says why, names the suites, and
//! proves the server accepts them with an `openssl s_client` handshake instead of dropping the
//! case; the case fails if sslscan stops missing them.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use common::{openssl, openssl_cert, tlspin, GnutlsServer, SServer};
use tlspin_cli::probe::catalog::suite_name;

const PSK_HEX: &str = "1a2b3c4d5e6f";

/// The versions both tools report, in sslscan's spelling and tlspin's.
const VERSIONS: [(&str, &str); 4] = [
    ("TLSv1.0", "TLS 1.0"),
    ("TLSv1.1", "TLS 1.1"),
    ("TLSv1.2", "TLS 1.2"),
    ("TLSv1.3", "TLS 1.3"),
];

enum Peer {
    /// `openssl s_server` with the certificate `key` (a name in [`keys`]) and these arguments.
    OpenSsl(&'static str, &'static [&'static str]),
    /// `gnutls-serv` with the certificate `key`, a priority string, and whether to load the PSK
    /// file.
    Gnutls(&'static str, &'static str, bool),
}

/// Suites sslscan does not see although the server accepts them.
struct Blind {
    /// Why sslscan misses them.
    why: &'static str,
    /// Which of tlspin's suites (IANA names) sslscan misses.
    missed: fn(&str) -> bool,
    /// `openssl s_client` arguments (after `-connect`) whose handshake shows the server accepts
    /// one of them, and the OpenSSL cipher name it must print.
    confirm: &'static [&'static str],
    confirm_cipher: &'static str,
}

struct Case {
    peer: Peer,
    /// The server imposes its own order: compare lists, not sets.
    server_order: bool,
    blind: Option<Blind>,
}

const fn openssl_case(key: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        peer: Peer::OpenSsl(key, args),
        server_order: false,
        blind: None,
    }
}

const fn gnutls_case(key: &'static str, priority: &'static str) -> Case {
    Case {
        peer: Peer::Gnutls(key, priority, false),
        server_order: false,
        blind: None,
    }
}

const ALL_CIPHERS: &str = "ALL:COMPLEMENTOFALL:@SECLEVEL=0";

fn is_psk(name: &str) -> bool {
    name.contains("PSK")
}

fn cases() -> Vec<Case> {
    let psk_blind = |confirm: &'static [&'static str], cipher: &'static str| Blind {
        why: "sslscan's OpenSSL client offers PSK suites only with a key, and sslscan has none",
        missed: is_psk,
        confirm,
        confirm_cipher: cipher,
    };
    vec![
        // The README's servers and every certificate key type.
        openssl_case("rsa", &[]),
        openssl_case("p256", &[]),
        openssl_case("p384", &[]),
        openssl_case("p521", &[]),
        openssl_case("ed25519", &[]),
        openssl_case("ed448", &[]),
        openssl_case("rsa-pss", &[]),
        Case {
            blind: Some(Blind {
                why:
                    "sslscan's OpenSSL client lists no brainpool curve in supported_groups, and a \
                      TLS 1.2 server may sign with an EC certificate only on a curve the client \
                      lists",
                missed: |name| name.starts_with("TLS_ECDHE_ECDSA_"),
                confirm: &[
                    "-tls1_2",
                    "-groups",
                    "brainpoolP256r1:x25519",
                    "-cipher",
                    "ECDHE-ECDSA-AES128-GCM-SHA256",
                ],
                confirm_cipher: "ECDHE-ECDSA-AES128-GCM-SHA256",
            }),
            ..openssl_case("brainpool", &[])
        },
        openssl_case(
            "p256",
            &["-sigalgs", "ECDSA+SHA1", "-cipher", "DEFAULT:@SECLEVEL=0"],
        ),
        // Everything OpenSSL has, TLS 1.0 to 1.3, per key type.
        openssl_case("rsa", &["-cipher", ALL_CIPHERS, "-min_protocol", "TLSv1"]),
        openssl_case("p256", &["-cipher", ALL_CIPHERS, "-min_protocol", "TLSv1"]),
        openssl_case("dsa", &["-cipher", ALL_CIPHERS, "-min_protocol", "TLSv1"]),
        openssl_case("ed448", &["-cipher", ALL_CIPHERS, "-min_protocol", "TLSv1"]),
        // One family at a time.
        openssl_case(
            "rsa",
            &[
                "-cipher",
                "AES:CAMELLIA:3DES:!AEAD:@SECLEVEL=0",
                "-no_tls1_3",
                "-min_protocol",
                "TLSv1",
            ],
        ),
        openssl_case(
            "rsa",
            &[
                "-cipher",
                "CHACHA20",
                "-ciphersuites",
                "TLS_CHACHA20_POLY1305_SHA256",
            ],
        ),
        openssl_case(
            "p256",
            &[
                "-cipher",
                "AESCCM:AESCCM8",
                "-ciphersuites",
                "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256",
            ],
        ),
        openssl_case("rsa", &["-cipher", "ARIA:@SECLEVEL=0", "-no_tls1_3"]),
        openssl_case(
            "p256",
            &["-cipher", "ECDHE+CAMELLIA:ECDHE+ARIA", "-no_tls1_3"],
        ),
        openssl_case(
            "rsa",
            &[
                "-cipher",
                "aNULL:@SECLEVEL=0",
                "-no_tls1_3",
                "-min_protocol",
                "TLSv1",
            ],
        ),
        openssl_case(
            "rsa",
            &[
                "-cipher",
                "eNULL:@SECLEVEL=0",
                "-no_tls1_3",
                "-min_protocol",
                "TLSv1",
            ],
        ),
        openssl_case("rsa", &["-cipher", "kDHE:@SECLEVEL=0", "-no_tls1_3"]),
        openssl_case(
            "rsa",
            &[
                "-cipher",
                "kRSA:@SECLEVEL=0",
                "-no_tls1_3",
                "-min_protocol",
                "TLSv1",
            ],
        ),
        openssl_case(
            "p256",
            &[
                "-tls1_3",
                "-ciphersuites",
                "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:\
                 TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256",
            ],
        ),
        openssl_case(
            "rsa",
            &["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_8_SHA256"],
        ),
        Case {
            server_order: true,
            ..openssl_case(
                "rsa",
                &[
                    "-serverpref",
                    "-cipher",
                    "ECDHE:DHE:kRSA:@SECLEVEL=0",
                    "-no_tls1_3",
                ],
            )
        },
        Case {
            blind: Some(psk_blind(
                &[
                    "-tls1_2",
                    "-psk",
                    PSK_HEX,
                    "-cipher",
                    "PSK-AES128-CBC-SHA:@SECLEVEL=0",
                ],
                "PSK-AES128-CBC-SHA",
            )),
            ..openssl_case(
                "rsa",
                &[
                    "-psk",
                    PSK_HEX,
                    "-cipher",
                    "PSK:@SECLEVEL=0",
                    "-no_tls1_3",
                    "-min_protocol",
                    "TLSv1",
                ],
            )
        },
        // GnuTLS.
        gnutls_case("p256", "NORMAL"),
        gnutls_case("rsa", "NORMAL"),
        gnutls_case("ed25519", "NORMAL"),
        gnutls_case("rsa", "SECURE256"),
        gnutls_case(
            "rsa",
            "NORMAL:+CAMELLIA-128-CBC:+CAMELLIA-256-CBC:+CAMELLIA-128-GCM:+CAMELLIA-256-GCM",
        ),
        gnutls_case("rsa", "NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+3DES-CBC:+SHA1"),
        gnutls_case("rsa", "NORMAL:-KX-ALL:+DHE-RSA"),
        gnutls_case("p256", "NORMAL:+AES-128-CCM-8:+AES-256-CCM-8"),
        gnutls_case("p256", "NORMAL:-CIPHER-ALL:+AES-128-CCM:+AES-256-CCM"),
        gnutls_case("rsa", "NORMAL:-CIPHER-ALL:+CHACHA20-POLY1305"),
        gnutls_case("p384", "NORMAL:-VERS-ALL:+VERS-TLS1.3"),
        gnutls_case("p256", "SECURE128"),
        gnutls_case("rsa", "PFS"),
        gnutls_case("rsa", "NORMAL:+ANON-ECDH:+ANON-DH"),
        gnutls_case("rsa", "NORMAL:+RSA:+ARCFOUR-128"),
        gnutls_case("p256", "NORMAL:+NULL:+SHA1:+SHA256"),
        Case {
            server_order: true,
            ..gnutls_case("rsa", "NORMAL:%SERVER_PRECEDENCE")
        },
        Case {
            peer: Peer::Gnutls("rsa", "NORMAL:-VERS-TLS1.3:+PSK:+DHE-PSK:+ECDHE-PSK", true),
            server_order: false,
            blind: Some(psk_blind(
                &[
                    "-tls1_2",
                    "-psk_identity",
                    "probe",
                    "-psk",
                    PSK_HEX,
                    "-cipher",
                    "PSK-AES128-GCM-SHA256",
                ],
                "PSK-AES128-GCM-SHA256",
            )),
        },
    ]
}

/// The certificates, made once: name -> (cert, key).
fn keys(dir: &Path) -> BTreeMap<&'static str, (PathBuf, PathBuf)> {
    let dsa_params = dir.join("dsa-params.pem");
    openssl(&[
        "genpkey",
        "-genparam",
        "-algorithm",
        "DSA",
        "-pkeyopt",
        "dsa_paramgen_bits:2048",
        "-out",
        dsa_params.to_str().expect("utf-8 path"),
    ]);
    let dsa = format!("dsa:{}", dsa_params.to_str().expect("utf-8 path"));
    let ec = |curve: &'static str| vec!["-newkey", "ec", "-pkeyopt", curve];
    let specs: Vec<(&'static str, Vec<&str>)> = vec![
        ("rsa", vec!["-newkey", "rsa:2048"]),
        ("p256", ec("ec_paramgen_curve:P-256")),
        ("p384", ec("ec_paramgen_curve:P-384")),
        ("p521", ec("ec_paramgen_curve:P-521")),
        ("brainpool", ec("ec_paramgen_curve:brainpoolP256r1")),
        ("ed25519", vec!["-newkey", "ed25519"]),
        ("ed448", vec!["-newkey", "ed448"]),
        (
            "rsa-pss",
            vec!["-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"],
        ),
        ("dsa", vec!["-newkey", &dsa]),
    ];
    specs
        .into_iter()
        .map(|(name, newkey)| (name, openssl_cert(dir, name, &newkey)))
        .collect()
}

/// sslscan's suites per version ("TLS 1.2" ...), in its order, as IANA names.
fn sslscan(port: u16) -> BTreeMap<String, Vec<String>> {
    let output = Command::new("sslscan")
        .args([
            "--no-colour",
            "--no-check-certificate",
            "--no-cipher-details",
            "--no-compression",
            "--no-fallback",
            "--no-groups",
            "--no-heartbleed",
            "--no-renegotiation",
            "--xml=-",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .output()
        .expect("sslscan runs (.ci/run installs the sslscan package)");
    let xml = String::from_utf8(output.stdout).expect("utf-8 XML");
    assert!(
        !xml.contains("<error>"),
        "sslscan reported an error for port {port}: {xml}"
    );
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for element in xml.split('<').filter(|e| e.starts_with("cipher ")) {
        let version = attribute(element, "sslversion");
        let id = attribute(element, "id");
        let code = u16::from_str_radix(id.trim_start_matches("0x"), 16)
            .unwrap_or_else(|e| panic!("sslscan cipher id {id:?}: {e}"));
        let version = VERSIONS
            .iter()
            .find(|(theirs, _)| *theirs == version)
            .map_or(version.clone(), |(_, ours)| (*ours).to_owned());
        found.entry(version).or_default().push(suite_name(code));
    }
    found
}

fn attribute(element: &str, name: &str) -> String {
    let key = format!(" {name}=\"");
    let start = element
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in sslscan's <{element}"))
        + key.len();
    let rest = &element[start..];
    rest[..rest.find('"').expect("closing quote")].to_owned()
}

/// tlspin's suites per supported version, in its order.
/// The suites `tlspin probe` reports per version, and the versions where it says the server
/// imposes its own order.
fn probe(port: u16) -> (BTreeMap<String, Vec<String>>, BTreeSet<String>) {
    let run = tlspin(&["--json", "probe", &format!("127.0.0.1:{port}")], None);
    assert!(
        run.code == 0 || run.code == 1,
        "tlspin probe failed: {run:?}"
    );
    let report = run.json();
    let mut found = BTreeMap::new();
    let mut server_order = BTreeSet::new();
    for entry in report["versions"].as_array().expect("versions array") {
        let version = entry["version"].as_str().expect("version name").to_owned();
        if entry["server_order"].as_bool().expect("server_order flag") {
            server_order.insert(version.clone());
        }
        let suites = common::suites(&report, &version);
        if !suites.is_empty() {
            found.insert(version, suites);
        }
    }
    (found, server_order)
}

/// Runs `openssl s_client` against `port` with `args`; true if the handshake completed with
/// `cipher`.
fn s_client_negotiates(port: u16, args: &[&str], cipher: &str) -> bool {
    let output = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-brief",
        ])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("openssl s_client runs");
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    text.contains("CONNECTION ESTABLISHED") && text.contains(&format!("Ciphersuite: {cipher}"))
}

/// Compares one configuration; returns the differences, described.
fn compare(case: &Case, keys: &BTreeMap<&str, (PathBuf, PathBuf)>, psk_file: &Path) -> Vec<String> {
    let (label, _openssl, _gnutls, port);
    match &case.peer {
        Peer::OpenSsl(key, args) => {
            let (cert, private) = &keys[key];
            let server = SServer::start(cert, private, args);
            port = server.port;
            label = format!("openssl s_server, {key} certificate, {args:?}");
            _openssl = Some(server);
            _gnutls = None;
        }
        Peer::Gnutls(key, priority, psk) => {
            let (cert, private) = &keys[key];
            let psk_path = psk_file.to_str().expect("utf-8 path");
            let extra: &[&str] = if *psk {
                &["--pskpasswd", psk_path]
            } else {
                &[]
            };
            let server = GnutlsServer::start_with(cert, private, priority, extra);
            port = server.port;
            label = format!("gnutls-serv, {key} certificate, {priority}");
            _gnutls = Some(server);
            _openssl = None;
        }
    }
    let theirs = sslscan(port);
    let (ours, ours_ordered) = probe(port);
    let mut problems = Vec::new();
    if theirs.values().all(Vec::is_empty) && ours.values().all(Vec::is_empty) {
        problems.push(format!(
            "{label}: neither tool found any suite: a case that tests nothing"
        ));
    }
    let mut blind_hit = false;
    for (_, version) in VERSIONS {
        let empty = Vec::new();
        let sslscan_list = theirs.get(version).unwrap_or(&empty);
        let tlspin_list = ours.get(version).unwrap_or(&empty);
        let sslscan_set: BTreeSet<&String> = sslscan_list.iter().collect();
        let tlspin_set: BTreeSet<&String> = tlspin_list.iter().collect();
        let only_sslscan: Vec<&&String> = sslscan_set.difference(&tlspin_set).collect();
        let mut only_tlspin: Vec<&&String> = tlspin_set.difference(&sslscan_set).collect();
        if let Some(blind) = &case.blind {
            let before = only_tlspin.len();
            only_tlspin.retain(|name| !(blind.missed)(name));
            blind_hit |= only_tlspin.len() < before;
        }
        if !only_sslscan.is_empty() || !only_tlspin.is_empty() {
            problems.push(format!(
                "{label}: {version}: only sslscan found {only_sslscan:?}; only tlspin found \
                 {only_tlspin:?}"
            ));
        }
        // With two suites or more, the probe tells whether the server imposes its order.
        if tlspin_list.len() > 1 && ours_ordered.contains(version) != case.server_order {
            problems.push(format!(
                "{label}: {version}: the probe says the server imposes its order: {}, expected \
                 {}",
                ours_ordered.contains(version),
                case.server_order
            ));
        }
        if only_sslscan.is_empty()
            && only_tlspin.is_empty()
            && case.server_order
            && case.blind.is_none()
            && sslscan_list != tlspin_list
        {
            problems.push(format!(
                "{label}: {version}: the server imposes its order, but sslscan found \
                 {sslscan_list:?} and tlspin {tlspin_list:?}"
            ));
        }
    }
    if let Some(blind) = &case.blind {
        if !blind_hit {
            problems.push(format!(
                "{label}: expected sslscan to miss suites ({}), but it missed none",
                blind.why
            ));
        }
        if !s_client_negotiates(port, blind.confirm, blind.confirm_cipher) {
            problems.push(format!(
                "{label}: openssl s_client {:?} did not negotiate {}: the suites only tlspin \
                 found are not confirmed",
                blind.confirm, blind.confirm_cipher
            ));
        }
    }
    problems
}

#[test]
fn probe_finds_the_suites_sslscan_finds() {
    let found = Command::new("sslscan").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "sslscan is not installed: install the sslscan package (.ci/run does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let keys = keys(dir.path());
    let psk_file = dir.path().join("psk.passwd");
    std::fs::write(&psk_file, format!("probe:{PSK_HEX}\n")).unwrap();
    let cases = cases();
    let next = AtomicUsize::new(0);
    let problems = Mutex::new(Vec::new());
    let started = Instant::now();
    // Three configurations at a time: sslscan mostly waits on its own timeouts.
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(case) = cases.get(index) else { break };
                let found = compare(case, &keys, &psk_file);
                problems.lock().unwrap().extend(found);
            });
        }
    });
    let problems = problems.into_inner().unwrap();
    eprintln!(
        "{} configurations compared in {:.1}s",
        cases.len(),
        started.elapsed().as_secs_f32()
    );
    assert!(
        problems.is_empty(),
        "{} divergences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
