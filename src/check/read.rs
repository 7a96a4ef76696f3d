//! Reading a playbook file with a bound: at most [`MAX_SOURCE_BYTES`] are read, so a
//! huge file, or a device that never ends (`include "/dev/zero"`), is refused without
//! being held in memory.

use std::io::{self, Read};
use std::path::Path;

use crate::limits::{bytes_in_words, MAX_SOURCE_BYTES};

/// Reads a playbook file as UTF-8 text. A file larger than the source limit (8 MiB) is an
/// error of kind [`io::ErrorKind::InvalidInput`] saying so; text that is not UTF-8 is
/// [`io::ErrorKind::InvalidData`], as with [`std::fs::read_to_string`].
pub fn read_source(path: &Path) -> io::Result<String> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is a folder, not a file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SOURCE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the file is larger than {}, the limit for a playbook",
                bytes_in_words(MAX_SOURCE_BYTES)
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}
