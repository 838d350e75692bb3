//! Checked conversions between C arguments and Rust values: pointers (null, alignment),
//! C strings (NUL within their OST maximum, UTF-8) and the `repr(C)` structs of [`crate::abi`].

use std::os::raw::c_char;

use ost_core::{ImageDef, ImageId, ImageInfo, OstError};
use ost_model::{ImageDate, ImageDefFlags, ImageName};

use crate::abi::{sts_image_def_t, sts_image_info_t};

/// An invalid-argument error.
pub(crate) fn invalid(cause: impl Into<String>) -> OstError {
    OstError::InvalidArgument {
        cause: cause.into(),
    }
}

/// The bits of `flags` this plugin knows (`known`); the others, from a newer NetBackup or SDK,
/// are ignored with one debug line (ost-api.md: tolerate what is not understood) instead of
/// failing the call.
pub(crate) fn known_bits(flags: u32, known: u32, what: &str) -> u32 {
    let unknown = flags & !known;
    if unknown != 0 {
        tracing::debug!(
            flags = format_args!("{flags:#x}"),
            ignored = format_args!("{unknown:#x}"),
            "unknown {what} bits ignored"
        );
    }
    flags & known
}

/// A shared reference to an input struct: non-null and aligned.
///
/// # Safety
/// A non-null `ptr` must point to a readable `T` for the duration of the call.
pub(crate) unsafe fn input<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, OstError> {
    if ptr.is_null() {
        return Err(invalid(format!("{what} is NULL")));
    }
    if !ptr.is_aligned() {
        return Err(invalid(format!("{what} is misaligned")));
    }
    // SAFETY: non-null and aligned; the caller promises it points to a readable T.
    Ok(unsafe { &*ptr })
}

/// An optional input struct: NULL is `None`.
///
/// # Safety
/// As [`input`].
pub(crate) unsafe fn optional<'a, T>(ptr: *const T, what: &str) -> Result<Option<&'a T>, OstError> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { input(ptr, what) }.map(Some)
    }
}

/// An output argument, checked once (non-null, aligned) before any work is done; writing
/// through it is then safe.
pub(crate) struct Out<'a, T> {
    target: &'a mut std::mem::MaybeUninit<T>,
}

/// Checks an output pointer and wraps it (see [`Out`]).
///
/// # Safety
/// A non-null `ptr` must point to memory writable for a `T`, not aliased during the call.
pub(crate) unsafe fn out<'a, T>(ptr: *mut T, what: &str) -> Result<Out<'a, T>, OstError> {
    if ptr.is_null() {
        return Err(invalid(format!("{what} is NULL")));
    }
    if !ptr.is_aligned() {
        return Err(invalid(format!("{what} is misaligned")));
    }
    // SAFETY: non-null and aligned; writable and unaliased per the caller. As `MaybeUninit`,
    // the memory is never read nor its old value dropped.
    let target = unsafe { &mut *ptr.cast::<std::mem::MaybeUninit<T>>() };
    Ok(Out { target })
}

impl<T> Out<'_, T> {
    /// Writes the value (the caller's old contents are overwritten, not dropped: `T` is a
    /// plain C type).
    pub(crate) fn set(self, value: T) {
        self.target.write(value);
    }
}

/// A read-only byte buffer `(ptr, len)`; `len` 0 allows NULL.
///
/// # Safety
/// A non-null `ptr` must be readable for `len` bytes.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: u64,
    max: u64,
    what: &str,
) -> Result<&'a [u8], OstError> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(invalid(format!("{what} is NULL with length {len}")));
    }
    if len > max {
        return Err(invalid(format!(
            "{what} length {len} is over the limit {max}"
        )));
    }
    let len =
        usize::try_from(len).map_err(|_| invalid(format!("{what} length {len} too large")))?;
    // SAFETY: non-null, readable for len bytes per the caller; u8 has no alignment needs.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A writable byte buffer `(ptr, len)`; `len` 0 allows NULL.
///
/// # Safety
/// A non-null `ptr` must be writable for `len` bytes and not aliased during the call.
pub(crate) unsafe fn bytes_mut<'a>(
    ptr: *mut u8,
    len: u64,
    max: u64,
    what: &str,
) -> Result<&'a mut [u8], OstError> {
    if len == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(invalid(format!("{what} is NULL with length {len}")));
    }
    if len > max {
        return Err(invalid(format!(
            "{what} length {len} is over the limit {max}"
        )));
    }
    let len =
        usize::try_from(len).map_err(|_| invalid(format!("{what} length {len} too large")))?;
    // SAFETY: non-null, writable and unaliased for len bytes per the caller.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// A NUL-terminated C string argument of at most `max` bytes before the NUL; reads at most
/// `max + 1` bytes, so an unterminated string is an error, never an overrun of that bound.
///
/// # Safety
/// A non-null `ptr` must be readable up to its NUL or `max + 1` bytes, whichever comes first.
pub(crate) unsafe fn c_str<'a>(
    ptr: *const c_char,
    max: usize,
    what: &str,
) -> Result<&'a str, OstError> {
    if ptr.is_null() {
        return Err(invalid(format!("{what} is NULL")));
    }
    let mut len = None;
    for i in 0..=max {
        // SAFETY: within the bound the caller guarantees readable (we stop at the first NUL).
        if unsafe { *ptr.add(i) } == 0 {
            len = Some(i);
            break;
        }
    }
    let len =
        len.ok_or_else(|| invalid(format!("{what} is not NUL-terminated within {max} bytes")))?;
    // SAFETY: the `len` bytes before the NUL were just read.
    let raw = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    std::str::from_utf8(raw).map_err(|_| invalid(format!("{what} is not UTF-8")))
}

