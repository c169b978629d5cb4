//! Real servers with STARTTLS on loopback, each from a configuration in its own temporary
//! directory and stopped when dropped: PostgreSQL, MariaDB, Dovecot (IMAP, POP3, ManageSieve,
//! LMTP),
//! OpenLDAP's slapd, Exim, Prosody, InspIRCd and vsftpd, for the CLI's `--starttls` tests (`cli/tests/starttls.rs`) and the
//! tokio-postgres example (`interop/tests/clients.rs`).
//!
//! PostgreSQL and MariaDB refuse to run as root, so when the tests run as root (CI) their
//! commands run as `nobody` through `setpriv` (util-linux), which execs the server itself: the
//! child we signal is the server. Dovecot, slapd, Exim, Prosody, InspIRCd and vsftpd start as
//! root; Dovecot, Exim and vsftpd drop privileges themselves, the others stay on loopback.
#![allow(dead_code)]

use std::fs;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn output(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} {args:?} cannot run: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `program` as a command that runs as `nobody` if we are root, else as ourselves.
fn server_command(program: &Path) -> Command {
    if output("id", &["-u"]) == "0" {
        let uid = output("id", &["-u", "nobody"]);
        let gid = output("id", &["-g", "nobody"]);
        let mut command = Command::new("setpriv");
        command
            .arg(format!("--reuid={uid}"))
            .arg(format!("--regid={gid}"))
            .arg("--clear-groups")
            .arg("--")
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Makes `dir` and everything in it the server user's (`nobody` when we are root).
fn hand_over(dir: &Path) {
    let mode = fs::Permissions::from_mode(0o755);
    fs::set_permissions(dir, mode).expect("chmod the server directory");
    if output("id", &["-u"]) == "0" {
        let owner = format!(
            "{}:{}",
            output("id", &["-u", "nobody"]),
            output("id", &["-g", "nobody"])
        );
        output(
            "chown",
            &["-R", &owner, dir.to_str().expect("utf-8 temp path")],
        );
    }
}

/// A loopback port nothing listens on (as far as anyone can know).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("free port");
    listener.local_addr().expect("address").port()
}

fn run(mut command: Command, what: &str, package: &str) {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what} cannot run ({e}); install {package}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running server on `127.0.0.1:port`, stopped (and its directory removed) when dropped.
pub struct Daemon {
    child: Child,
    /// The signal that shuts it down (`INT`: PostgreSQL's fast shutdown; `TERM`; `KILL` for a
    /// server that crashes on the others). Every server runs in its temporary directory, so
    /// even a core dump goes away with it.
    stop_signal: &'static str,
    /// Its loopback port.
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Daemon {
    fn wait_until_listening(self, name: &str) -> Self {
        let port = self.port;
        self.wait_for(name, port)
    }

    /// Waits until `port` accepts connections; panics with the log if the server exits or 60 s
    /// pass.
    fn wait_for(mut self, name: &str, port: u16) -> Self {
        let address = (Ipv4Addr::LOCALHOST, port).into();
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{name} exited ({status}): {}",
                    fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not listen on 127.0.0.1:{port} within 60s: {}",
                fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        self
    }

    /// A PostgreSQL cluster made by `initdb` (trust authentication, user `postgres`) with
    /// `ssl = on` and `cert`/`key`, listening on 127.0.0.1 only, its Unix socket in its
    /// directory. Uses the newest `/usr/lib/postgresql/*/bin` (Debian's `postgresql` package).
    pub fn postgres(cert: &Path, key: &Path) -> Self {
        let bin = fs::read_dir("/usr/lib/postgresql")
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.path().join("bin"))
            .filter(|bin| bin.join("initdb").exists())
            .max_by_key(|bin| {
                bin.parent()
                    .and_then(|v| v.file_name())
                    .and_then(|v| v.to_str())
                    .and_then(|v| v.parse::<u32>().ok())
            })
            .expect("no /usr/lib/postgresql/*/bin/initdb: install the postgresql package");
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let log = dir.path().join("postgres.log");
        fs::copy(cert, dir.path().join("server.crt")).expect("copy cert");
        fs::copy(key, dir.path().join("server.key")).expect("copy key");
        fs::set_permissions(
            dir.path().join("server.key"),
            fs::Permissions::from_mode(0o600),
        )
        .expect("chmod key");
        hand_over(dir.path());
        let mut initdb = server_command(&bin.join("initdb"));
        initdb
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync")
            .arg("-D")
            .arg(&data);
        run(initdb, "initdb", "postgresql");
        let port = free_port();
        let d = dir.path().display();
        let settings = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{d}'\n\
             ssl = on\nssl_cert_file = '{d}/server.crt'\nssl_key_file = '{d}/server.key'\n\
             fsync = off\nshared_buffers = 16MB\n"
        );
        let conf = data.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf).expect("read postgresql.conf");
        text.push_str(&settings);
        fs::write(&conf, text).expect("write postgresql.conf");
        let child = server_command(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("postgres starts (install the postgresql package)");
        Self {
            child,
            stop_signal: "INT",
            port,
            log,
            _dir: dir,
        }
        .wait_until_listening("postgres")
    }

    /// A MariaDB server made by `mariadb-install-db`, with `--ssl-cert`/`--ssl-key`, listening
    /// on 127.0.0.1 only (Debian's `mariadb-server` package).
    pub fn mariadb(cert: &Path, key: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let log = dir.path().join("mariadb.log");
        fs::copy(cert, dir.path().join("server.crt")).expect("copy cert");
        fs::copy(key, dir.path().join("server.key")).expect("copy key");
        hand_over(dir.path());
        let mut install = server_command(Path::new("mariadb-install-db"));
        install
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
        run(install, "mariadb-install-db", "mariadb-server");
        let port = free_port();
        let d = dir.path().display();
        let child = server_command(Path::new("/usr/sbin/mariadbd"))
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={d}/mysqld.sock"))
            .arg(format!("--pid-file={d}/mysqld.pid"))
            .arg(format!("--tmpdir={d}"))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--ssl-cert={d}/server.crt"))
            .arg(format!("--ssl-key={d}/server.key"))
            .arg(format!("--log-error={}", log.display()))
            .arg("--innodb-buffer-pool-size=16M")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mariadbd starts (install the mariadb-server package)");
        Self {
            child,
            stop_signal: "TERM",
            port,
            log,
            _dir: dir,
        }
        .wait_until_listening("mariadbd")
    }
}

