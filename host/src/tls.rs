//! The server certificate: `ssl/certificate.{crt,key}` in the data root, generated
//! self-signed with rcgen on first start (Hestia keeps its own in `ssl/` too).

use std::path::{Path, PathBuf};

/// Creating or loading the certificate failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The certificate and key paths, generating a self-signed pair when missing.
pub fn ensure_certificate(data_dir: &Path) -> Result<(PathBuf, PathBuf), TlsError> {
    let dir = data_dir.join("ssl");
    let cert = dir.join("certificate.crt");
    let key = dir.join("certificate.key");
    if cert.is_file() && key.is_file() {
        return Ok((cert, key));
    }
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TlsError::Io { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if let Ok(hostname) = std::fs::read_to_string("/etc/hostname") {
        let hostname = hostname.trim();
        if !hostname.is_empty() && !names.iter().any(|n| n == hostname) {
            names.push(hostname.to_string());
        }
    }
    let generated = rcgen::generate_simple_self_signed(names)?;
    write_private(&key, generated.signing_key.serialize_pem().as_bytes())
        .map_err(io_error(&key))?;
    std::fs::write(&cert, generated.cert.pem()).map_err(io_error(&cert))?;
    Ok((cert, key))
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}
