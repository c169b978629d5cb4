#!/usr/bin/env bash
# Regenerates the regression certificates in testdata/certs/ with OpenSSL 3 (`openssl ca`, which
# can set fixed validity dates: 2024-01-01 to 2034-01-01, around the tests' verification time of
# 2026-01-01), and the malformed-validity certificate from the P-256 one with Python 3. Keys are
# thrown away: the tests need only the certificates. x509-limbo/ is copied, not generated: see
# x509-limbo/README.md. Run from anywhere; needs openssl and python3.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/certs"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

cat >"$work/ca.cnf" <<'CNF'
[ca]
default_ca = fixtures
[fixtures]
database = $ENV::WORK/index.txt
new_certs_dir = $ENV::WORK
serial = $ENV::WORK/serial
default_md = default
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
# What `openssl req -x509` adds by default: a CA certificate.
[req_x509_default]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
basicConstraints = critical, CA:TRUE
subjectAltName = DNS:localhost
# An end-entity certificate.
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
CNF
export WORK="$work"

# self_signed NAME NEWKEY-ARGS... [-- EXTENSION-SECTION]: a self-signed certificate for
# CN=localhost; without an extension section it is a version 1 certificate (no extensions).
self_signed() {
  local name="$1" section="$2"
  shift 2
  : >"$work/index.txt"
  echo 01 >"$work/serial"
  openssl req -new -nodes -subj /CN=localhost "$@" -keyout "$work/$name.key" -out "$work/$name.csr" 2>/dev/null
  local extensions=()
  if [ -n "$section" ]; then
    extensions=(-extfile "$work/ca.cnf" -extensions "$section")
  fi
  openssl ca -batch -notext -selfsign -config "$work/ca.cnf" -keyfile "$work/$name.key" \
    -in "$work/$name.csr" -out "$out/$name.pem" \
    -startdate 20240101000000Z -enddate 20340101000000Z "${extensions[@]}" 2>/dev/null
}

self_signed openssl-req-x509-ca-true req_x509_default -newkey ec -pkeyopt ec_paramgen_curve:P-256
self_signed ed448 leaf -newkey ed448
self_signed p256-leaf leaf -newkey ec -pkeyopt ec_paramgen_curve:P-256
self_signed v1 "" -newkey ec -pkeyopt ec_paramgen_curve:P-256

# The fuzz finding: a notBefore time with a non-digit character, in an otherwise valid leaf.
python3 - "$out/p256-leaf.pem" "$out/bad-validity-time.pem" <<'PY'
import base64, sys, textwrap
pem = open(sys.argv[1]).read()
body = "".join(l for l in pem.splitlines() if not l.startswith("-----"))
der = bytearray(base64.b64decode(body))
at = der.find(b"240101000000Z")
assert at > 0, "notBefore not found"
der[at + 10] = ord("!")
b64 = "\n".join(textwrap.wrap(base64.b64encode(bytes(der)).decode(), 64))
open(sys.argv[2], "w").write(f"-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n")
PY
rm "$out/p256-leaf.pem"
ls -l "$out"
