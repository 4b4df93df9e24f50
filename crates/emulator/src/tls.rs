//! HTTPS for the emulator, which Azure.Identity and MSAL require of an authority (`Authority host must be a TLS
//! protected (https) endpoint`): a certificate the emulator makes — a CA of its own (rcgen) and a server certificate
//! it signs for `localhost`, `127.0.0.1` and `::1`, the CA written as PEM for clients to trust — or the user's own
//! certificate and key. [`TlsListener`] is an axum listener that hands over connections once their TLS handshake is
//! done; handshakes run concurrently, each with a time limit, so a client that never finishes one holds up nobody.

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client may take for its TLS handshake.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// Where the emulator's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// A CA and a server certificate made at start; the CA is written as PEM to this path.
    Generated { ca_path: PathBuf },
    /// The user's certificate chain and private key, both PEM files.
    Files { certificate: PathBuf, key: PathBuf },
}

impl TlsSource {
    /// A made certificate whose CA goes to a file in the temporary directory, named after the process.
    pub fn generated_in_temp_dir() -> Self {
        Self::Generated { ca_path: std::env::temp_dir().join(format!("mgpresence-emulator-ca-{}.pem", std::process::id())) }
    }
}

/// Why TLS cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot make the emulator's certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("the certificate and key cannot be used: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A server certificate chain and its key, as rustls takes them, and the CA clients should trust (when made here).
pub struct ServerCertificate {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The PEM of the CA that signed the chain, when the emulator made it.
    pub ca_pem: Option<String>,
}

impl std::fmt::Debug for ServerCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key is a secret: never printed.
        f.debug_struct("ServerCertificate").field("chain", &self.chain.len()).finish_non_exhaustive()
    }
}

/// A CA ("MgPresence emulator CA") and a server certificate it signs for the loopback names.
pub fn generate() -> Result<ServerCertificate, TlsError> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name.push(DnType::CommonName, "MgPresence emulator CA");
    ca.distinguished_name.push(DnType::OrganizationName, "MgPresence");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_certificate = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let server_key = KeyPair::generate()?;
    let mut server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()])?;
    server.distinguished_name.push(DnType::CommonName, "localhost");
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_certificate = server.signed_by(&server_key, &issuer)?;
    Ok(ServerCertificate {
        chain: vec![server_certificate.der().clone(), ca_certificate.der().clone()],
        key: PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        ca_pem: Some(ca_certificate.pem()),
    })
}

/// The user's certificate chain and key from PEM files.
pub fn load(certificate: &Path, key: &Path) -> Result<ServerCertificate, TlsError> {
    let file_error = |path: &Path, message: String| TlsError::File { path: path.to_owned(), message };
    let chain = CertificateDer::pem_file_iter(certificate)
        .map_err(|e| file_error(certificate, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(certificate, e.to_string()))?;
    if chain.is_empty() {
        return Err(file_error(certificate, "no CERTIFICATE in the file".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| file_error(key, format!("no private key that can be read ({e})")))?;
    Ok(ServerCertificate { chain, key: key_der, ca_pem: None })
}

/// The certificate a source names; a made CA is written to its path (readable by the user only where the platform
/// has such permissions — it is public, but the file is the user's).
pub fn server_certificate(source: &TlsSource) -> Result<ServerCertificate, TlsError> {
    match source {
        TlsSource::Files { certificate, key } => load(certificate, key),
        TlsSource::Generated { ca_path } => {
            let made = generate()?;
            let pem = made.ca_pem.as_deref().unwrap_or_default();
            std::fs::write(ca_path, pem).map_err(|e| TlsError::File { path: ca_path.clone(), message: e.to_string() })?;
            Ok(made)
        }
    }
}

/// The rustls acceptor for a certificate (HTTP/2 and HTTP/1.1 offered through ALPN).
pub fn acceptor(certificate: ServerCertificate) -> Result<TlsAcceptor, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certificate.chain, certificate.key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// An axum listener over TLS: a task accepts TCP connections and runs each handshake on a task of its own; the
/// connections whose handshake succeeded come out of [`axum::serve::Listener::accept`].
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
    acceptor_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<Self> {
        let local_addr = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let acceptor_task = tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::warn!(error = %e, "cannot set TCP_NODELAY on a connection");
                }
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, %peer, "a TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "a TLS handshake took too long"),
                    }
                });
            }
        });
        Ok(Self { ready, local_addr, acceptor_task })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task only ends when the listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}
