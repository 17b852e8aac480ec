//! `ZStr`: a borrowed NUL-terminated string the size of one pointer.
//!
//! `&CStr` is a fat pointer, so a slice of them is not an `argv`. A slice of
//! `Option<ZStr>` is: it has the layout of `*const c_char[]`, `None` being
//! NULL. That lets the kernel's own argv and envp arrays, and the arrays
//! nsinit builds, go to `execve` as they are.
#![allow(unsafe_code)]

use core::ffi::CStr;
use core::marker::PhantomData;
use core::ptr::NonNull;

#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct ZStr<'a> {
    ptr: NonNull<u8>,
    _borrow: PhantomData<&'a [u8]>,
}

impl<'a> ZStr<'a> {
    /// # Safety
    /// `ptr` must point to a NUL-terminated string that lives and stays
    /// unchanged for `'a`.
    pub const unsafe fn from_ptr(ptr: NonNull<u8>) -> ZStr<'a> {
        ZStr { ptr, _borrow: PhantomData }
    }

    pub const fn new(s: &'a CStr) -> ZStr<'a> {
        // SAFETY: a CStr is NUL-terminated, non-null, and borrowed for 'a.
        unsafe { ZStr::from_ptr(NonNull::new_unchecked(s.as_ptr() as *mut u8)) }
    }

    /// The bytes before the NUL. Walks the string: strings here are short.
    pub fn bytes(self) -> &'a [u8] {
        let mut n = 0;
        // SAFETY: the string is NUL-terminated (type invariant), so each byte
        // up to and including the NUL is readable, and it lives for 'a.
        unsafe {
            while *self.ptr.as_ptr().add(n) != 0 {
                n += 1;
            }
            core::slice::from_raw_parts(self.ptr.as_ptr(), n)
        }
    }

    /// The string without its first `n` bytes (all of them, at most).
    pub fn skip(self, n: usize) -> ZStr<'a> {
        let n = n.min(self.bytes().len());
        // SAFETY: n is within the string, so the result still ends at its NUL.
        unsafe { ZStr::from_ptr(self.ptr.add(n)) }
    }

    pub fn as_ptr(self) -> *const u8 {
        self.ptr.as_ptr()
    }

    /// `bytes` up to its first NUL, found without a walk when `bytes` ends
    /// with one (its first NUL is then within it): `None` otherwise. For a
    /// caller that knows where the NUL is (`from_bytes_until_nul` walks).
    pub fn from_bytes_ending_nul(bytes: &'a [u8]) -> Option<ZStr<'a>> {
        match bytes.last() {
            // SAFETY: the last byte is a NUL, so the string starting at the
            // first byte ends within `bytes`, which is borrowed, unchanged,
            // for 'a.
            Some(0) => Some(unsafe { ZStr::from_ptr(NonNull::from(bytes).cast()) }),
            _ => None,
        }
    }

    /// Splits `bytes` at its first NUL; the first part becomes a `ZStr`.
    /// `None` when there is no NUL.
    pub fn from_bytes_until_nul(bytes: &'a [u8]) -> Option<ZStr<'a>> {
        CStr::from_bytes_until_nul(bytes).ok().map(ZStr::new)
    }
}

impl PartialEq for ZStr<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for ZStr<'_> {}

impl core::fmt::Debug for ZStr<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match core::str::from_utf8(self.bytes()) {
            Ok(s) => write!(f, "{s:?}"),
            Err(_) => write!(f, "{:?}", self.bytes()),
        }
    }
}

impl<'a> From<&'a CStr> for ZStr<'a> {
    fn from(s: &'a CStr) -> ZStr<'a> {
        ZStr::new(s)
    }
}
