//! Downloads against a local HTTP server on 127.0.0.1 serving an archive built here.
//!
//! The real CIFAR URLs cannot be reached from the test machines (no internet); these tests
//! cover the same code path: Range resume, checksum, unpacking, atomic rename.

mod common;

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use actnoise_data::{Checksum, DatasetSpec, Error, Progress, Remote, Stage, download_from, load};
use common::*;
use md5::Digest as _;

/// Serves `body` at every path; honours `Range: bytes=N-`; the first `interrupt_once`
/// response stops after that many bytes (the client asks for `Connection: close`, so
/// the connection is then closed).
struct TestServer {
    url: String,
    ranges: Arc<Mutex<Vec<Option<String>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Yields `limit` bytes of `data` and then fails, like a dropped connection.
struct CutReader {
    data: std::io::Cursor<Vec<u8>>,
    left: usize,
}

impl Read for CutReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("cut"));
        }
        let n = buf.len().min(self.left);
        let got = self.data.read(&mut buf[..n])?;
        self.left -= got;
        Ok(got)
    }
}

impl TestServer {
    fn start(body: Vec<u8>, interrupt_once: Option<usize>, honour_range: bool) -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (ranges.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut interrupt = interrupt_once;
            while !s.load(Ordering::SeqCst) {
                let Ok(Some(req)) = server.recv_timeout(Duration::from_millis(50)) else {
                    continue;
                };
                let range = req
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Range"))
                    .map(|h| h.value.as_str().to_string());
                r.lock().unwrap().push(range.clone());
                let start = range
                    .as_deref()
                    .filter(|_| honour_range)
                    .and_then(|v| v.strip_prefix("bytes="))
                    .and_then(|v| v.trim_end_matches('-').parse::<usize>().ok());
                let header = |k: &str, v: &str| {
                    tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap()
                };
                let (status, data, extra) = match start {
                    Some(s) if s >= body.len() => (416, Vec::new(), None),
                    Some(s) => (
                        206,
                        body[s..].to_vec(),
                        Some(header(
                            "Content-Range",
                            &format!("bytes {s}-{}/{}", body.len() - 1, body.len()),
                        )),
                    ),
                    None => (200, body.clone(), None),
                };
                let len = data.len();
                let headers: Vec<tiny_http::Header> = extra.into_iter().collect();
                let cut = interrupt.take().unwrap_or(usize::MAX);
                let reader = CutReader { data: std::io::Cursor::new(data), left: cut.min(len) };
                let reader: Box<dyn Read + Send> = if cut < len {
                    Box::new(reader)
                } else {
                    Box::new(std::io::Cursor::new(reader.data.into_inner()))
                };
                let response = tiny_http::Response::new(
                    tiny_http::StatusCode(status),
                    headers,
                    reader,
                    Some(len),
                    None,
                )
                .with_chunked_threshold(usize::MAX);
                let _ = req.respond(response);
            }
        });
        TestServer {
            url: format!("http://127.0.0.1:{port}/cifar-10-binary.tar.gz"),
            ranges,
            stop,
            thread: Some(thread),
        }
    }

    fn ranges(&self) -> Vec<Option<String>> {
        self.ranges.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A CIFAR-10 binary archive like the official one, with 3 train and 2 test records, plus a
/// large incompressible file so that the archive is big enough to cut in the middle.
fn archive() -> Vec<u8> {
    let meta = b"cat\ndog\n\n".to_vec();
    let mut files: Vec<(String, Vec<u8>)> =
        vec![("cifar-10-batches-bin/batches.meta.txt".into(), meta)];
    for k in 1..=5 {
        files.push((format!("cifar-10-batches-bin/data_batch_{k}.bin"), bin(&[k % 2])));
    }
    files.push(("cifar-10-batches-bin/test_batch.bin".into(), bin(&[0, 1])));
    let noise: Vec<u8> =
        (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    files.push(("cifar-10-batches-bin/readme.html".into(), noise));
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (p.as_str(), d.as_slice())).collect();
    tar_gz(&refs)
}

fn remote(url: &str, archive: &[u8]) -> Remote {
    Remote {
        name: "cifar10".into(),
        url: url.into(),
        file_name: "cifar-10-binary.tar.gz".into(),
        checksum: Checksum::Md5(hex::encode(md5::Md5::digest(archive))),
        unpacked: "cifar-10-batches-bin".into(),
    }
}

fn no_progress(_: Progress) {}

#[test]
fn download_fetches_verifies_unpacks_and_loads() {
    let body = archive();
    let server = TestServer::start(body.clone(), None, true);
    let cache = tempfile::tempdir().unwrap();
    let mut events = Vec::new();
    let dir = download_from(&remote(&server.url, &body), cache.path(), |p| events.push(p)).unwrap();
    assert_eq!(dir, cache.path().join("cifar-10-batches-bin"));
    assert_eq!(server.ranges(), vec![None]);
    let last_download = events.iter().rev().find(|p| p.stage == Stage::Download).unwrap();
    assert_eq!(
        (last_download.done, last_download.total),
        (body.len() as u64, Some(body.len() as u64))
    );
    assert!(events.iter().any(|p| p.stage == Stage::Verify));
    assert!(events.iter().any(|p| p.stage == Stage::Unpack));
    // The archive is kept, no partial or temporary files are left.
    let mut names: Vec<String> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    names.sort();
    assert_eq!(names, vec!["cifar-10-batches-bin", "cifar-10-binary.tar.gz"]);
    // The cache root is now a data root for `load`.
    let spec = DatasetSpec { name: "cifar10".into(), ..DatasetSpec::default() };
    let s = load(&spec, Some(cache.path())).unwrap();
    assert_eq!(s.train.labels(), &[1, 0, 1, 0, 1]);
    assert_eq!(s.test.class_names(), &["cat", "dog"]);
    // A second call finds the folder and does not ask the server again.
    download_from(&remote(&server.url, &body), cache.path(), no_progress).unwrap();
    assert_eq!(server.ranges().len(), 1);
}

#[test]
fn download_checksum_mismatch_fails_and_leaves_no_file() {
    let body = archive();
    let server = TestServer::start(body.clone(), None, true);
    let cache = tempfile::tempdir().unwrap();
    let mut wrong = remote(&server.url, &body);
    wrong.checksum = Checksum::Sha256("0".repeat(64));
    let e = download_from(&wrong, cache.path(), no_progress).unwrap_err();
    assert!(matches!(&e, Error::Checksum { algorithm: "sha256", .. }), "{e:?}");
    assert!(e.to_string().contains("run the download again"), "{e}");
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0, "no half file may remain");
}

