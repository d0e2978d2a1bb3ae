//! Verified, resumable downloads of the official CIFAR archives.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A published checksum of an archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// Lower-case hex MD5 (all the CIFAR page publishes).
    Md5(String),
    /// Lower-case hex SHA-256.
    Sha256(String),
}

impl Checksum {
    fn algorithm(&self) -> &'static str {
        match self {
            Checksum::Md5(_) => "md5",
            Checksum::Sha256(_) => "sha256",
        }
    }

    fn expected(&self) -> &str {
        match self {
            Checksum::Md5(h) | Checksum::Sha256(h) => h,
        }
    }
}

/// Where an archive comes from and what it must hash to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    /// Dataset name (for messages).
    pub name: String,
    /// HTTP(S) URL of the `.tar.gz` archive.
    pub url: String,
    /// File name of the archive in the cache folder.
    pub file_name: String,
    /// The published checksum of the archive.
    pub checksum: Checksum,
    /// The top-level folder the archive unpacks to (what [`download_from`] returns).
    pub unpacked: String,
}

impl Remote {
    /// The official archive of `name` (`cifar10` or `cifar100`; `cifar20-coarse` and
    /// `cifar20-fine` are read from `cifar100`): the CIFAR binary versions from
    /// <https://www.cs.toronto.edu/~kriz/cifar.html>, checked against the MD5 published
    /// there (the only checksum published for them).
    pub fn official(name: &str) -> Result<Remote> {
        let (url, file, md5, dir) = match name {
            "cifar10" => (
                "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                "cifar-10-binary.tar.gz",
                "c32a1d4ab5d03f1284b67883e8d87530",
                "cifar-10-batches-bin",
            ),
            "cifar100" | "cifar20-coarse" | "cifar20-fine" => (
                "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
                "cifar-100-binary.tar.gz",
                "03b5dce01913d631647c71ecec9e9cb8",
                "cifar-100-binary",
            ),
            other => {
                return Err(Error::Spec {
                    key: "name",
                    reason: format!(
                        "{other:?} cannot be downloaded; downloadable: cifar10, cifar100 \
                         (other sets: see the actnoise-data README for where to get them)"
                    ),
                });
            }
        };
        Ok(Remote {
            name: name.to_string(),
            url: url.to_string(),
            file_name: file.to_string(),
            checksum: Checksum::Md5(md5.to_string()),
            unpacked: dir.to_string(),
        })
    }
}

/// The phase a [`Progress`] report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Receiving the archive; `done` counts bytes on disk, resumed ones included.
    Download,
    /// Hashing the archive.
    Verify,
    /// Unpacking; `done` counts compressed bytes read.
    Unpack,
}

/// A progress report: `done` of `total` bytes (total unknown when the server sends none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The phase.
    pub stage: Stage,
    /// Bytes done so far.
    pub done: u64,
    /// Bytes in all, when known.
    pub total: Option<u64>,
}

/// Downloads, verifies and unpacks the official archive of `name` into `cache_dir` (see
/// [`Remote::official`] and [`download_from`]); returns the unpacked folder.
pub fn download(name: &str, cache_dir: &Path, progress: impl FnMut(Progress)) -> Result<PathBuf> {
    download_from(&Remote::official(name)?, cache_dir, progress)
}

/// Downloads `remote` into `cache_dir`, verifies it and unpacks it; returns
/// `cache_dir/<remote.unpacked>`.
///
/// - Bytes go to `<file_name>.part`; an existing `.part` is resumed with an HTTP `Range`
///   request (a server that ignores `Range` makes it start over).
/// - The complete file is hashed; on a mismatch the `.part` is deleted and
///   [`Error::Checksum`] returned. Otherwise it is renamed to `<file_name>` (atomic).
/// - The archive is unpacked into a hidden temporary folder whose `<unpacked>` folder is then
///   renamed into place, so `cache_dir/<unpacked>` exists only when complete. If it exists
///   already, nothing is downloaded. The archive is kept.
pub fn download_from(
    remote: &Remote,
    cache_dir: &Path,
    mut progress: impl FnMut(Progress),
) -> Result<PathBuf> {
    let target = cache_dir.join(&remote.unpacked);
    if target.is_dir() {
        return Ok(target);
    }
    std::fs::create_dir_all(cache_dir).map_err(|e| Error::io("create", cache_dir, e))?;
    let archive = cache_dir.join(&remote.file_name);
    if archive.is_file() && verify(&archive, &remote.checksum, &mut progress).is_err() {
        // A final archive is verified before its rename: a mismatch now means it was damaged.
        remove(&archive)?;
    }
    if !archive.is_file() {
        let part = cache_dir.join(format!("{}.part", remote.file_name));
        fetch(&remote.url, &part, &mut progress)?;
        if let Err(e) = verify(&part, &remote.checksum, &mut progress) {
            remove(&part)?;
            return Err(e);
        }
        std::fs::rename(&part, &archive).map_err(|e| Error::io("rename", &part, e))?;
    }
    unpack(&archive, cache_dir, &remote.unpacked, &mut progress)?;
    Ok(target)
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
        _ => Ok(()),
    }
}

