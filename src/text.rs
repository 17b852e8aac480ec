//! `Line`: one line of output built without `core::fmt`, which would cost
//! more code than all of nsinit's messages together.

use crate::sys::{self, Fd, ZStr};

/// Room for one message; a longer one is shown cut, ending in "...".
pub const LINE_MAX: usize = 512;
/// Longest object (a path, mostly) shown whole in a message; a longer one
/// is shown as its start and its end, so that what follows it still fits.
pub const OBJECT_MAX: usize = 200;

#[derive(Clone)]
pub struct Line {
    buf: heapless::Vec<u8, LINE_MAX>,
    cut: bool,
}

impl Default for Line {
    fn default() -> Self {
        Line::new()
    }
}

impl Line {
    pub const fn new() -> Line {
        Line { buf: heapless::Vec::new(), cut: false }
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.cut = false;
    }

    #[inline(never)]
    pub fn push(&mut self, bytes: &[u8]) -> &mut Line {
        for &b in bytes {
            if self.buf.push(b).is_err() {
                self.cut = true;
                break;
            }
        }
        self
    }

    /// `bytes` as text that stays on one line and shows what it holds:
    /// `\n`, `\t`, `\r` and `\\` for those bytes, `\xHH` for the other
    /// control bytes (below 0x20, and 0x7f); the rest, UTF-8 included, as
    /// it is. For whatever came from the command line, a file or the
    /// rootfs, which may hold anything but NUL.
    #[inline(never)]
    pub fn push_escaped(&mut self, bytes: &[u8]) -> &mut Line {
        for &b in bytes {
            let named = match b {
                b'\n' => b'n',
                b'\t' => b't',
                b'\r' => b'r',
                b'\\' => b'\\',
                _ => 0,
            };
            if named != 0 {
                self.push(&[b'\\', named]);
            } else if b < 0x20 || b == 0x7f {
                let hex = b"0123456789abcdef";
                self.push(&[b'\\', b'x', hex[usize::from(b >> 4)], hex[usize::from(b & 15)]]);
            } else {
                self.push(&[b]);
            }
        }
        self
    }

    /// `bytes` escaped as `push_escaped` does, or its first and last bytes
    /// around "..." when it is longer than `OBJECT_MAX`.
    pub fn push_object(&mut self, bytes: &[u8]) -> &mut Line {
        if bytes.len() <= OBJECT_MAX {
            return self.push_escaped(bytes);
        }
        let half = (OBJECT_MAX - 3) / 2;
        self.push_escaped(&bytes[..half]).push(b"...").push_escaped(&bytes[bytes.len() - half..])
    }

    pub fn push_u64(&mut self, n: u64) -> &mut Line {
        let mut buf = [0u8; 64];
        self.push(digits(n, 10, &mut buf))
    }

    /// A number with a fixed count of fraction digits: `value` is in units
    /// of 10^-`decimals`, so `push_fixed(1234, 3)` shows `1.234`.
    pub fn push_fixed(&mut self, value: u64, decimals: u32) -> &mut Line {
        let scale = 10u64.pow(decimals);
        self.push_u64(value / scale);
        if decimals > 0 {
            self.push(b".");
            let frac = value % scale;
            let mut div = scale / 10;
            while div > 0 {
                self.push(&[b'0' + (frac / div % 10) as u8]);
                div /= 10;
            }
        }
        self
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Writes the line and a newline to `fd` in one `write`.
    pub fn print(&self, fd: Fd) {
        let mut out: heapless::Vec<u8, { LINE_MAX + 4 }> = heapless::Vec::new();
        let _ = out.extend_from_slice(&self.buf);
        if self.cut {
            let _ = out.extend_from_slice(b"...");
        }
        let _ = out.push(b'\n');
        sys::write_all(fd, &out);
    }
}

/// `match` on a name (a JSON member's key, a word of a vocabulary), the
/// arms' names looked up in one packed list (`pick`) and the arm then
/// chosen by its number:
/// `by_key!(key, "path" => .., "args" | "env" => .., _ => j.skip())`.
/// (A `match` on byte strings compiles to a compare and a branch per byte
/// of each name, several times the size of the list.)
#[macro_export]
macro_rules! by_key {
    ($key:expr, $($first:literal $(| $more:literal)* => $arm:expr,)* _ => $other:expr $(,)?) => {{
        const NAMES: &str = concat!($($first, $("|", $more,)* " ",)*);
        const PACKED: [u8; $crate::text::packed_len(NAMES)] = $crate::text::pack(NAMES);
        let arm = $crate::text::pick($key, &PACKED);
        #[allow(unused_assignments)]
        let mut n = 0usize;
        // An arm may `return`.
        #[allow(unreachable_code, clippy::diverging_sub_expression)]
        let value = 'arms: {
            $(
                if arm == n {
                    break 'arms ($arm);
                }
                n += 1;
            )*
            $other
        };
        value
    }};
}