#[test]
fn download_interrupted_then_resumed_with_range() {
    let body = archive();
    let cut = body.len() / 2;
    let server = TestServer::start(body.clone(), Some(cut), true);
    let cache = tempfile::tempdir().unwrap();
    let r = remote(&server.url, &body);
    let e = download_from(&r, cache.path(), no_progress).unwrap_err();
    assert!(matches!(&e, Error::Download { .. }), "{e:?}");
    assert!(e.to_string().contains("resume"), "{e}");
    let part = cache.path().join("cifar-10-binary.tar.gz.part");
    let kept = std::fs::read(&part).unwrap();
    assert!(!kept.is_empty() && kept.len() <= cut, "{} of {cut}", kept.len());
    assert!(!cache.path().join("cifar-10-batches-bin").exists());

    let mut first_download = None;
    download_from(&r, cache.path(), |p| {
        if p.stage == Stage::Download && first_download.is_none() {
            first_download = Some(p.done);
        }
    })
    .unwrap();
    assert_eq!(first_download, Some(kept.len() as u64), "progress starts at the resumed offset");
    assert_eq!(server.ranges(), vec![None, Some(format!("bytes={}-", kept.len()))]);
    assert_eq!(std::fs::read(cache.path().join("cifar-10-binary.tar.gz")).unwrap(), body);
    assert!(!part.exists());
}

#[test]
fn download_restarts_when_server_ignores_range() {
    let body = archive();
    let server = TestServer::start(body.clone(), None, false);
    let cache = tempfile::tempdir().unwrap();
    write(&cache.path().join("cifar-10-binary.tar.gz.part"), &body[..1000]);
    download_from(&remote(&server.url, &body), cache.path(), no_progress).unwrap();
    assert_eq!(server.ranges(), vec![Some("bytes=1000-".to_string())]);
    assert_eq!(std::fs::read(cache.path().join("cifar-10-binary.tar.gz")).unwrap(), body);
}

#[test]
fn download_complete_part_is_verified_after_416() {
    let body = archive();
    let server = TestServer::start(body.clone(), None, true);
    let cache = tempfile::tempdir().unwrap();
    write(&cache.path().join("cifar-10-binary.tar.gz.part"), &body);
    let dir = download_from(&remote(&server.url, &body), cache.path(), no_progress).unwrap();
    assert!(dir.join("test_batch.bin").is_file());
}

#[test]
fn download_corrupt_part_fails_checksum_and_is_removed() {
    let body = archive();
    let server = TestServer::start(body.clone(), None, true);
    let cache = tempfile::tempdir().unwrap();
    let mut bad = body[..5000].to_vec();
    bad[100] ^= 0xff;
    write(&cache.path().join("cifar-10-binary.tar.gz.part"), &bad);
    let e = download_from(&remote(&server.url, &body), cache.path(), no_progress).unwrap_err();
    assert!(matches!(&e, Error::Checksum { algorithm: "md5", .. }), "{e:?}");
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
    // The next try starts from scratch and succeeds.
    download_from(&remote(&server.url, &body), cache.path(), no_progress).unwrap();
}

#[test]
fn download_archive_without_expected_folder_is_an_error() {
    let body = tar_gz(&[("something-else/x.bin", b"x")]);
    let server = TestServer::start(body.clone(), None, true);
    let cache = tempfile::tempdir().unwrap();
    let e = download_from(&remote(&server.url, &body), cache.path(), no_progress).unwrap_err();
    assert!(e.to_string().contains("cifar-10-batches-bin"), "{e}");
    assert!(!cache.path().join("cifar-10-batches-bin").exists());
    assert!(!cache.path().join(".cifar-10-batches-bin.unpacking").exists());
}

#[test]
fn download_http_error_and_unknown_name() {
    let cache = tempfile::tempdir().unwrap();
    // Nothing listens on port 9 of 127.0.0.1 (discard) in the test machines.
    let mut r = remote("http://127.0.0.1:9/x.tar.gz", b"");
    r.file_name = "x.tar.gz".into();
    let e = download_from(&r, cache.path(), no_progress).unwrap_err();
    assert!(matches!(&e, Error::Download { url, .. } if url.contains("127.0.0.1:9")), "{e:?}");
    let e = actnoise_data::download("digits", cache.path(), no_progress).unwrap_err();
    assert!(e.to_string().contains("cifar10, cifar100"), "{e}");
}