/// The string in a fixed `char` array: NUL-terminated within it, UTF-8.
pub(crate) fn fixed_str<'a>(buf: &'a [c_char], what: &str) -> Result<&'a str, OstError> {
    // SAFETY: c_char and u8 have the same size and alignment.
    let raw = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), buf.len()) };
    let len = raw.iter().position(|&b| b == 0).ok_or_else(|| {
        invalid(format!(
            "{what} is not NUL-terminated within {} bytes",
            buf.len()
        ))
    })?;
    std::str::from_utf8(&raw[..len]).map_err(|_| invalid(format!("{what} is not UTF-8")))
}

/// Copies `s` into a fixed `char` array, truncated at a character boundary so the NUL fits;
/// the rest of the array is zeroed.
pub(crate) fn put_str(buf: &mut [c_char], s: &str) {
    let mut end = s.len().min(buf.len().saturating_sub(1));
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    for (dst, &src) in buf.iter_mut().zip(s.as_bytes()[..end].iter()) {
        *dst = src as c_char;
    }
    for dst in buf.iter_mut().skip(end) {
        *dst = 0;
    }
}

/// An [`ImageDef`] from its C form. Copy and fragment 0 mean "from the name"; unknown flag
/// bits are refused.
pub(crate) fn image_def(def: &sts_image_def_t) -> Result<ImageDef, OstError> {
    let name = ImageName::new(fixed_str(&def.img_basename, "image base name")?)?;
    let date: ImageDate = fixed_str(&def.img_date, "image date")?.parse()?;
    let mut out = ImageDef::new(name, date);
    if def.img_copy != 0 {
        out.copy_number = def.img_copy;
    }
    if def.img_fragment != 0 {
        out.fragment_number = def.img_fragment;
    }
    out.flags = ImageDefFlags::from_bits(def.img_flags).ok_or_else(|| {
        invalid(format!(
            "unknown image-definition flags {:#x}",
            def.img_flags
        ))
    })?;
    Ok(out)
}

/// The C form of an image identity (copy and fragment from the name, no flags).
pub(crate) fn c_image_id(id: &ImageId) -> sts_image_def_t {
    c_image_def(&ImageDef::from(id.clone()))
}

/// The C form of an image definition.
pub(crate) fn c_image_def(def: &ImageDef) -> sts_image_def_t {
    let mut out = sts_image_def_t::zeroed();
    put_str(&mut out.img_basename, def.basename.as_str());
    put_str(&mut out.img_date, &def.date.to_string());
    out.img_copy = def.copy_number;
    out.img_fragment = def.fragment_number;
    out.img_flags = def.flags.bits();
    out
}

/// The C form of image properties.
pub(crate) fn c_image_info(info: &ImageInfo) -> sts_image_info_t {
    let mut out = sts_image_info_t::zeroed();
    out.imo_def = c_image_def(&info.def);
    out.imo_flags = info.flags.bits();
    out.imo_size = info.size;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_strings_need_their_nul() {
        let mut buf = [0 as c_char; 8];
        put_str(&mut buf, "abcdefghij");
        assert_eq!(fixed_str(&buf, "x").unwrap(), "abcdefg");
        let full = [b'a' as c_char; 4];
        assert!(fixed_str(&full, "x").is_err());
        put_str(&mut buf, "é€");
        assert_eq!(fixed_str(&buf, "x").unwrap(), "é€");
        put_str(&mut buf, "€€€");
        assert_eq!(fixed_str(&buf, "x").unwrap(), "€€");
    }

    #[test]
    fn c_strings_are_bounded() {
        let s = b"vast://h\0";
        // SAFETY: `s` is a readable, NUL-terminated byte string of 9 bytes; NULL is allowed.
        let got = unsafe { c_str(s.as_ptr().cast(), 8, "name") }.unwrap();
        assert_eq!(got, "vast://h");
        // SAFETY: as above.
        assert!(unsafe { c_str(s.as_ptr().cast(), 7, "name") }.is_err());
        // SAFETY: NULL is checked before any read.
        assert!(unsafe { c_str(std::ptr::null(), 7, "name") }.is_err());
    }

    #[test]
    fn image_defs_round_trip() {
        let mut c = sts_image_def_t::zeroed();
        put_str(&mut c.img_basename, "client_1700000000_C2_F1");
        put_str(&mut c.img_date, "20261125120000");
        let def = image_def(&c).unwrap();
        assert_eq!((def.copy_number, def.fragment_number), (2, 1));
        let back = c_image_def(&def);
        assert_eq!(image_def(&back).unwrap(), def);
        c.img_flags = 1 << 30;
        assert!(image_def(&c).is_err());
        put_str(&mut c.img_date, "2026");
        c.img_flags = 0;
        assert!(image_def(&c).is_err());
    }
}
