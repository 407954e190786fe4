//! The release's install path, run for real: `scripts/install.sh` (what
//! the GitHub Action `action.yml` runs) against a loopback HTTP server
//! serving a release archive and its `SHA256SUMS`; and the packaging script
//! whose archives the release publishes.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::repo_root;

const VERSION: &str = "9.8.7";
const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Serve the files of `dir` over HTTP/1.0 on 127.0.0.1 from a thread that
/// lives as long as the test process; its base URL. Unknown paths are 404.
fn serve(dir: &Path) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let dir = dir.to_owned();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = String::new();
            if BufReader::new(&stream).read_line(&mut request).is_err() {
                continue;
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let name = path.trim_start_matches('/');
            let file = (!name.contains('/') && !name.is_empty())
                .then(|| std::fs::read(dir.join(name)).ok())
                .flatten();
            let _ = match file {
                Some(body) => stream
                    .write_all(
                        format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())
                            .as_bytes(),
                    )
                    .and_then(|()| stream.write_all(&body)),
                None => stream.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
            };
        }
    });
    url
}

/// The binary under test without its debug info (`strip`): the same
/// program, a tenth of the bytes to archive and checksum. Made once.
fn hrform_binary() -> &'static Path {
    static STRIPPED: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, path) = STRIPPED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hrform");
        let status = Command::new("strip")
            .arg("-o")
            .arg(&path)
            .arg(env!("CARGO_BIN_EXE_hrform"))
            .status()
            .unwrap();
        assert!(status.success());
        (dir, path)
    });
    path
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

/// A release directory as `scripts/package.sh` lays it out, holding
/// `binary` as the hrform of TARGET, and its SHA256SUMS.
fn release(binary: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("bash")
        .arg(repo_root().join("scripts/package.sh"))
        .arg(TARGET)
        .arg(dir.path())
        .env("HRFORM_BINARY", binary)
        .env("HRFORM_PACKAGE_VERSION", VERSION)
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

/// A fresh copy of the release of the binary under test: packaged once
/// (the archive is the costly part), copied for each test, which may then
/// remove or replace its files.
fn good_release() -> tempfile::TempDir {
    static PACKAGED: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let packaged = PACKAGED.get_or_init(|| release(hrform_binary()));
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(packaged.path()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

fn archive(dir: &Path) -> PathBuf {
    dir.join(format!("hrform-{VERSION}-{TARGET}.tar.gz"))
}

fn install(url: &str, into: &Path) -> std::process::Output {
    Command::new("bash")
        .arg(repo_root().join("scripts/install.sh"))
        .env("HRFORM_VERSION", VERSION)
        .env("HRFORM_BASE_URL", url)
        .env("HRFORM_TARGET", TARGET)
        .env("HRFORM_INSTALL_DIR", into)
        .env_remove("GITHUB_PATH")
        .output()
        .unwrap()
}

/// The packaging script's archive verifies against its SHA256SUMS with
/// `sha256sum -c`, and holds the binary, README, changelog and licences.
#[test]
fn package_makes_an_archive_whose_checksum_verifies() {
    let dir = good_release();
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    let list = Command::new("tar")
        .arg("-tzf")
        .arg(archive(dir.path()))
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    for file in [
        "hrform",
        "README.md",
        "CHANGELOG.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ] {
        assert!(
            list.lines()
                .any(|l| l == format!("hrform-{VERSION}-{TARGET}/{file}")),
            "{list}"
        );
    }
}

/// A good archive is downloaded, verified, installed and runs
/// `hrform --version`; a second install reuses the verified copy.
#[test]
fn install_verifies_and_runs_a_good_archive() {
    let dir = good_release();
    let url = serve(dir.path());
    let into = tempfile::tempdir().unwrap();
    let out = install(&url, into.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("hrform {}", env!("CARGO_PKG_VERSION"))),
        "{stderr}"
    );
    assert!(stderr.contains(&sha256(&archive(dir.path()))), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        into.path().display().to_string()
    );
    let version = Command::new(into.path().join("hrform"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(version.status.success());
    // Cached: the archive is not fetched again (removed from the server).
    std::fs::remove_file(archive(dir.path())).unwrap();
    let again = install(&url, into.path());
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already in"));
}

/// A tampered archive (its SHA-256 not the one SHA256SUMS lists) is refused
/// before anything is extracted or run: its hrform would leave a canary.
#[test]
fn install_refuses_a_tampered_archive_before_it_runs() {
    let canary_dir = tempfile::tempdir().unwrap();
    let canary = canary_dir.path().join("ran");
    let evil = canary_dir.path().join("hrform");
    std::fs::write(
        &evil,
        format!("#!/bin/sh\necho ran >'{}'\n", canary.display()),
    )
    .unwrap();
    let good = good_release();
    let bad = release(&evil);
    // The server has the good SHA256SUMS and the tampered archive.
    std::fs::copy(archive(bad.path()), archive(good.path())).unwrap();
    let url = serve(good.path());
    let into = tempfile::tempdir().unwrap();
    let out = install(&url, into.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("checksum mismatch") && stderr.contains("refusing"),
        "{stderr}"
    );
    assert!(!canary.exists(), "the tampered hrform ran");
    assert!(
        !into.path().join("hrform").exists(),
        "the tampered hrform was installed"
    );

    // A pinned checksum SHA256SUMS disagrees with is refused too.
    let pinned = Command::new("bash")
        .arg(repo_root().join("scripts/install.sh"))
        .env("HRFORM_VERSION", VERSION)
        .env("HRFORM_BASE_URL", &url)
        .env("HRFORM_TARGET", TARGET)
        .env("HRFORM_INSTALL_DIR", into.path())
        .env("HRFORM_SHA256", "0".repeat(64))
        .output()
        .unwrap();
    assert!(!pinned.status.success());
    assert!(String::from_utf8_lossy(&pinned.stderr).contains("pinned checksum"));
}
