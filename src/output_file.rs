//! Writing a file the user named, so that nothing they had is lost: the text goes to a
//! temporary file in the same folder and is renamed into place only once it is whole, so a
//! full disk or a failed write leaves no partial file and the old one untouched; an existing
//! entry is replaced only when asked, and never one that is not a regular file (a FIFO would
//! block, a device or a directory is not a place for a trace). A symbolic link is replaced as
//! a link, never written through.

use std::io::{self, Write};
use std::path::Path;

/// Whether `path` may be written: free, or (with `replace`) a regular file or a link.
pub fn check_target(path: &Path, replace: bool) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
        Ok(meta) => {
            let kind = meta.file_type();
            if !kind.is_file() && !kind.is_symlink() {
                return Err(io::Error::other(
                    "it exists and is not a regular file (a directory, a FIFO or a device)",
                ));
            }
            if replace {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "it exists; pass --force to replace it",
                ))
            }
        }
    }
}

/// Writes `path` through a temporary file beside it. Without `replace`, a file that appeared
/// at `path` in the meantime is kept and the write fails.
pub fn write_whole(
    path: &Path,
    replace: bool,
    contents: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    check_target(path, replace)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".cors-tui-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    {
        let mut out = io::BufWriter::new(temp.as_file_mut());
        contents(&mut out)?;
        out.flush()?;
    }
    temp.as_file().sync_all()?;
    // On any error the temporary file is removed when `temp` is dropped.
    if replace {
        temp.persist(path).map_err(|e| e.error)?;
    } else {
        temp.persist_noclobber(path).map_err(|e| e.error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(e) => panic!("{e}"),
        }
    }

    fn write_text(path: &Path, replace: bool, text: &str) -> io::Result<()> {
        write_whole(path, replace, |out| out.write_all(text.as_bytes()))
    }

    #[test]
    fn an_existing_file_is_kept_unless_replacing_is_asked() {
        let dir = dir();
        let path = dir.path().join("out.json");
        assert!(write_text(&path, false, "one").is_ok());
        let refused = write_text(&path, false, "two");
        assert!(refused.is_err_and(|e| e.to_string().contains("--force")));
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "one");
        assert!(write_text(&path, true, "three").is_ok());
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "three");
    }

    #[test]
    fn a_link_is_replaced_never_written_through() {
        let dir = dir();
        let victim = dir.path().join("victim.txt");
        let link = dir.path().join("link.json");
        assert!(std::fs::write(&victim, "keep").is_ok());
        assert!(std::os::unix::fs::symlink(&victim, &link).is_ok());
        assert!(write_text(&link, false, "x").is_err());
        assert!(write_text(&link, true, "new").is_ok());
        assert_eq!(std::fs::read_to_string(&victim).unwrap_or_default(), "keep");
        assert_eq!(std::fs::read_to_string(&link).unwrap_or_default(), "new");
        // A dangling link is an entry too.
        let dangling = dir.path().join("dangling.json");
        assert!(std::os::unix::fs::symlink(dir.path().join("gone"), &dangling).is_ok());
        assert!(write_text(&dangling, false, "x").is_err());
    }

    #[test]
    fn a_fifo_or_a_directory_is_refused_and_a_failed_write_leaves_nothing() {
        let dir = dir();
        let sub = dir.path().join("sub");
        assert!(std::fs::create_dir(&sub).is_ok());
        assert!(write_text(&sub, true, "x").is_err());
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let fifo_made = made.is_ok_and(|s| s.success());
        if fifo_made {
            let refused = write_text(&fifo, true, "x");
            assert!(refused.is_err_and(|e| e.to_string().contains("not a regular file")));
        }
        let failed = write_whole(&dir.path().join("half.json"), false, |out| {
            out.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        let expected = if fifo_made { 2 } else { 1 };
        assert_eq!(left.len(), expected, "only sub and fifo remain: {left:?}");
    }
}