/// GETs `url` into `part`, resuming from its current length.
fn fetch(url: &str, part: &Path, progress: &mut impl FnMut(Progress)) -> Result<()> {
    let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .accept_encoding("identity")
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .build()
        .into();
    // One request per connection: nothing is reused, and a server closes promptly after an
    // error.
    let mut request = agent.get(url).header("Connection", "close");
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let fail = |reason: String| Error::Download { url: url.to_string(), reason };
    let response = request.call().map_err(|e| {
        fail(format!("{e}; check the network (or a proxy) and run the download again"))
    })?;
    let status = response.status().as_u16();
    let header =
        |k: &str| response.headers().get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (mut file, start, total) = match status {
        206 => {
            let range = header("content-range").unwrap_or_default();
            let (start, total) = parse_content_range(&range)
                .ok_or_else(|| fail(format!("206 with unusable Content-Range {range:?}")))?;
            if start != have {
                return Err(fail(format!(
                    "asked to resume at byte {have}, the server sent from {start}; delete {} and retry",
                    part.display()
                )));
            }
            let f = OpenOptions::new()
                .append(true)
                .open(part)
                .map_err(|e| Error::io("open", part, e))?;
            (f, have, total)
        }
        200 => {
            let total = header("content-length").and_then(|v| v.parse().ok());
            (File::create(part).map_err(|e| Error::io("create", part, e))?, 0, total)
        }
        // Nothing left to send: the part is already whole (the checksum decides).
        416 if have > 0 => return Ok(()),
        s => return Err(fail(format!("the server answered HTTP {s}"))),
    };
    let mut body = response.into_body().into_reader();
    let mut buf = vec![0u8; 1 << 16];
    let mut done = start;
    progress(Progress { stage: Stage::Download, done, total });
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = file.flush();
                return Err(fail(format!(
                    "interrupted after {done} bytes ({e}); {} keeps them: run the download again to resume",
                    part.display()
                )));
            }
        };
        file.write_all(&buf[..n]).map_err(|e| Error::io("write", part, e))?;
        done += n as u64;
        progress(Progress { stage: Stage::Download, done, total });
    }
    file.sync_all().map_err(|e| Error::io("write", part, e))?;
    if let Some(t) = total.filter(|&t| t != done) {
        return Err(fail(format!(
            "got {done} of {t} bytes; {} keeps them: run the download again to resume",
            part.display()
        )));
    }
    Ok(())
}

/// `bytes START-END/TOTAL` → `(START, TOTAL)` (`TOTAL` may be `*`).
pub(crate) fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim();
    let (range, total) = rest.split_once('/')?;
    let (start, _) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()))
}

/// Hashes `path` and compares with `checksum`.
fn verify(path: &Path, checksum: &Checksum, progress: &mut impl FnMut(Progress)) -> Result<()> {
    let mut f = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let total = f.metadata().ok().map(|m| m.len());
    let mut md5 = Md5::new();
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            break;
        }
        match checksum {
            Checksum::Md5(_) => md5.update(&buf[..n]),
            Checksum::Sha256(_) => sha.update(&buf[..n]),
        }
        done += n as u64;
        progress(Progress { stage: Stage::Verify, done, total });
    }
    let actual = match checksum {
        Checksum::Md5(_) => hex::encode(md5.finalize()),
        Checksum::Sha256(_) => hex::encode(sha.finalize()),
    };
    if !actual.eq_ignore_ascii_case(checksum.expected()) {
        return Err(Error::Checksum {
            path: path.to_path_buf(),
            algorithm: checksum.algorithm(),
            expected: checksum.expected().to_string(),
            actual,
        });
    }
    Ok(())
}

/// Counts bytes read through it.
struct Counting<R, F> {
    inner: R,
    done: u64,
    total: Option<u64>,
    progress: F,
}

impl<R: Read, F: FnMut(Progress)> Read for Counting<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        (self.progress)(Progress { stage: Stage::Unpack, done: self.done, total: self.total });
        Ok(n)
    }
}

/// Unpacks the `.tar.gz` `archive` into a temporary folder in `dest`, then renames its
/// `folder` to `dest/folder`.
fn unpack(
    archive: &Path,
    dest: &Path,
    folder: &str,
    progress: &mut impl FnMut(Progress),
) -> Result<()> {
    let tmp = dest.join(format!(".{folder}.unpacking"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::io("remove", &tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
    let file = File::open(archive).map_err(|e| Error::io("open", archive, e))?;
    let total = file.metadata().ok().map(|m| m.len());
    let reader = Counting { inner: file, done: 0, total, progress: &mut *progress };
    let result = unpack_tar_gz(reader, &tmp, archive).and_then(|()| {
        let inside = tmp.join(folder);
        if !inside.is_dir() {
            return Err(Error::format(
                archive,
                format!(
                    "the archive has no top-level folder {folder}/; delete it and download again"
                ),
            ));
        }
        let target = dest.join(folder);
        std::fs::rename(&inside, &target).map_err(|e| Error::io("rename", &inside, e))
    });
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

/// Unpacks a gzip-compressed tar stream into `dest` (entries that would land outside
/// `dest` are skipped by `tar`). `archive` names the source in errors.
pub(crate) fn unpack_tar_gz(reader: impl Read, dest: &Path, archive: &Path) -> Result<()> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    tar.set_preserve_permissions(false);
    tar.unpack(dest).map_err(|e| {
        Error::format(
            archive,
            format!("cannot unpack as .tar.gz: {e}; delete it and download again"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_content_range_reads_start_and_total() {
        assert_eq!(parse_content_range("bytes 100-199/200"), Some((100, Some(200))));
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }

    #[test]
    fn remote_official_knows_cifar_only() {
        let r = Remote::official("cifar10").unwrap();
        assert_eq!(r.checksum, Checksum::Md5("c32a1d4ab5d03f1284b67883e8d87530".into()));
        assert_eq!(Remote::official("cifar20-fine").unwrap().unpacked, "cifar-100-binary");
        assert!(Remote::official("digits").is_err());
    }
}