/// Which arm of `packed` (`pack`ed from the arms' names, each arm's
/// alternatives joined by `|`, each arm ended by a space, as `by_key!`
/// writes them) names `key`; one past the last arm when none does.
#[inline(never)]
pub fn pick(key: &[u8], packed: &[u8]) -> usize {
    find(key, packed).unwrap_or_else(|words| words)
}

/// Whether `word` is one of the space-separated `names`: a list of words
/// as one string, a byte a word where a table of slices takes sixteen.
#[inline(never)]
pub fn listed(word: &[u8], names: &str) -> bool {
    lookup(word, names.as_bytes(), b' ').is_ok()
}

/// Which of the space-separated words of `names` `key` is, counting from
/// 0, as `names.split(' ').position(..)` says it (so `"a b "` ends with an
/// empty word); `alternative` (or a space, for none) also ends a name,
/// without ending the word. `Err`: how many words there are.
///
/// A byte at a time, comparing names only where the lengths agree; for a
/// long list looked up often, `pack` it and `find` is a step a name.
pub fn lookup(key: &[u8], names: &[u8], alternative: u8) -> Result<usize, usize> {
    // A `while` on indices: a range's iterator is a call a byte at opt-level "z".
    let (mut word, mut start, mut end) = (0, 0, 0);
    loop {
        let c = names.get(end).copied();
        if c.is_none_or(|c| c == b' ' || c == alternative) {
            if end - start == key.len() && names.get(start..end) == Some(key) {
                return Ok(word);
            }
            match c {
                None => return Err(word),
                Some(b' ') => word += 1,
                Some(_) => {}
            }
            start = end + 1;
        }
        end += 1;
    }
}

/// In a `pack`ed list, the bit of a name's length byte that says the next
/// name is another for the same word (`|` in the list as written).
pub const ALTERNATIVE: u8 = 0x80;

/// The bytes `pack` makes of `names`.
pub const fn packed_len(names: &str) -> usize {
    let n = names.len();
    match names.as_bytes().last() {
        Some(b' ' | b'|') | None => n,
        Some(_) => n + 1,
    }
}

/// `names` (words ended by a space or by the end, a word's alternative
/// names joined by `|`) as `find` reads them, at compile time: each name
/// after a byte with its length, and `ALTERNATIVE` in that byte when the
/// next name is of the same word. A name is at most 127 bytes.
pub const fn pack<const N: usize>(names: &str) -> [u8; N] {
    assert!(N == packed_len(names), "pack: N must be packed_len(names)");
    let names = names.as_bytes();
    let mut packed = [0u8; N];
    let (mut start, mut at, mut i) = (0, 0, 0);
    while i <= names.len() {
        let end = i == names.len();
        if end || names[i] == b' ' || names[i] == b'|' {
            let len = i - start;
            if end && len == 0 {
                break;
            }
            assert!(len < ALTERNATIVE as usize, "pack: a name of 128 bytes or more");
            packed[at] = len as u8 | if !end && names[i] == b'|' { ALTERNATIVE } else { 0 };
            let mut j = 0;
            while j < len {
                packed[at + 1 + j] = names[start + j];
                j += 1;
            }
            at += 1 + len;
            start = i + 1;
        }
        i += 1;
    }
    packed
}

