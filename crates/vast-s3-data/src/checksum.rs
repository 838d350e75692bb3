//! CRC32C helpers: per-part checksums in the S3 header form, and combining part checksums into
//! the checksum of the whole image.

use base64::Engine as _;

/// CRC32C of `data`.
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// The CRC32C of `a ++ b` from the CRC32C of `a`, the CRC32C of `b` and the length of `b`.
pub fn combine(crc_a: u32, crc_b: u32, len_b: u64) -> u32 {
    // Lengths above usize::MAX cannot occur on 64-bit targets, the only ones supported.
    crc32c::crc32c_combine(crc_a, crc_b, usize::try_from(len_b).unwrap_or(usize::MAX))
}

/// The value of an `x-amz-checksum-crc32c` header: base64 of the big-endian CRC.
pub fn to_header(crc: u32) -> String {
    base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
}

/// Parses an `x-amz-checksum-crc32c` value. Composite values (`...-N`) are refused.
pub fn from_header(value: &str) -> Option<u32> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let bytes: [u8; 4] = raw.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// A CRC32C built up from consecutive pieces, in order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunningCrc {
    crc: u32,
    len: u64,
}

impl RunningCrc {
    /// The checksum of nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from a known checksum of `len` bytes.
    pub fn from_parts(crc: u32, len: u64) -> Self {
        Self { crc, len }
    }

    /// Appends a piece whose CRC32C and length are known.
    pub fn push(&mut self, crc: u32, len: u64) {
        self.crc = if self.len == 0 {
            crc
        } else {
            combine(self.crc, crc, len)
        };
        self.len += len;
    }

    /// Appends raw bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.crc = crc32c::crc32c_append(self.crc, data);
        self.len += data.len() as u64;
    }

    /// The checksum so far.
    pub fn value(&self) -> u32 {
        self.crc
    }

    /// Bytes covered so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_vector() {
        // RFC 3720 test vector: 32 bytes of zeros.
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn header_round_trip() {
        let crc = crc32c(b"hello");
        let h = to_header(crc);
        assert_eq!(from_header(&h), Some(crc));
        assert_eq!(from_header("AAAA-3"), None);
        assert_eq!(from_header("not base64!"), None);
    }

    proptest! {
        #[test]
        fn combining_parts_equals_crc_of_the_whole(
            data in proptest::collection::vec(any::<u8>(), 0..4096),
            cuts in proptest::collection::vec(0usize..4096, 0..6),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.push(0);
            cuts.push(data.len());
            cuts.sort_unstable();
            let mut running = RunningCrc::new();
            for w in cuts.windows(2) {
                let piece = &data[w[0]..w[1]];
                running.push(crc32c(piece), piece.len() as u64);
            }
            prop_assert_eq!(running.value(), crc32c(&data));
            prop_assert_eq!(running.len(), data.len() as u64);
            let mut streamed = RunningCrc::new();
            streamed.update(&data);
            prop_assert_eq!(streamed.value(), crc32c(&data));
        }
    }
}