/// A real Dovecot: IMAP, POP3, ManageSieve and LMTP with STARTTLS (Debian's `dovecot-imapd`,
/// `dovecot-pop3d`, `dovecot-managesieved`, `dovecot-lmtpd`), listening on 127.0.0.1 only.
pub struct Dovecot {
    /// The master process (its port is IMAP's).
    pub daemon: Daemon,
    /// The IMAP port (STARTTLS).
    pub imap: u16,
    /// The POP3 port (STLS).
    pub pop3: u16,
    /// The ManageSieve port (STARTTLS).
    pub sieve: u16,
    /// The LMTP port (STARTTLS).
    pub lmtp: u16,
}

impl Dovecot {
    pub fn start(cert: &Path, key: &Path) -> Self {
        for (binary, package) in [
            ("imap-login", "dovecot-imapd"),
            ("pop3-login", "dovecot-pop3d"),
            ("managesieve-login", "dovecot-managesieved"),
            ("lmtp", "dovecot-lmtpd"),
        ] {
            assert!(
                Path::new("/usr/lib/dovecot").join(binary).exists(),
                "no /usr/lib/dovecot/{binary}: install {package}"
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        // Its login processes (users dovenull and dovecot) reach the sockets under it.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let (imap, pop3, sieve, lmtp) = (free_port(), free_port(), free_port(), free_port());
        let d = dir.path().display();
        let (cert, key) = (cert.display(), key.display());
        let conf = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             protocols = imap pop3 sieve lmtp\nlisten = 127.0.0.1\nssl = yes\n\
             ssl_cert = <{cert}\nssl_key = <{key}\nmail_location = maildir:{d}/mail\n\
             passdb {{\n  driver = static\n  args = password=unused\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={d}/home\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {imap}\n  }}\n  \
             inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service pop3-login {{\n  inet_listener pop3 {{\n    port = {pop3}\n  }}\n  \
             inet_listener pop3s {{\n    port = 0\n  }}\n}}\n\
             service managesieve-login {{\n  inet_listener sieve {{\n    port = {sieve}\n  }}\n}}\n\
             service lmtp {{\n  inet_listener lmtp {{\n    port = {lmtp}\n  }}\n}}\n"
        );
        let conf_path = dir.path().join("dovecot.conf");
        fs::write(&conf_path, conf).expect("write dovecot.conf");
        let log = dir.path().join("dovecot.log");
        let child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(&conf_path)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dovecot starts (install dovecot-imapd)");
        let daemon = Daemon {
            child,
            stop_signal: "TERM",
            port: imap,
            log,
            _dir: dir,
        }
        .wait_for("dovecot imap", imap)
        .wait_for("dovecot pop3", pop3)
        .wait_for("dovecot managesieve", sieve)
        .wait_for("dovecot lmtp", lmtp);
        Self {
            daemon,
            imap,
            pop3,
            sieve,
            lmtp,
        }
    }
}

/// A real Prosody (Debian's `prosody`): XMPP client-to-server and server-to-server STARTTLS for
/// the virtual host `localhost`, on 127.0.0.1 only.
pub struct Prosody {
    /// The server (its port is the client-to-server one).
    pub daemon: Daemon,
    /// The client-to-server port.
    pub c2s: u16,
    /// The server-to-server port.
    pub s2s: u16,
}

impl Prosody {
    pub fn start(cert: &Path, key: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display();
        fs::create_dir(dir.path().join("data")).expect("mkdir");
        let (c2s, s2s) = (free_port(), free_port());
        let log = dir.path().join("prosody.log");
        // Prosody refuses root unless told; under root the tests run it as root, on loopback.
        let conf = format!(
            "run_as_root = true\ndaemonize = false\npidfile = \"{d}/prosody.pid\"\n\
             data_path = \"{d}/data\"\n\
             log = {{ {{ levels = {{ min = \"info\" }}, to = \"file\", filename = \"{}\" }} }}\n\
             modules_enabled = {{ \"tls\", \"saslauth\", \"disco\", \"dialback\" }}\n\
             interfaces = {{ \"127.0.0.1\" }}\nc2s_ports = {{ {c2s} }}\ns2s_ports = {{ {s2s} }}\n\
             c2s_direct_tls_ports = {{ }}\ns2s_direct_tls_ports = {{ }}\n\
             component_ports = {{ }}\nhttp_ports = {{ }}\nhttps_ports = {{ }}\n\
             VirtualHost \"localhost\"\n  \
             ssl = {{ certificate = \"{}\", key = \"{}\" }}\n",
            log.display(),
            cert.display(),
            key.display()
        );
        let conf_path = dir.path().join("prosody.cfg.lua");
        fs::write(&conf_path, conf).expect("write prosody.cfg.lua");
        let child = Command::new("prosody")
            .arg("-F")
            .arg("--config")
            .arg(&conf_path)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prosody starts (install prosody)");
        let daemon = Daemon {
            child,
            stop_signal: "TERM",
            port: c2s,
            log,
            _dir: dir,
        }
        .wait_for("prosody c2s", c2s)
        .wait_for("prosody s2s", s2s);
        Self { daemon, c2s, s2s }
    }
}

impl Daemon {
    /// OpenLDAP's slapd (Debian's `slapd`, on GnuTLS) with no database, only TLS for StartTLS,
    /// on `ldap://127.0.0.1:port/`.
    pub fn slapd(cert: &Path, key: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display();
        let conf = format!(
            "pidfile {d}/slapd.pid\nargsfile {d}/slapd.args\nTLSCertificateFile {}\n\
             TLSCertificateKeyFile {}\n",
            cert.display(),
            key.display()
        );
        fs::write(dir.path().join("slapd.conf"), conf).expect("write slapd.conf");
        let port = free_port();
        let log = dir.path().join("slapd.log");
        let child = Command::new("slapd")
            .arg("-f")
            .arg(dir.path().join("slapd.conf"))
            .arg("-h")
            .arg(format!("ldap://127.0.0.1:{port}/"))
            // -d keeps it in the foreground (the child we stop); level 0 logs nothing more.
            .args(["-d", "0"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("slapd starts (install slapd)");
        Self {
            child,
            stop_signal: "TERM",
            port,
            log,
            _dir: dir,
        }
        .wait_until_listening("slapd")
    }

    /// Exim (Debian's `exim4-daemon-light`, on GnuTLS) advertising STARTTLS on 127.0.0.1, in the
    /// foreground (`-bdf`). Its spool and log directories belong to `Debian-exim`, as exim
    /// writes them after dropping root; the key is copied world-readable for the same reason.
    /// `smtp_accept_max = 0` lifts its default limit of 20 connections: the probe's short
    /// connections come faster than exim reaps its children, and the 21st is answered `421 Too
    /// many concurrent SMTP connections` (the stock limit is tested in
    /// `cli/tests/starttls_adversarial.rs`). `helo_lookup_domains =` stops the reverse DNS lookup
    /// Exim makes when the EHLO argument is one of its own addresses (`EHLO [127.0.0.1]` on
    /// loopback), which waits 5 s where there is no DNS.
    pub fn exim(cert: &Path, key: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let d = dir.path().display();
        fs::copy(cert, dir.path().join("cert.pem")).expect("copy cert");
        fs::copy(key, dir.path().join("key.pem")).expect("copy key");
        fs::set_permissions(
            dir.path().join("key.pem"),
            fs::Permissions::from_mode(0o644),
        )
        .expect("chmod key");
        for sub in ["spool", "log"] {
            let path = dir.path().join(sub);
            fs::create_dir(&path).expect("mkdir");
            output(
                "chown",
                &["Debian-exim", path.to_str().expect("utf-8 temp path")],
            );
        }
        let port = free_port();
        let conf = format!(
            "primary_hostname = mail.lab\nspool_directory = {d}/spool\n\
             log_file_path = {d}/log/%slog\ndaemon_smtp_ports = {port}\n\
             local_interfaces = 127.0.0.1\ntls_advertise_hosts = *\n\
             tls_certificate = {d}/cert.pem\ntls_privatekey = {d}/key.pem\n\
             keep_environment =\nsmtp_accept_max = 0\nhelo_lookup_domains =\n"
        );
        fs::write(dir.path().join("exim.conf"), conf).expect("write exim.conf");
        let log = dir.path().join("log/mainlog");
        let child = Command::new("exim")
            .arg("-C")
            .arg(dir.path().join("exim.conf"))
            .arg("-bdf")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("exim starts (install exim4-daemon-light)");
        Self {
            child,
            stop_signal: "TERM",
            port,
            log,
            _dir: dir,
        }
        .wait_until_listening("exim")
    }

    /// InspIRCd 3 (Debian's `inspircd`) with `m_starttls` on GnuTLS, on 127.0.0.1, in the
    /// foreground. Like real IRC servers it greets with NOTICEs (`*** Looking up your
    /// hostname...`) before any numeric. Debian's 3.15 segfaults on SIGTERM, so it is killed.
    pub fn inspircd(cert: &Path, key: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display();
        let port = free_port();
        let conf = format!(
            "<server name=\"irc.lab\" description=\"tlspin test\" network=\"lab\">\n\
             <admin name=\"admin\" nick=\"admin\" email=\"admin@irc.lab\">\n\
             <bind address=\"127.0.0.1\" port=\"{port}\" type=\"clients\">\n\
             <connect allow=\"*\" timeout=\"60\">\n<class name=\"main\" commands=\"*\">\n\
             <path configdir=\"{d}\" datadir=\"{d}\" logdir=\"{d}\" \
             moduledir=\"/usr/lib/inspircd/modules\">\n<pid file=\"{d}/inspircd.pid\">\n\
             <sslprofile name=\"main\" provider=\"gnutls\" certfile=\"{}\" keyfile=\"{}\" \
             dhfile=\"\">\n<module name=\"ssl_gnutls\">\n<module name=\"starttls\">\n\
             <starttls provider=\"main\">\n",
            cert.display(),
            key.display()
        );
        let conf_path = dir.path().join("inspircd.conf");
        fs::write(&conf_path, conf).expect("write inspircd.conf");
        let log = dir.path().join("inspircd.out");
        let child = Command::new("inspircd")
            .arg("--config")
            .arg(&conf_path)
            .args(["--nofork", "--runasroot"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(fs::File::create(&log).expect("log file"))
            .stderr(Stdio::null())
            .spawn()
            .expect("inspircd starts (install inspircd)");
        Self {
            child,
            stop_signal: "KILL",
            port,
            log,
            _dir: dir,
        }
        .wait_until_listening("inspircd")
    }

    /// vsftpd (Debian's `vsftpd`) with `ssl_enable` (AUTH TLS) on 127.0.0.1, in the foreground.
    /// Its default `ssl_ciphers` (DES-CBC3-SHA) leaves TLS 1.2 without a usable suite with an
    /// ECDSA key, so the configuration allows `HIGH`.
    pub fn vsftpd(cert: &Path, key: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display();
        fs::create_dir(dir.path().join("empty")).expect("mkdir");
        let port = free_port();
        let log = dir.path().join("vsftpd.log");
        let conf = format!(
            "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port={port}\n\
             background=NO\nanonymous_enable=NO\nlocal_enable=YES\nssl_enable=YES\n\
             ssl_ciphers=HIGH\nrsa_cert_file={}\nrsa_private_key_file={}\n\
             secure_chroot_dir={d}/empty\nvsftpd_log_file={}\n",
            cert.display(),
            key.display(),
            log.display()
        );
        fs::write(dir.path().join("vsftpd.conf"), conf).expect("write vsftpd.conf");
        let child = Command::new("vsftpd")
            .arg(dir.path().join("vsftpd.conf"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("vsftpd starts (install vsftpd)");
        Self {
            child,
            stop_signal: "TERM",
            port,
            log,
            _dir: dir,
        }
        .wait_until_listening("vsftpd")
    }
}

impl Drop for Daemon {
    /// Asks the server to shut down (so it removes its shared memory and sockets), and kills it
    /// if it has not within 10 s.
    fn drop(&mut self) {
        let signal = format!("-{}", self.stop_signal);
        let _ = Command::new("kill")
            .args([signal.as_str(), &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