/// Which word of `packed` (see `pack`) `key` is, counting from 0. `Err`:
/// how many words there are. A step a name, comparing bytes only where
/// the lengths agree: `config.json`'s every member, mount option and
/// capability is looked up, and scanning their lists a byte at a time
/// (`lookup`) took a sixth of its parse.
pub fn find(key: &[u8], packed: &[u8]) -> Result<usize, usize> {
    let (mut word, mut at) = (0, 0);
    while let Some(&head) = packed.get(at) {
        let len = usize::from(head & !ALTERNATIVE);
        at += 1;
        // The first byte before the rest: a call to compare slices costs
        // more than the step.
        if len == key.len() && key.first().is_none_or(|k| packed.get(at) == Some(k)) && packed.get(at..at + len) == Some(key) {
            return Ok(word);
        }
        word += usize::from(head & ALTERNATIVE == 0);
        at += len;
    }
    Err(word)
}

/// `text` (ASCII) packed as build.rs's `pack` packs, at compile time, for
/// texts that only the compiler puts together (the options' usage words
/// and messages); and the packed length, never more than the text's.
pub const fn pack_lz<const N: usize>(text: &[u8; N]) -> ([u8; N], usize) {
    let (min, max, window) = (3, 3 + 7, 1 << 12);
    let mut packed = [0; N];
    let (mut i, mut n) = (0, 0);
    while i < N {
        assert!(text[i] < 0x80, "the packing takes bytes above 0x7f for copies");
        let (mut best, mut back) = (0, 0);
        let mut j = i.saturating_sub(window);
        while j < i {
            let mut k = 0;
            while k < max && i + k < N && text[j + k] == text[i + k] {
                k += 1;
            }
            if k > best {
                (best, back) = (k, i - j);
            }
            j += 1;
        }
        if best >= min {
            let pair = (0x8000 | ((best - min) << 12) | (back - 1)) as u16;
            let pair = pair.to_be_bytes();
            (packed[n], packed[n + 1]) = (pair[0], pair[1]);
            (i, n) = (i + best, n + 2);
        } else {
            packed[n] = text[i];
            (i, n) = (i + 1, n + 1);
        }
    }
    (packed, n)
}

