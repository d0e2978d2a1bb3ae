//! CIFAR-style binary record files and the small text files beside them.

use std::path::Path;

use crate::error::{Error, Result};

/// Pixel bytes of one 32×32 RGB record.
pub(crate) const PIXELS_32X32X3: usize = 3 * 32 * 32;

/// A record file split into its label bytes and its pixels.
#[derive(Debug)]
pub(crate) struct Records {
    /// `label_bytes` bytes per record, record after record.
    pub labels: Vec<u8>,
    /// `PIXELS_32X32X3` bytes per record (CHW), record after record.
    pub pixels: Vec<u8>,
    /// Label bytes per record.
    pub label_bytes: usize,
}

impl Records {
    /// Number of records.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.labels.len() / self.label_bytes
    }

    /// Label byte `which` (0-based) of every record, checked to be below `num_classes`.
    pub fn label_column(
        &self,
        which: usize,
        num_classes: usize,
        path: &Path,
    ) -> Result<Vec<usize>> {
        self.labels
            .chunks_exact(self.label_bytes)
            .enumerate()
            .map(|(record, l)| {
                let label = l[which] as usize;
                if label < num_classes {
                    Ok(label)
                } else {
                    Err(Error::LabelOutOfRange {
                        path: path.to_path_buf(),
                        record,
                        label: label as u64,
                        num_classes,
                    })
                }
            })
            .collect()
    }
}

/// Splits `bytes` (the content of `path`) into records of `label_bytes` label bytes followed
/// by 3×32×32 pixel bytes.
pub(crate) fn parse_records(bytes: &[u8], path: &Path, label_bytes: usize) -> Result<Records> {
    let record_size = label_bytes + PIXELS_32X32X3;
    let rest = bytes.len() % record_size;
    if rest != 0 {
        let record = bytes.len() / record_size;
        return Err(Error::RecordSize {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            record_size,
            record,
            offset: (record * record_size) as u64,
            have: rest,
        });
    }
    if bytes.is_empty() {
        return Err(Error::format(
            path,
            "the file is empty (0 records); download or convert it again",
        ));
    }
    let n = bytes.len() / record_size;
    let mut labels = Vec::with_capacity(n * label_bytes);
    let mut pixels = Vec::with_capacity(n * PIXELS_32X32X3);
    for record in bytes.chunks_exact(record_size) {
        labels.extend_from_slice(&record[..label_bytes]);
        pixels.extend_from_slice(&record[label_bytes..]);
    }
    Ok(Records { labels, pixels, label_bytes })
}

/// Reads a whole file, naming it on failure; a missing file gets `hint`.
pub(crate) fn read_file(path: &Path, hint: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| missing_or_io(e, path, hint))
}

/// Reads a text file (UTF-8), naming it on failure; a missing file gets `hint`.
pub(crate) fn read_text(path: &Path, hint: &str) -> Result<String> {
    let bytes = read_file(path, hint)?;
    String::from_utf8(bytes).map_err(|e| {
        Error::format(path, format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
    })
}

/// [`Error::Missing`] for a not-found error, [`Error::Io`] otherwise.
pub(crate) fn missing_or_io(e: std::io::Error, path: &Path, hint: &str) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::Missing { path: path.to_path_buf(), hint: hint.to_string() }
    } else {
        Error::io("read", path, e)
    }
}

/// Class names, one per non-empty line (surrounding white space removed).
pub(crate) fn parse_class_list(text: &str, path: &Path) -> Result<Vec<String>> {
    let names: Vec<String> =
        text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
    if names.is_empty() {
        return Err(Error::format(path, "no class names (expected one name per line)"));
    }
    for (i, a) in names.iter().enumerate() {
        if names[..i].contains(a) {
            return Err(Error::format(path, format!("class name {a:?} appears twice")));
        }
    }
    Ok(names)
}

/// The `| file | bytes | sha256 |` rows of a data README: `(file, bytes, sha256)`.
///
/// Rows whose second cell is not a number or whose third is not 64 hex digits are skipped,
/// so any other table in the README is ignored.
pub(crate) fn parse_checksum_table(text: &str) -> Vec<(String, u64, String)> {
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> =
                line.trim().strip_prefix('|')?.split('|').map(str::trim).collect();
            if cells.len() < 3 {
                return None;
            }
            let bytes = cells[1].replace(',', "").parse::<u64>().ok()?;
            let sha = cells[2].to_ascii_lowercase();
            let ok = sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit());
            (ok && !cells[0].is_empty()).then(|| (cells[0].to_string(), bytes, sha))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_records_splits_labels_and_pixels() {
        let p = Path::new("x");
        let mut bytes = vec![3u8];
        bytes.extend(std::iter::repeat_n(7, PIXELS_32X32X3));
        bytes.push(1);
        bytes.extend(std::iter::repeat_n(8, PIXELS_32X32X3));
        let r = parse_records(&bytes, p, 1).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r.labels, vec![3, 1]);
        assert_eq!(&r.pixels[PIXELS_32X32X3 - 1..PIXELS_32X32X3 + 1], &[7, 8]);
        assert_eq!(r.label_column(0, 4, p).unwrap(), vec![3, 1]);
        let e = r.label_column(0, 3, p).unwrap_err();
        assert!(matches!(e, Error::LabelOutOfRange { record: 0, label: 3, .. }));
        // As 2-label-byte records, 6146 bytes are one record and 3072 bytes of the next.
        let e = parse_records(&bytes, p, 2).unwrap_err();
        assert!(
            matches!(e, Error::RecordSize { record: 1, have: 3072, offset: 3074, .. }),
            "{e:?}"
        );
        bytes.extend([0; 100]);
        let e = parse_records(&bytes, p, 1).unwrap_err();
        assert!(matches!(e, Error::RecordSize { record: 2, have: 100, size: 6246, .. }), "{e:?}");
        assert!(parse_records(&[], p, 1).is_err());
    }

    #[test]
    fn parse_checksum_table_reads_file_rows_only() {
        let t = "| label | class | test |\n|---|---|---|\n| 0 | a | 5 |\n\
                 | test.bin | 3073000 | 8314C96D7CD65618193BAB23ACDD5D4C4AF15BF6DD00A1781D55BEEDF3BE1EF5 |";
        let rows = parse_checksum_table(t);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, "test.bin");
        assert_eq!(rows[0].1, 3_073_000);
        assert!(rows[0].2.starts_with("8314c96d"));
    }

    #[test]
    fn parse_class_list_rejects_empty_and_duplicates() {
        assert_eq!(parse_class_list("a\n b \n\n", Path::new("c")).unwrap(), vec!["a", "b"]);
        assert!(parse_class_list("\n\n", Path::new("c")).is_err());
        assert!(parse_class_list("a\na\n", Path::new("c")).is_err());
    }
}