/// Unpacks `packed`, as build.rs's `pack` made it, into `out`; returns the
/// length unpacked. A byte below 0x80 is itself; a pair of bytes
/// (big-endian) with the top bit set copies `3 + bits 12..15` bytes from
/// `1 + bits 0..12` bytes back. What would not fit in `out` is left out.
#[inline(never)]
pub fn unpack(packed: &[u8], out: &mut [u8]) -> usize {
    let mut n: usize = 0;
    let mut packed = packed.iter();
    while let Some(&b) = packed.next() {
        let (back, len) = match b {
            0..0x80 => (0, 1),
            _ => {
                let pair = usize::from(u16::from_be_bytes([b, packed.next().copied().unwrap_or(0)]));
                ((pair & 0xfff) + 1, 3 + ((pair >> 12) & 7))
            }
        };
        for _ in 0..len {
            let byte = if back == 0 { Some(b) } else { n.checked_sub(back).and_then(|from| out.get(from)).copied() };
            let (Some(byte), Some(slot)) = (byte, out.get_mut(n)) else { break };
            *slot = byte;
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_key_picks_the_arm_of_a_name() {
        let arm = |key: &[u8]| crate::by_key!(key, "a" => 1, "bc" | "d" => 2, "" => 3, _ => 0);
        assert_eq!([arm(b"a"), arm(b"bc"), arm(b"d"), arm(b""), arm(b"b"), arm(b"bcd"), arm(b"a|")], [1, 2, 2, 3, 0, 0, 0]);
        const PACKED: [u8; packed_len("a b|c ")] = pack("a b|c ");
        assert_eq!(PACKED, *b"\x01a\x81b\x01c");
        assert_eq!(pick(b"x", &PACKED), 2);
        assert_eq!(pick(b"c", &PACKED), 1);
        assert_eq!(pick(b"", &PACKED), 2);
        assert!(listed(b"b", "a b c") && !listed(b"", "a b c") && !listed(b"a b", "a b c"));
    }

    #[test]
    fn numbers() {
        let mut l = Line::new();
        l.push(b"n=").push_u64(0).push(b" ").push_u64(18446744073709551615);
        l.push(b" ").push_fixed(1234, 3).push(b" ").push_fixed(5, 2).push(b" ").push_fixed(7, 0);
        assert_eq!(l.as_bytes(), b"n=0 18446744073709551615 1.234 0.05 7");
    }

    #[test]
    fn long_objects_keep_their_start_and_end() {
        let long: std::vec::Vec<u8> = (0..1000).map(|i| b'a' + (i % 26) as u8).collect();
        let mut l = Line::new();
        l.push_object(&long).push(b": end");
        let shown = l.as_bytes();
        assert!(shown.len() < OBJECT_MAX + 10);
        assert!(shown.starts_with(&long[..50]));
        assert!(shown.ends_with(b": end"));
        assert!(shown.windows(3).any(|w| w == b"..."));
        let mut l = Line::new();
        l.push_object(b"/short");
        assert_eq!(l.as_bytes(), b"/short");
    }

    #[test]
    fn escaped_text_stays_on_one_line() {
        let mut l = Line::new();
        l.push_escaped(b"a\nb\tc\rd\\e\x1b[31m\x7f\x01 \xc3\xa9 ok");
        assert_eq!(l.as_bytes(), b"a\\nb\\tc\\rd\\\\e\\x1b[31m\\x7f\\x01 \xc3\xa9 ok");
        let mut l = Line::new();
        l.push_object(b"/x\ny");
        assert_eq!(l.as_bytes(), b"/x\\ny");
        let printable: std::vec::Vec<u8> = (0x20..0x7f).filter(|&b| b != b'\\').collect();
        let mut l = Line::new();
        l.push_escaped(&printable);
        assert_eq!(l.as_bytes(), &printable[..], "printable ASCII but the backslash is kept as it is");
    }

    #[test]
    fn overflow_is_marked() {
        let mut l = Line::new();
        for _ in 0..LINE_MAX + 10 {
            l.push(b"x");
        }
        assert!(l.cut);
        assert_eq!(l.as_bytes().len(), LINE_MAX);
    }
}

/// The digits of `n` in `radix` (2 to 16), written at the end of `buf`.
pub fn digits(mut n: u64, radix: u64, buf: &mut [u8; 64]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b"0123456789abcdef"[(n % radix) as usize];
        n /= radix;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// A NUL-terminated string built in place: paths and mount data. Going over
/// capacity is an error for the caller to report, never a truncation.
pub struct ZBuf<const N: usize> {
    buf: heapless::Vec<u8, N>,
}

/// A `ZBuf` would have gone over its capacity.
#[derive(Debug)]
pub struct TooLong;

/// `ZBuf`'s work, written once for every capacity rather than once for
/// each `N` (issue 13's size budget): `parts` added after the bytes before
/// any NUL, one byte always left free for the NUL.
#[inline(never)]
fn push_parts(buf: &mut heapless::vec::VecView<u8>, parts: &[&[u8]]) -> Result<(), TooLong> {
    if buf.last() == Some(&0) {
        buf.pop();
    }
    for bytes in parts {
        if buf.len() + bytes.len() >= buf.capacity() {
            return Err(TooLong);
        }
        let _ = buf.extend_from_slice(bytes);
    }
    Ok(())
}

#[inline(never)]
fn push_num(buf: &mut heapless::vec::VecView<u8>, n: u64, radix: u64) -> Result<(), TooLong> {
    let mut digits_buf = [0u8; 64];
    push_parts(buf, &[digits(n, radix, &mut digits_buf)])
}

#[inline(never)]
fn without_nul(buf: &[u8]) -> &[u8] {
    buf.strip_suffix(&[0]).unwrap_or(buf)
}

#[inline(never)]
fn zstr(buf: &mut heapless::vec::VecView<u8>) -> ZStr<'_> {
    if buf.last() != Some(&0) {
        // push_parts() always leaves room for this byte.
        let _ = buf.push(0);
    }
    ZStr::from_bytes_until_nul(buf).unwrap_or(ZStr::new(c""))
}

impl<const N: usize> Default for ZBuf<N> {
    fn default() -> Self {
        ZBuf::new()
    }
}

impl<const N: usize> ZBuf<N> {
    pub const fn new() -> ZBuf<N> {
        ZBuf { buf: heapless::Vec::new() }
    }

    pub fn from_parts(parts: &[&[u8]]) -> Result<ZBuf<N>, TooLong> {
        let mut z = ZBuf::new();
        push_parts(z.buf.as_mut_view(), parts)?;
        Ok(z)
    }

    pub fn push(&mut self, bytes: &[u8]) -> Result<&mut Self, TooLong> {
        push_parts(self.buf.as_mut_view(), &[bytes])?;
        Ok(self)
    }

    pub fn push_num(&mut self, n: u64, radix: u64) -> Result<&mut Self, TooLong> {
        push_num(self.buf.as_mut_view(), n, radix)?;
        Ok(self)
    }

    pub fn len(&self) -> usize {
        self.bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    pub fn bytes(&self) -> &[u8] {
        without_nul(&self.buf)
    }

    pub fn zstr(&mut self) -> ZStr<'_> {
        zstr(self.buf.as_mut_view())
    }

    /// Calls `f` with each ancestor of the path that is longer than `from`
    /// bytes, shortest first (`/a/b/c` from 2: `/a/b`), then gives the path
    /// back whole. For creating missing parent directories.
    pub fn for_each_parent<E>(&mut self, from: usize, mut f: impl FnMut(ZStr<'_>) -> Result<(), E>) -> Result<(), E> {
        let len = self.len();
        let mut i = from + 1;
        while i < len {
            if self.buf[i] == b'/' {
                self.buf[i] = 0;
                let r = f(ZStr::from_bytes_until_nul(&self.buf).unwrap_or(ZStr::new(c"")));
                self.buf[i] = b'/';
                r?;
            }
            i += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod zbuf_tests {
    use super::*;

    #[test]
    fn builds_and_terminates() {
        let mut z = ZBuf::<16>::from_parts(&[b"/r", b"/dev"]).unwrap();
        z.push(b"/null").unwrap();
        assert_eq!(z.zstr().bytes(), b"/r/dev/null");
        z.push(b"x").unwrap();
        assert_eq!(z.zstr().bytes(), b"/r/dev/nullx");
        let mut m = ZBuf::<32>::new();
        m.push(b"mode=").unwrap().push_num(0o1777, 8).unwrap().push(b",size=").unwrap().push_num(65536, 10).unwrap();
        assert_eq!(m.zstr().bytes(), b"mode=1777,size=65536");
    }

    #[test]
    fn over_capacity_is_an_error() {
        let mut z = ZBuf::<8>::new();
        assert!(z.push(b"1234567").is_ok());
        assert!(z.push(b"8").is_err());
        assert_eq!(z.zstr().bytes(), b"1234567");
    }

    #[test]
    fn parents_shortest_first() {
        let mut z = ZBuf::<64>::from_parts(&[b"/root/a/b/c"]).unwrap();
        let mut seen = std::vec::Vec::new();
        z.for_each_parent(5, |p| -> Result<(), ()> {
            seen.push(String::from_utf8_lossy(p.bytes()).into_owned());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, ["/root/a", "/root/a/b"]);
        assert_eq!(z.bytes(), b"/root/a/b/c");
    }
}
