//! JSON (RFC 8259) for the OCI front end: a pull parser over the text of
//! `config.json` in place, with no allocation and no copy.
//!
//! The caller walks the document in its own shape: `object` calls back per
//! member, `array` per element, and the value accessors (`string`, `u64`,
//! `bool`, ...) each consume one value. Strings are unescaped in place and
//! handed out NUL-terminated inside the text, so the text must outlive what
//! is made of it (`'a`). What the caller does not read is skipped, still
//! fully validated, so a malformed document is refused wherever the error
//! sits. After an error the parser is not to be used again.
//!
//! Errors carry the JSON path of the value they are about (`linux.resources
//! .memory.limit`), prepended member by member on the way back up; syntax
//! errors carry the line and column instead.
//!
//! Why nsinit's own: `serde-json-core` costs four times this module's size
//! for a part of the spec and lacks what is needed here (README, "JSON").

use crate::sys::ZStr;
use crate::text::LINE_MAX;
use core::marker::PhantomData;
use core::mem;

/// How deeply arrays and objects may nest. runtime-spec's deepest value
/// (`linux.seccomp.syscalls[i].args[j].value`) is 5 levels down; extensions
/// an engine adds get room to spare. The parser recurses once a level, at
/// about 200 bytes of stack each (x86_64; 64 nested arrays ran in a 16 KiB
/// stack, not in 12 KiB).
pub const MAX_DEPTH: u32 = 64;

/// Room for the JSON path of an error, in bytes: its innermost steps are
/// kept, and a longer path is shown starting with `...`. runtime-spec's
/// longest (`linux.seccomp.syscalls[i].args[j].valueTwo`) takes about 40.
pub const PATH_ROOM: usize = 256;

/// What a value is, from its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

/// A cursor over a JSON text held in a mutable buffer; see the module's
/// documentation.
pub struct Json<'a> {
    /// The text not handed out yet: `rest[at..]` is not read yet. Read
    /// bytes are split off only when handed out (`take`): moving the
    /// slice on for each space and comma cost a tenth of the parse.
    rest: &'a mut [u8],
    /// The cursor, in `rest`.
    at: usize,
    /// Where `rest` starts in the text.
    offset: usize,
    /// The line the cursor is on (1-based), and where in the text it starts.
    line: usize,
    line_start: usize,
    /// Arrays and objects open around the cursor.
    depth: u32,
    /// Values read whole so far: tells whether a callback consumed its value.
    values: usize,
}

/// Where the caller is in an object or array being read (`next_member`,
/// `next_element`): `values` is how many values were read when the
/// current member's value started, or one of the states below; `step`
/// is that member's key or element's index, for an error's path.
struct Cursor<'a> {
    values: usize,
    step: Step<'a>,
}

/// Not opened yet.
const START: usize = usize::MAX;
/// Opened, before its first member or element.
const OPENED: usize = usize::MAX - 1;
/// Refused: the error is made.
const FAILED: usize = usize::MAX - 2;

/// Error texts used in more than one place.
const END: Message = message!("unexpected end of the text");
const VALUE: Message = message!("expected a value");
const INTEGER: Message = message!("expected an integer");
const RANGE: Message = message!("integer out of range");
const NUL: Message = message!("a NUL character (U+0000) in a string");

impl<'a> Json<'a> {
    /// A parser at the start of `text`.
    pub fn new(text: &'a mut [u8]) -> Json<'a> {
        Json { rest: text, at: 0, offset: 0, line: 1, line_start: 0, depth: 0, values: 0 }
    }

    /// The kind of the next value, after skipping whitespace; nothing of the
    /// value is consumed. A byte that starts no value is a syntax error.
    pub fn peek(&mut self) -> Result<Kind, Error<'a>> {
        match self.skip_whitespace() {
            Some(b'{') => Ok(Kind::Object),
            Some(b'[') => Ok(Kind::Array),
            Some(b'"') => Ok(Kind::String),
            Some(b'-' | b'0'..=b'9') => Ok(Kind::Number),
            Some(b't' | b'f') => Ok(Kind::Bool),
            Some(b'n') => Ok(Kind::Null),
            Some(_) => Err(self.syntax(0, VALUE)),
            None => Err(self.syntax(0, END)),
        }
    }

    /// Reads an object, calling `member(json, key)` for each member in
    /// order, with the key unescaped (duplicates are passed on as they come).
    /// `member` reads the value with `json`; if it reads nothing, the value
    /// is skipped (how unknown members are ignored). An error from `member`
    /// gets `key` prepended to its path. Not an object: `expected an object`.
    ///
    /// Inlined, with `member` called directly: the walk is in the
    /// functions it calls (`next_member`, `Error::inside`), so that each
    /// caller's closure costs neither a copy of the loop nor a table of
    /// its own (a trait object's, as it took before: 2 KB in all).
    #[inline(always)]
    pub fn object(
        &mut self,
        mut member: impl FnMut(&mut Json<'a>, &'a [u8]) -> Result<(), Error<'a>>,
    ) -> Result<(), Error<'a>> {
        let mut at = Cursor { values: START, step: Step::Index(0) };
        while let Some(key) = self.next_member(&mut at) {
            if member(self, key).is_err() {
                return Err(Error::inside(&at));
            }
        }
        if at.values == FAILED { Err(Error::made()) } else { Ok(()) }
    }

    /// Reads an array, calling `element(json, index)` for each element;
    /// as `object` otherwise, an error getting `[index]` prepended.
    /// Not an array: `expected an array`.
    #[inline(always)]
    pub fn array(&mut self, mut element: impl FnMut(&mut Json<'a>, usize) -> Result<(), Error<'a>>) -> Result<(), Error<'a>> {
        let mut at = Cursor { values: START, step: Step::Index(0) };
        while let Some(index) = self.next_element(&mut at) {
            if element(self, index).is_err() {
                return Err(Error::inside(&at));
            }
        }
        if at.values == FAILED { Err(Error::made()) } else { Ok(()) }
    }

    /// Reads an array of strings, calling `each` with each one (`string`).
    pub fn strings(&mut self, mut each: impl FnMut(ZStr<'a>) -> Result<(), Error<'a>>) -> Result<(), Error<'a>> {
        self.array(|json, _| each(json.string()?))
    }

    /// Reads a string, unescaped and NUL-terminated in place. Since the
    /// result is a C string, a string holding `\u0000` is refused.
    /// Not a string: `expected a string`.
    pub fn string(&mut self) -> Result<ZStr<'a>, Error<'a>> {
        let text = self.text_nul()?;
        ZStr::from_bytes_ending_nul(text).ok_or_else(|| Error::code(NUL))
    }

    /// Reads a string as `string` does, as its bytes (the NUL that ends
    /// them in place not included): for a word looked up or checked.
    pub fn text(&mut self) -> Result<&'a [u8], Error<'a>> {
        let text = self.text_nul()?;
        Ok(text.split_last().map_or(text, |(_, text)| text))
    }

    /// The string at the cursor as `string` reads it, its NUL included.
    #[inline(never)]
    fn text_nul(&mut self) -> Result<&'a [u8], Error<'a>> {
        if self.peek()? != Kind::String {
            return Err(fail!("expected a string"));
        }
        let (room, len) = self.scan_string()?;
        // Only an escape (`\u0000`) makes a NUL, as `unescape` lets no
        // control byte through; without one the text kept its length.
        if len + 2 != room.len() && room[..len].contains(&0) {
            return Err(Error::code(NUL));
        }
        room[len] = 0;
        let room: &'a [u8] = room;
        Ok(room.get(..=len).unwrap_or_default())
    }

    /// Reads an integer from 0 to 2^64-1. A number with a fraction or an
    /// exponent (`1.0`, `1e3`) is `expected an integer`, as in runc (Go's
    /// encoding/json); one out of range is `integer out of range`.
    pub fn u64(&mut self) -> Result<u64, Error<'a>> {
        self.unsigned(u64::MAX)
    }

    /// Reads an integer from -2^63 to 2^63-1; as `u64` otherwise.
    pub fn i64(&mut self) -> Result<i64, Error<'a>> {
        self.signed(i64::MIN, i64::MAX)
    }

    /// Reads an integer from 0 to 2^32-1; as `u64` otherwise.
    pub fn u32(&mut self) -> Result<u32, Error<'a>> {
        self.unsigned(u32::MAX.into()).map(|n| n as u32)
    }

    /// Reads an integer from -2^31 to 2^31-1; as `u64` otherwise.
    pub fn i32(&mut self) -> Result<i32, Error<'a>> {
        self.signed(i32::MIN.into(), i32::MAX.into()).map(|n| n as i32)
    }

    /// Reads `true` or `false`; another value is `expected true or false`.
    pub fn bool(&mut self) -> Result<bool, Error<'a>> {
        if self.peek()? != Kind::Bool {
            return Err(fail!("expected true or false"));
        }
        let value = self.rest.get(self.at) == Some(&b't');
        self.literal(if value { b"true" } else { b"false" })?;
        Ok(value)
    }

    /// Reads a `null` and says `true`; before any other value, says `false`
    /// and consumes nothing, for the caller to read the value.
    pub fn null(&mut self) -> Result<bool, Error<'a>> {
        if self.peek()? != Kind::Null {
            return Ok(false);
        }
        self.literal(b"null")?;
        Ok(true)
    }

    /// Skips one value of any kind, validating it fully.
    pub fn skip(&mut self) -> Result<(), Error<'a>> {
        match self.peek()? {
            Kind::Object => self.object(|json, _| json.skip()),
            Kind::Array => self.array(|json, _| json.skip()),
            Kind::String => self.scan_string().map(drop),
            Kind::Number => self.number().map(drop),
            Kind::Bool => self.bool().map(drop),
            Kind::Null => self.literal(b"null"),
        }
    }

    /// Skips one value as `skip` does, and says how many values it was
    /// made of: 1 for a scalar, an empty array or an empty object.
    pub fn skip_counted(&mut self) -> Result<usize, Error<'a>> {
        let before = self.values;
        self.skip()?;
        Ok(self.values - before)
    }

    /// Checks that nothing but whitespace follows the value read.
    pub fn end(&mut self) -> Result<(), Error<'a>> {
        match self.skip_whitespace() {
            None => Ok(()),
            Some(_) => Err(self.syntax(0, message!("unexpected text after the value"))),
        }
    }

    /// Steps to the next member or element of what `at` walks, whose
    /// closing byte is `close` (opening it first): whether there is one
    /// (at its end, it is closed). A value the caller left unread is
    /// skipped first.
    fn more(&mut self, at: &mut Cursor<'a>, close: u8) -> Result<bool, Error<'a>> {
        if at.values == START {
            let object = close == b'}';
            if self.peek()? != if object { Kind::Object } else { Kind::Array } {
                return Err(if object { fail!("expected an object") } else { fail!("expected an array") });
            }
            self.open()?;
            at.values = OPENED;
        }
        if at.values == OPENED {
            if self.skip_whitespace() == Some(close) {
                self.close();
                return Ok(false);
            }
            return Ok(true);
        }
        if self.values == at.values {
            self.skip()?;
        }
        match self.skip_whitespace() {
            Some(b',') => {
                self.at += 1;
                if let Step::Index(i) = &mut at.step {
                    *i += 1;
                }
                Ok(true)
            }
            Some(c) if c == close => {
                self.close();
                Ok(false)
            }
            _ => Err(self.unexpected(if close == b'}' { message!("expected ',' or '}'") } else { message!("expected ',' or ']'") })),
        }
    }

    /// The key of the next member of the object `at` walks, its value
    /// next at the cursor; `None` at the object's end, or with `at`
    /// `FAILED` when the text is refused.
    #[inline(never)]
    fn next_member(&mut self, at: &mut Cursor<'a>) -> Option<&'a [u8]> {
        match self.member_key(at) {
            Ok(key) => key,
            Err(_) => {
                at.values = FAILED;
                None
            }
        }
    }

    fn member_key(&mut self, at: &mut Cursor<'a>) -> Result<Option<&'a [u8]>, Error<'a>> {
        if !self.more(at, b'}')? {
            return Ok(None);
        }
        if self.skip_whitespace() != Some(b'"') {
            return Err(self.unexpected(message!("expected a member name")));
        }
        let (room, len) = self.scan_string()?;
        let key: &'a [u8] = &room[..len];
        if self.skip_whitespace() != Some(b':') {
            return Err(self.unexpected(message!("expected ':'")));
        }
        self.at += 1;
        *at = Cursor { values: self.values, step: Step::Key(key) };
        Ok(Some(key))
    }

    /// The index of the next element of the array `at` walks, next at
    /// the cursor; `None` at its end, or with `at` `FAILED` when the text
    /// is refused.
    #[inline(never)]
    fn next_element(&mut self, at: &mut Cursor<'a>) -> Option<usize> {
        match self.more(at, b']') {
            Ok(more) => {
                at.values = self.values;
                match at.step {
                    Step::Index(i) if more => Some(i),
                    _ => None,
                }
            }
            Err(_) => {
                at.values = FAILED;
                None
            }
        }
    }

    /// Consumes the `{` or `[` at the cursor, one level deeper.
    fn open(&mut self) -> Result<(), Error<'a>> {
        if self.depth == MAX_DEPTH {
            return Err(self.syntax(0, message!("nested too deeply (at most 64 levels)")));
        }
        self.depth += 1;
        self.at += 1;
        Ok(())
    }

    /// Consumes the `}` or `]` at the cursor, one level up.
    fn close(&mut self) {
        self.at += 1;
        self.depth -= 1;
        self.values += 1;
    }

    /// Consumes `word` (`true`, `false`, `null`) at the cursor.
    fn literal(&mut self, word: &[u8]) -> Result<(), Error<'a>> {
        if !self.ahead().starts_with(word) {
            return Err(self.syntax(0, message!("expected true, false or null")));
        }
        self.at += word.len();
        self.values += 1;
        Ok(())
    }

    /// Consumes the string at the cursor (at its `"`), unescaping it in
    /// place: returns the bytes it took, which start with the unescaped
    /// text, and that text's length (always less than the bytes taken).
    fn scan_string(&mut self) -> Result<(&'a mut [u8], usize), Error<'a>> {
        match unescape(self.rest.get_mut(self.at..).unwrap_or_default()) {
            Ok((taken, len)) => {
                self.values += 1;
                Ok((self.take(taken), len))
            }
            Err((at, what)) => Err(self.syntax(at, what)),
        }
    }

    /// Consumes the number at the cursor: its text, and whether it is an
    /// integer (no fraction, no exponent).
    fn number(&mut self) -> Result<(&'a [u8], bool), Error<'a>> {
        match number_len(self.ahead()) {
            Ok((len, integer)) => {
                self.values += 1;
                Ok((self.take(len), integer))
            }
            Err(at) if at == self.ahead().len() => Err(self.syntax(at, END)),
            Err(at) => Err(self.syntax(at, message!("invalid number"))),
        }
    }

    /// Consumes an integer: whether it has a minus sign, its magnitude,
    /// and its text.
    fn integer(&mut self) -> Result<(bool, u64, &'a [u8]), Error<'a>> {
        if self.peek()? != Kind::Number {
            return Err(Error::code(INTEGER));
        }
        let (text, integer) = self.number()?;
        if !integer {
            return Err(Error::code_about(INTEGER, text));
        }
        let (negative, digits) = match text {
            [b'-', digits @ ..] => (true, digits),
            _ => (false, text),
        };
        let mut n: u64 = 0;
        for &d in digits {
            n = n.checked_mul(10).and_then(|n| n.checked_add(u64::from(d - b'0'))).ok_or_else(|| Error::code_about(RANGE, text))?;
        }
        Ok((negative, n, text))
    }

    /// Consumes an integer from 0 to `max`.
    fn unsigned(&mut self, max: u64) -> Result<u64, Error<'a>> {
        match self.integer()? {
            (false, n, _) | (true, n @ 0, _) if n <= max => Ok(n),
            (_, _, text) => Err(Error::code_about(RANGE, text)),
        }
    }

    /// Consumes an integer from `min` to `max`.
    fn signed(&mut self, min: i64, max: i64) -> Result<i64, Error<'a>> {
        let (negative, n, text) = self.integer()?;
        let value = if negative { 0i64.checked_sub_unsigned(n) } else { i64::try_from(n).ok() };
        value.filter(|v| (min..=max).contains(v)).ok_or_else(|| Error::code_about(RANGE, text))
    }

    /// The text after the cursor.
    fn ahead(&self) -> &[u8] {
        self.rest.get(self.at..).unwrap_or_default()
    }

    /// Consumes the next `n` bytes of the text and hands them out, for as
    /// long as the text lives.
    fn take(&mut self, n: usize) -> &'a mut [u8] {
        let (_, rest) = mem::take(&mut self.rest).split_at_mut(self.at);
        let (taken, rest) = rest.split_at_mut(n);
        self.offset += self.at + n;
        (self.rest, self.at) = (rest, 0);
        taken
    }

    /// Consumes whitespace (space, tab, CR, LF: RFC 8259's four) and says
    /// what byte follows, if any.
    fn skip_whitespace(&mut self) -> Option<u8> {
        loop {
            let c = self.rest.get(self.at).copied();
            match c {
                Some(b' ' | b'\t' | b'\r') => {}
                Some(b'\n') => {
                    self.line += 1;
                    self.line_start = self.offset + self.at + 1;
                }
                _ => return c,
            }
            self.at += 1;
        }
    }

    /// A syntax error `at` bytes past the cursor. Strings hold no line
    /// break, so the line is the cursor's. Columns count bytes, from 1.
    #[cold]
    #[inline(never)]
    fn syntax(&self, at: usize, what: Message) -> Error<'a> {
        let e = Error::code(what);
        with_record(|r| {
            r.line = u32::try_from(self.line).unwrap_or(u32::MAX);
            r.column = u32::try_from(self.offset + self.at + at - self.line_start + 1).unwrap_or(u32::MAX);
        });
        e
    }

    /// `what` at the cursor, or the end of the text when it is there.
    fn unexpected(&self, what: Message) -> Error<'a> {
        self.syntax(0, if self.ahead().is_empty() { END } else { what })
    }
}

/// Unescapes the string that `text` starts with (at its `"`) in place, to
/// the start of `text`: returns the bytes the string takes, quotes
/// included, and the length of its unescaped text. An error is where in
/// `text` it is and what it is. Escapes always shrink (`\uXXXX` is six
/// bytes for at most three), so the text is written behind the reading.
fn unescape(text: &mut [u8]) -> Result<(usize, usize), (usize, Message)> {
    let mut read = 1;
    let mut write = 0;
    loop {
        let c = *text.get(read).ok_or((read, END))?;
        match c {
            b'"' => return Ok((read + 1, write)),
            b'\\' => {
                let plain = match text.get(read + 1) {
                    None => return Err((read + 1, END)),
                    Some(b'"') => b'"',
                    Some(b'\\') => b'\\',
                    Some(b'/') => b'/',
                    Some(b'b') => 8,
                    Some(b'f') => 12,
                    Some(b'n') => b'\n',
                    Some(b'r') => b'\r',
                    Some(b't') => b'\t',
                    Some(b'u') => 0,
                    Some(_) => return Err((read, message!("invalid escape in a string"))),
                };
                if plain != 0 {
                    text[write] = plain;
                    write += 1;
                    read += 2;
                    continue;
                }
                let (code, len) = code_point(text, read)?;
                let mut utf8 = [0; 4];
                let utf8 = char::from_u32(code).ok_or((read, SURROGATE))?.encode_utf8(&mut utf8).as_bytes();
                text[write..write + utf8.len()].copy_from_slice(utf8);
                write += utf8.len();
                read += len;
            }
            0..=0x1f => return Err((read, message!("a control character in a string (write it escaped)"))),
            0x80.. => {
                let len = utf8_len(&text[read..]).ok_or((read, message!("invalid UTF-8 in a string")))?;
                text.copy_within(read..read + len, write);
                write += len;
                read += len;
            }
            _ => {
                text[write] = c;
                write += 1;
                read += 1;
            }
        }
    }
}

const SURROGATE: Message = message!("an unpaired surrogate in a string");

/// The code point of the `\uXXXX` escape at `text[at..]`, or of the pair of
/// them that stands for one past U+FFFF (UTF-16 surrogates), and how many
/// bytes that took.
fn code_point(text: &[u8], at: usize) -> Result<(u32, usize), (usize, Message)> {
    let high = hex4(text, at)?;
    if !(0xd800..0xdc00).contains(&high) {
        // A low surrogate alone is refused by the caller (char::from_u32).
        return Ok((high, 6));
    }
    if text.get(at + 6..at + 8) != Some(b"\\u") {
        return Err((at, SURROGATE));
    }
    let low = hex4(text, at + 6)?;
    if !(0xdc00..0xe000).contains(&low) {
        return Err((at, SURROGATE));
    }
    Ok((0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00), 12))
}

/// The four hex digits of the `\u` escape at `text[at..]`.
fn hex4(text: &[u8], at: usize) -> Result<u32, (usize, Message)> {
    (at + 2..at + 6).try_fold(0, |n, i| match text.get(i).map(|&d| char::from(d).to_digit(16)) {
        Some(Some(d)) => Ok(n << 4 | d),
        Some(None) => Err((at, message!("invalid escape in a string"))),
        None => Err((i, END)),
    })
}

/// The length of the UTF-8 sequence `bytes` starts with (a non-ASCII one),
/// if it is well-formed (RFC 3629: shortest form, no surrogates, at most
/// U+10FFFF).
fn utf8_len(bytes: &[u8]) -> Option<usize> {
    let (len, min) = match bytes.first()? {
        0xc2..=0xdf => (2, 0x80),
        0xe0..=0xef => (3, 0x800),
        0xf0..=0xf4 => (4, 0x1_0000),
        _ => return None,
    };
    let mut code = u32::from(bytes[0]) & (0x7f >> len);
    for &c in bytes.get(1..len)? {
        if c & 0xc0 != 0x80 {
            return None;
        }
        code = code << 6 | u32::from(c & 0x3f);
    }
    (code >= min && char::from_u32(code).is_some()).then_some(len)
}

/// The length of the number `text` starts with, per RFC 8259's grammar
/// (`-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`), and whether it is
/// an integer; or where it goes wrong.
fn number_len(text: &[u8]) -> Result<(usize, bool), usize> {
    let digits = |from: usize| text.get(from..).map_or(0, |t| t.iter().take_while(|c| c.is_ascii_digit()).count());
    let mut n = usize::from(text.first() == Some(&b'-'));
    match text.get(n) {
        Some(b'0') => n += 1,
        Some(b'1'..=b'9') => n += digits(n),
        _ => return Err(n),
    }
    let mut integer = true;
    if text.get(n) == Some(&b'.') {
        n += 1;
        match digits(n) {
            0 => return Err(n),
            d => n += d,
        }
        integer = false;
    }
    if let Some(b'e' | b'E') = text.get(n) {
        n += 1;
        if let Some(b'+' | b'-') = text.get(n) {
            n += 1;
        }
        match digits(n) {
            0 => return Err(n),
            d => n += d,
        }
        integer = false;
    }
    Ok((n, integer))
}

/// One of the parser's and the mapping's error texts, by its number
/// from 1 in the packed list (build.rs, `pack_messages`): each call
/// site names a number, not a text, and the texts take half the room.
/// Written `message!("TEXT")`, checked and numbered at compile time.
#[derive(Clone, Copy)]
pub struct Message(pub u16);

/// The texts, one a line, as build.rs packs them.
const MESSAGES_PACKED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/messages.lz"));
const MESSAGES_LEN: usize = include!(concat!(env!("OUT_DIR"), "/messages.len"));
/// The same, for `message_id` alone (compile time).
const MESSAGES: &[&str] = &include!(concat!(env!("OUT_DIR"), "/messages.rs"));

/// The number of `text` among the packed texts; a text build.rs did not
/// find (not written in a `fail!` or `message!`) does not compile.
pub const fn message_id(text: &str) -> u16 {
    let mut i = 0;
    while i < MESSAGES.len() {
        let (a, b) = (MESSAGES[i].as_bytes(), text.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return (i + 1) as u16;
            }
        }
        i += 1;
    }
    panic!("an error text build.rs did not pack: write it in a fail! or message! in src/oci")
}

/// Text number `code`, unpacked into `room`.
fn message(code: u16, room: &mut [u8; MESSAGES_LEN]) -> &[u8] {
    let len = crate::text::unpack(MESSAGES_PACKED, room);
    let mut text: &[u8] = room.get(..len).unwrap_or_default();
    for _ in 1..code {
        text = text.iter().position(|&c| c == b'\n').and_then(|at| text.get(at + 1..)).unwrap_or_default();
    }
    let end = text.iter().position(|&c| c == b'\n').unwrap_or(text.len());
    text.get(..end).unwrap_or_default()
}

/// One step of a JSON path: a member's key or an element's index.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a [u8]),
    Index(usize),
}

/// A JSON error: what is wrong, an optional word it is about, and where:
/// the JSON path of the value (semantic errors) or, for syntax errors, the
/// line and column. Printed by `into_error`.
///
/// All of it is kept in one static record, as `crate::error::Error` keeps
/// its message: an error is made once a run, and anything held in the
/// error would make every `Result` of the parser and of the code mapping
/// the document larger, in code and in stack (holding nothing, a
/// `Result<(), Error>` is a byte and `?` one test). So there is one error
/// at a time: a new one starts a new record. The word is copied into the
/// record, up to `text::LINE_MAX` bytes: a message holds no more.
pub struct Error<'a> {
    _text: PhantomData<&'a [u8]>,
}

impl<'a> Error<'a> {
    /// An error about the value being read: `what` is shown after its
    /// path, e.g. `unknown mount option` or `expected an integer`.
    #[cold]
    #[inline(never)]
    pub fn new(what: &'static str) -> Self {
        with_record(|r| {
            r.path.clear();
            (r.what, r.code, r.detail, r.line, r.column) = (Some(what), 0, None, 0, 0);
        });
        Error { _text: PhantomData }
    }

    /// The same, about `word` (a name, a number's text), shown quoted
    /// after `what` with control bytes escaped.
    #[cold]
    #[inline(never)]
    pub fn with_detail(self, word: &'a [u8]) -> Self {
        with_record(|r| {
            let len = word.len().min(LINE_MAX);
            r.word[..len].copy_from_slice(&word[..len]);
            r.detail = Some(len);
        });
        self
    }

    /// `new(what)` about `word`, as `with_detail` shows it: one call where
    /// the mapping makes many.
    #[cold]
    #[inline(never)]
    pub fn about(what: &'static str, word: &'a [u8]) -> Self {
        Error::new(what).with_detail(word)
    }


    /// An error about the value being read, by the number of its text
    /// (`message!`; `fail!` makes one).
    #[cold]
    #[inline(never)]
    pub fn code(what: Message) -> Self {
        with_record(|r| {
            r.path.clear();
            (r.what, r.code, r.detail, r.line, r.column) = (None, what.0, None, 0, 0);
        });
        Error { _text: PhantomData }
    }

    /// `code(what)` about `word`, as `with_detail` shows it: one call where
    /// the mapping makes many.
    #[cold]
    #[inline(never)]
    pub fn code_about(what: Message, word: &'a [u8]) -> Self {
        Error::code(what).with_detail(word)
    }

    /// The error already made (its record), again.
    fn made() -> Self {
        Error { _text: PhantomData }
    }

    /// The error being made, as it happened inside the member or element
    /// `at` is on.
    #[cold]
    #[inline(never)]
    fn inside(at: &Cursor<'_>) -> Self {
        let mut digits = [0; 64];
        with_record(|r| match at.step {
            _ if r.line != 0 => {}
            Step::Key(key) => r.path.prepend(&[b".", key]),
            Step::Index(index) => r.path.prepend(&[b"[", crate::text::digits(index as u64, 10, &mut digits), b"]"]),
        });
        Error { _text: PhantomData }
    }

    /// nsinit's error, exit code 125, for the text read from `file`:
    /// `nsinit: FILE: a.b[3].c: WHAT 'DETAIL'`, or for a syntax error
    /// `nsinit: FILE:LINE:COLUMN: WHAT`.
    pub fn into_error(self, file: &[u8]) -> crate::error::Error {
        let shown = with_record(|r| {
            let mut e = crate::error::Error::new(file);
            if r.line != 0 {
                e = e.push(b":").push_u64(r.line.into()).push(b":").push_u64(r.column.into());
            } else {
                let (dots, path) = r.path.shown();
                if !dots.is_empty() || !path.is_empty() {
                    e = e.push(b": ").push(dots).push(path);
                }
            }
            let mut text = [0; MESSAGES_LEN];
            let what = match r.code {
                0 => r.what.unwrap_or("").as_bytes(),
                code => message(code, &mut text),
            };
            e = e.push(b": ").push(what);
            if let Some(len) = r.detail {
                e = e.push(b" '").push(&r.word[..len]).push(b"'");
            }
            e
        });
        shown.unwrap_or_else(|| crate::error::Error::new(file))
    }
}

/// The error being made: what, the word it is about, where. All zeros
/// when none is, so that it takes no room in the binary (.bss).
struct Record {
    what: Option<&'static str>,
    /// The number of the text (`Message`) when it is one of the packed
    /// ones, else 0.
    code: u16,
    /// The word's length in `word`, when there is one.
    detail: Option<usize>,
    word: [u8; LINE_MAX],
    /// 1-based; 0 when the error is not about the text's syntax.
    line: u32,
    column: u32,
    path: Path,
}

impl Record {
    const fn new() -> Record {
        Record { what: None, code: 0, detail: None, word: [0; LINE_MAX], line: 0, column: 0, path: Path::new() }
    }
}

/// The JSON path of the error being made, built from its end as the error
/// goes up through the arrays and objects around it.
struct Path {
    room: [u8; PATH_ROOM],
    /// How many bytes at the end of `room` the path takes.
    len: usize,
    /// Steps further out did not fit and were dropped.
    cut: bool,
}

impl Path {
    const fn new() -> Path {
        Path { room: [0; PATH_ROOM], len: 0, cut: false }
    }

    fn clear(&mut self) {
        self.len = 0;
        self.cut = false;
    }

    /// Puts `parts` in front of the path; once a step does not fit, the path
    /// is cut there and takes no more.
    fn prepend(&mut self, parts: &[&[u8]]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if self.cut || len > PATH_ROOM - self.len {
            self.cut = true;
            return;
        }
        self.len += len;
        let mut at = PATH_ROOM - self.len;
        for part in parts {
            self.room[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
    }

    /// The path as shown, in two parts: `...` when it was cut, then the
    /// steps (`a.b[3]`).
    fn shown(&self) -> (&'static [u8], &[u8]) {
        let path = &self.room[PATH_ROOM - self.len..];
        let path = path.strip_prefix(b".").unwrap_or(path);
        (if self.cut { b"..." } else { b"" }, path)
    }
}

/// Runs `f` on the record of the error being made.
#[cfg(not(test))]
fn with_record<R>(f: impl FnOnce(&mut Record) -> R) -> Option<R> {
    static RECORD: crate::rt::Global<Record> = crate::rt::Global::new(Record::new());
    RECORD.with(f)
}

/// The same, one a thread, as tests run in threads.
#[cfg(test)]
fn with_record<R>(f: impl FnOnce(&mut Record) -> R) -> Option<R> {
    std::thread_local! {
        static RECORD: core::cell::RefCell<Record> = const { core::cell::RefCell::new(Record::new()) };
    }
    RECORD.with(|p| Some(f(&mut p.borrow_mut())))
}

impl core::fmt::Debug for Error<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        with_record(|r| write!(f, "json::Error({:?} #{} at {}:{})", r.what.unwrap_or(""), r.code, r.line, r.column)).unwrap_or(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    /// The message nsinit prints for `e` in `config.json`.
    fn shown(e: Error<'_>) -> String {
        e.into_error(b"config.json").text()
    }

    /// The message for the first error of reading `text` with `read`.
    fn refused(text: &str, read: impl for<'b, 'a> FnOnce(&'b mut Json<'a>) -> Result<(), Error<'a>>) -> String {
        let mut buf = text.as_bytes().to_vec();
        let mut json = Json::new(&mut buf);
        let e = read(&mut json).and_then(|()| json.end()).expect_err(text);
        shown(e)
    }

    /// Whether `text` is one valid JSON value.
    fn valid(text: &[u8]) -> bool {
        let mut buf = text.to_vec();
        let mut json = Json::new(&mut buf);
        json.skip().and_then(|()| json.end()).is_ok()
    }

    /// `text` as one string value, unescaped.
    fn string(text: &str) -> Result<Vec<u8>, String> {
        let mut buf = text.as_bytes().to_vec();
        let mut json = Json::new(&mut buf);
        let s = json.string().map_err(shown)?;
        json.end().map_err(shown)?;
        Ok(s.bytes().to_vec())
    }

    #[test]
    fn reads_a_document_in_its_shape() {
        let mut buf = br#" {"ociVersion": "1.2.0", "process": {"args": ["sh", "-c", "echo hi"], "user": {"uid": 1000, "gid": 0},
            "terminal": false, "noNewPrivileges": true, "oomScoreAdj": -999, "extra": {"x": [1, {"y": null}]}},
            "hostname": null, "mounts": [], "annotations": {}} "#
            .to_vec();
        let mut json = Json::new(&mut buf);
        let (mut version, mut args, mut ids, mut flags, mut adj, mut hostname_null) = (None, Vec::new(), (0, 0), (true, false), 0, false);
        let mut keys = Vec::new();
        json.object(|json, key| {
            keys.push(key);
            match key {
                b"ociVersion" => version = Some(json.string()?),
                b"process" => json.object(|json, key| match key {
                    b"args" => json.strings(|arg| { args.push(arg); Ok(()) }),
                    b"user" => json.object(|json, key| match key {
                        b"uid" => { ids.0 = json.u32()?; Ok(()) },
                        b"gid" => { ids.1 = json.u32()?; Ok(()) },
                        _ => Ok(()),
                    }),
                    b"terminal" => { flags.0 = json.bool()?; Ok(()) },
                    b"noNewPrivileges" => { flags.1 = json.bool()?; Ok(()) },
                    b"oomScoreAdj" => { adj = json.i32()?; Ok(()) },
                    // "extra" is left unread: skipped.
                    _ => Ok(()),
                })?,
                b"hostname" => hostname_null = json.null()?,
                b"mounts" => json.array(|_, _| panic!("no elements"))?,
                _ => json.skip()?,
            }
            Ok(())
        })
        .unwrap();
        json.end().unwrap();
        assert_eq!(version.map(|v| v.bytes()), Some(&b"1.2.0"[..]));
        let args: Vec<&[u8]> = args.iter().map(|a| a.bytes()).collect();
        assert_eq!(args, [&b"sh"[..], b"-c", b"echo hi"]);
        assert_eq!(ids, (1000, 0));
        assert_eq!(flags, (false, true));
        assert_eq!(adj, -999);
        assert!(hostname_null);
        assert_eq!(keys, [&b"ociVersion"[..], b"process", b"hostname", b"mounts", b"annotations"]);
    }

    #[test]
    fn peek_tells_kinds_and_consumes_nothing() {
        for (text, kind) in [
            ("{}", Kind::Object),
            ("[]", Kind::Array),
            ("\"\"", Kind::String),
            ("-1", Kind::Number),
            ("0", Kind::Number),
            ("true", Kind::Bool),
            ("false", Kind::Bool),
            ("null", Kind::Null),
        ] {
            let mut buf = format!(" \n\t{text} ").into_bytes();
            let mut json = Json::new(&mut buf);
            assert_eq!(json.peek().unwrap(), kind, "{text}");
            assert_eq!(json.peek().unwrap(), kind, "{text}");
            json.skip().unwrap();
            json.end().unwrap();
        }
        assert_eq!(refused("  x", |j| j.peek().map(drop)), "nsinit: config.json:1:3: expected a value");
        assert_eq!(refused(" \n ", |j| j.peek().map(drop)), "nsinit: config.json:2:2: unexpected end of the text");
    }

    #[test]
    fn null_consumes_only_null() {
        let mut buf = b"[null, 5]".to_vec();
        let mut json = Json::new(&mut buf);
        let mut seen = Vec::new();
        json.array(|json, _| {
            if json.null()? {
                seen.push(None);
            } else {
                seen.push(Some(json.u64()?));
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [None, Some(5)]);
        assert_eq!(refused("nul", |j| j.null().map(drop)), "nsinit: config.json:1:1: expected true, false or null");
    }

    #[test]
    fn integers_in_range() {
        type Read<T> = for<'b, 'a> fn(&'b mut Json<'a>) -> Result<T, Error<'a>>;
        fn read<T>(text: &str, f: Read<T>) -> Result<T, String> {
            let mut buf = text.as_bytes().to_vec();
            let mut json = Json::new(&mut buf);
            let v = f(&mut json).map_err(shown)?;
            json.end().map_err(shown)?;
            Ok(v)
        }
        assert_eq!(read("0", |j| j.u64()), Ok(0));
        assert_eq!(read("-0", |j| j.u64()), Ok(0));
        assert_eq!(read("18446744073709551615", |j| j.u64()), Ok(u64::MAX));
        assert_eq!(read("9223372036854775807", |j| j.i64()), Ok(i64::MAX));
        assert_eq!(read("-9223372036854775808", |j| j.i64()), Ok(i64::MIN));
        assert_eq!(read("4294967295", |j| j.u32()), Ok(u32::MAX));
        assert_eq!(read("2147483647", |j| j.i32()), Ok(i32::MAX));
        assert_eq!(read("-2147483648", |j| j.i32()), Ok(i32::MIN));
        assert_eq!(read("-17", |j| j.i32()), Ok(-17));
        let range = |n: &str| format!("nsinit: config.json: integer out of range '{n}'");
        for (text, f) in [
            ("18446744073709551616", (|j| j.u64()) as Read<u64>),
            ("99999999999999999999999", |j| j.u64()),
            ("-1", |j| j.u64()),
        ] {
            assert_eq!(read(text, f), Err(range(text)));
        }
        for text in ["9223372036854775808", "-9223372036854775809", "-18446744073709551616"] {
            assert_eq!(read(text, |j| j.i64()), Err(range(text)));
        }
        for text in ["4294967296", "-1"] {
            assert_eq!(read(text, |j| j.u32()), Err(range(text)));
        }
        for text in ["2147483648", "-2147483649"] {
            assert_eq!(read(text, |j| j.i32()), Err(range(text)));
        }
        // Fractions and exponents are numbers, not integers, even when whole.
        for text in ["1.0", "1e3", "1E+2", "-0.5", "0e0"] {
            assert_eq!(read(text, |j| j.u64()), Err(format!("nsinit: config.json: expected an integer '{text}'")));
            assert_eq!(read(text, |j| j.i32()), Err(format!("nsinit: config.json: expected an integer '{text}'")));
        }
        for text in ["\"1\"", "true", "null", "[1]", "{}"] {
            assert_eq!(read(text, |j| j.u64()), Err("nsinit: config.json: expected an integer".to_string()), "{text}");
        }
    }

    #[test]
    fn numbers_follow_rfc_8259() {
        for good in ["0", "-0", "1", "-1", "10", "0.5", "-0.5", "1.25e10", "1E-7", "1e+7", "123456789012345678901234567890", "1e999"] {
            assert!(valid(good.as_bytes()), "{good}");
            assert!(valid(format!("[{good}]").as_bytes()), "[{good}]");
        }
        for bad in ["01", "-01", "+1", ".5", "1.", "1.e3", "1e", "1e+", "-", "--1", "0x10", "1_000", "Infinity", "NaN", "-Infinity", "1.5.2"] {
            assert!(!valid(bad.as_bytes()), "{bad}");
            assert!(!valid(format!("[{bad}]").as_bytes()), "[{bad}]");
        }
        assert_eq!(refused("[1.]", |j| j.skip()), "nsinit: config.json:1:4: invalid number");
        assert_eq!(refused("[-x]", |j| j.skip()), "nsinit: config.json:1:3: invalid number");
        assert_eq!(refused("1e", |j| j.skip()), "nsinit: config.json:1:3: unexpected end of the text");
    }

    #[test]
    fn bools() {
        let mut buf = b"[true,false]".to_vec();
        let mut json = Json::new(&mut buf);
        let mut seen = Vec::new();
        json.array(|json, _| { seen.push(json.bool()?); Ok(()) }).unwrap();
        assert_eq!(seen, [true, false]);
        assert_eq!(refused("\"true\"", |j| j.bool().map(drop)), "nsinit: config.json: expected true or false");
        assert_eq!(refused("1", |j| j.bool().map(drop)), "nsinit: config.json: expected true or false");
        assert_eq!(refused("tru", |j| j.bool().map(drop)), "nsinit: config.json:1:1: expected true, false or null");
        assert_eq!(refused("True", |j| j.skip()), "nsinit: config.json:1:1: expected a value");
    }

    #[test]
    fn string_escapes() {
        assert_eq!(string(r#""plain""#), Ok(b"plain".to_vec()));
        assert_eq!(string(r#""""#), Ok(b"".to_vec()));
        assert_eq!(string(r#""\"\\\/\b\f\n\r\t""#), Ok(b"\"\\/\x08\x0c\n\r\t".to_vec()));
        assert_eq!(string(r#""a\u0041\u00e9\u20AC""#), Ok("aAé€".as_bytes().to_vec()));
        // A pair of surrogates is one code point past U+FFFF.
        assert_eq!(string(r#""\ud83d\ude00!""#), Ok("😀!".as_bytes().to_vec()));
        assert_eq!(string(r#""\uDBFF\uDFFF""#), Ok("\u{10ffff}".as_bytes().to_vec()));
        assert_eq!(string("\"é😀 raw\""), Ok("é😀 raw".as_bytes().to_vec()));
        let at = |col: usize, what: &str| Err(format!("nsinit: config.json:1:{col}: {what}"));
        assert_eq!(string(r#""ab\x""#), at(4, "invalid escape in a string"));
        assert_eq!(string(r#""\u12g4""#), at(2, "invalid escape in a string"));
        assert_eq!(string(r#""\ud800""#), at(2, "an unpaired surrogate in a string"));
        assert_eq!(string(r#""x\ud800\u0041""#), at(3, "an unpaired surrogate in a string"));
        assert_eq!(string(r#""\ud800\ud800""#), at(2, "an unpaired surrogate in a string"));
        assert_eq!(string(r#""\udc00""#), at(2, "an unpaired surrogate in a string"));
        assert_eq!(string(r#""\ud800\u12""#), at(8, "invalid escape in a string"));
        assert_eq!(string(r#""\u12"#), at(6, "unexpected end of the text"));
        assert_eq!(string(r#""abc"#), at(5, "unexpected end of the text"));
        assert_eq!(string(r#""abc\"#), at(6, "unexpected end of the text"));
        assert_eq!(string("\"a\tb\""), at(3, "a control character in a string (write it escaped)"));
        assert_eq!(string("\"a\nb\""), at(3, "a control character in a string (write it escaped)"));
        assert_eq!(string("\"\x7f\""), Ok(b"\x7f".to_vec()));
        // A C string cannot hold NUL; the same text is valid JSON elsewhere.
        assert_eq!(string(r#""a\u0000b""#), Err("nsinit: config.json: a NUL character (U+0000) in a string".to_string()));
        assert!(valid(br#"{"a\u0000": "b\u0000"}"#));
    }

    #[test]
    fn invalid_utf8_is_refused() {
        for bad in [
            &b"\"\xff\""[..],
            b"\"\x80\"",         // a lone continuation byte
            b"\"\xc3\"",         // cut short
            b"\"\xc3(\"",        // a non-continuation byte
            b"\"\xc0\x80\"",     // overlong NUL
            b"\"\xe0\x80\xaf\"", // overlong '/'
            b"\"\xed\xa0\x80\"", // a surrogate, UTF-8 encoded
            b"\"\xf4\x90\x80\x80\"", // past U+10FFFF
            b"\"\xf8\x88\x80\x80\x80\"",
        ] {
            assert!(!valid(bad), "{bad:x?}");
            let mut buf = bad.to_vec();
            let e = Json::new(&mut buf).string().unwrap_err();
            assert_eq!(shown(e), "nsinit: config.json:1:2: invalid UTF-8 in a string");
        }
        for good in ["\"\u{80}\"", "\"\u{7ff}\"", "\"\u{800}\"", "\"\u{d7ff}\"", "\"\u{e000}\"", "\"\u{ffff}\"", "\"\u{10000}\"", "\"\u{10ffff}\""] {
            assert!(valid(good.as_bytes()), "{good}");
        }
        // Outside strings, any non-ASCII byte is a syntax error.
        assert!(!valid("[é]".as_bytes()));
        assert!(!valid(b"\xef\xbb\xbf{}")); // a byte order mark
    }

    #[test]
    fn strings_stay_valid_while_the_rest_is_read() {
        let mut buf = br#"["a\"b", "\u00e9t\u00e9", "", "x\\y\/z", "last"]"#.to_vec();
        let mut json = Json::new(&mut buf);
        let mut all = Vec::new();
        json.strings(|s| { all.push(s); Ok(()) }).unwrap();
        json.end().unwrap();
        let all: Vec<&[u8]> = all.iter().map(|s| s.bytes()).collect();
        assert_eq!(all, [&b"a\"b"[..], "été".as_bytes(), b"", b"x\\y/z", b"last"]);
    }

    #[test]
    fn keys_are_unescaped() {
        let mut buf = br#"{"a\u0062c": 1, "\n": 2, "dup": 3, "dup": 4}"#.to_vec();
        let mut json = Json::new(&mut buf);
        let mut seen = Vec::new();
        json.object(|json, key| { seen.push((key, json.u64()?)); Ok(()) }).unwrap();
        assert_eq!(seen, [(&b"abc"[..], 1), (b"\n", 2), (b"dup", 3), (b"dup", 4)]);
    }

    #[test]
    fn errors_name_the_json_path() {
        let text = r#"{"linux": {"resources": {"memory": {"limit": "512M"}}}}"#;
        fn limit<'a>(json: &mut Json<'a>) -> Result<(), Error<'a>> {
            json.object(|json, _| json.object(|json, _| json.object(|json, _| json.object(|json, _| json.i64().map(drop)))))
        }
        assert_eq!(refused(text, limit), "nsinit: config.json: linux.resources.memory.limit: expected an integer");
        // Indices and keys; a top-level array starts with an index.
        let text = r#"{"mounts": [{}, {"options": ["ro", "bindd"]}]}"#;
        fn option<'a>(json: &mut Json<'a>) -> Result<(), Error<'a>> {
            json.object(|json, _| {
                json.array(|json, _| {
                    json.object(|json, _| {
                        json.strings(|o| match o.bytes() {
                            b"ro" => Ok(()),
                            _ => Err(Error::new("unknown mount option").with_detail(o.bytes())),
                        })
                    })
                })
            })
        }
        assert_eq!(refused(text, option), "nsinit: config.json: mounts[1].options[1]: unknown mount option 'bindd'");
        assert_eq!(refused("[1, 2, \"x\"]", |j| j.array(|j, _| j.u64().map(drop))), "nsinit: config.json: [2]: expected an integer");
        assert_eq!(refused("[]", |j| j.object(|_, _| Ok(()))), "nsinit: config.json: expected an object");
        assert_eq!(refused("{}", |j| j.array(|_, _| Ok(()))), "nsinit: config.json: expected an array");
        assert_eq!(refused("{\"a\": 1}", |j| j.object(|j, _| j.string().map(drop))), "nsinit: config.json: a: expected a string");
    }

    /// Every packed text comes back whole by its number, and the macros
    /// number a text as the list does.
    #[test]
    fn messages_unpack_by_number() {
        assert!(MESSAGES.len() > 100, "{}", MESSAGES.len());
        assert!(MESSAGES_PACKED.len() < MESSAGES_LEN * 6 / 10, "{} of {MESSAGES_LEN}", MESSAGES_PACKED.len());
        let mut room = [0; MESSAGES_LEN];
        for (i, text) in MESSAGES.iter().enumerate() {
            assert_eq!(message(i as u16 + 1, &mut room), text.as_bytes(), "message {}", i + 1);
        }
        assert_eq!(message(MESSAGES.len() as u16 + 1, &mut room), b"");
        let Message(n) = message!("expected an integer");
        assert_eq!(MESSAGES[usize::from(n) - 1], "expected an integer");
        assert_eq!(shown(fail!("unknown mount option", b"x\ny")), "nsinit: config.json: unknown mount option 'x\\ny'");
    }

    #[test]
    fn errors_stay_on_one_line() {
        let text = "{\"a\\nb\\u001b[31m\": \"x\\ty\"}";
        let e = refused(text, |j| j.object(|j, _| Err(Error::new("bad value").with_detail(j.string()?.bytes()))));
        assert_eq!(e, "nsinit: config.json: a\\nb\\x1b[31m: bad value 'x\\ty'");
        let mut buf = b"[1]".to_vec();
        let e = Json::new(&mut buf).array(|_, _| Err(Error::new("x"))).unwrap_err().into_error(b"dir\n/config.json");
        assert_eq!(e.text(), "nsinit: dir\\n/config.json: [0]: x");
        assert_eq!(e.code, crate::error::EXIT_FAILED);
    }

    #[test]
    fn long_paths_keep_their_innermost_steps() {
        fn walk<'a>(json: &mut Json<'a>) -> Result<(), Error<'a>> {
            match json.peek()? {
                Kind::Object => json.object(|j, _| walk(j)),
                Kind::Array => json.array(|j, _| walk(j)),
                _ => Err(Error::new("too deep")),
            }
        }
        let text = r#"{"a":{"b":{"c":[[{"d":{"e":{"f":{"g":{"h":{"i":[[[1]]]}}}}}}]]}}}"#;
        assert_eq!(refused(text, walk), "nsinit: config.json: a.b.c[0][0].d.e.f.g.h.i[0][0][0]: too deep");
        // Keys of 100 bytes: two fit in PATH_ROOM with the index, the third not.
        let key = |c: &str| c.repeat(100);
        let text = format!(r#"{{"{}": {{"{}": {{"{}": [0]}}}}}}"#, key("a"), key("b"), key("c"));
        assert_eq!(refused(&text, walk), format!("nsinit: config.json: ...{}.{}[0]: too deep", key("b"), key("c")));
        // A new error starts a new path.
        assert_eq!(refused(r#"{"x": 1}"#, walk), "nsinit: config.json: x: too deep");
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let text = "{\n  \"a\": 1,\n  \"b\" 2\n}";
        assert_eq!(refused(text, |j| j.skip()), "nsinit: config.json:3:7: expected ':'");
        // Even inside a member a mapping reads: the position, not the path.
        assert_eq!(refused("{\"a\": [1,\n 2,]}", |j| j.object(|j, _| j.array(|j, _| j.u64().map(drop)))), "nsinit: config.json:2:4: expected a value");
        for (text, want) in [
            ("", "1:1: unexpected end of the text"),
            ("{", "1:2: unexpected end of the text"),
            ("{\"a\"", "1:5: unexpected end of the text"),
            ("{\"a\":", "1:6: unexpected end of the text"),
            ("{\"a\":1", "1:7: unexpected end of the text"),
            ("[1", "1:3: unexpected end of the text"),
            ("{,}", "1:2: expected a member name"),
            ("{\"a\":1,}", "1:8: expected a member name"),
            ("{1:1}", "1:2: expected a member name"),
            ("{'a':1}", "1:2: expected a member name"),
            ("{\"a\":1 \"b\":2}", "1:8: expected ',' or '}'"),
            ("[1 2]", "1:4: expected ',' or ']'"),
            ("[1,]", "1:4: expected a value"),
            ("[,1]", "1:2: expected a value"),
            ("{} {}", "1:4: unexpected text after the value"),
            ("[]]", "1:3: unexpected text after the value"),
            ("\u{a0}[]", "1:1: expected a value"),
            ("[\u{c}]", "1:2: expected a value"),
        ] {
            assert_eq!(refused(text, |j| j.skip()), format!("nsinit: config.json:{want}"), "{text:?}");
        }
        // Columns count bytes; CR LF ends a line as LF does.
        assert_eq!(refused("\r\n\"é\" x", |j| j.skip()), "nsinit: config.json:2:6: unexpected text after the value");
    }

    #[test]
    fn nesting_is_limited() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(valid(nested(MAX_DEPTH as usize).as_bytes()));
        let deep = format!("{}{}", "{\"a\":".repeat(MAX_DEPTH as usize), "1".to_string() + &"}".repeat(MAX_DEPTH as usize));
        assert!(valid(deep.as_bytes()));
        let message = format!("nsinit: config.json:1:{}: nested too deeply (at most {MAX_DEPTH} levels)", MAX_DEPTH + 1);
        assert_eq!(refused(&nested(MAX_DEPTH as usize + 1), |j| j.skip()), message);
        // Far deeper than any stack would take, unclosed: refused all the same.
        assert_eq!(refused(&"[".repeat(100_000), |j| j.skip()), message);
        let deep = "{\"a\":".repeat(MAX_DEPTH as usize + 1);
        assert_eq!(
            refused(&deep, |j| j.skip()),
            format!("nsinit: config.json:1:{}: nested too deeply (at most {MAX_DEPTH} levels)", 5 * MAX_DEPTH + 1)
        );
    }

    #[test]
    fn unread_values_are_skipped_and_checked() {
        let mut buf = br#"{"skip": {"deep": [1, {"x": [true, null, "s"]}]}, "keep": 7}"#.to_vec();
        let mut json = Json::new(&mut buf);
        let mut keep = 0;
        json.object(|json, key| if key == b"keep" { { keep = json.u64()?; Ok(()) } } else { Ok(()) }).unwrap();
        json.end().unwrap();
        assert_eq!(keep, 7);
        // A malformed value is refused even where nothing reads it.
        assert_eq!(refused(r#"{"unknown": [1, tru], "b": 1}"#, |j| j.object(|_, _| Ok(()))), "nsinit: config.json:1:17: expected true, false or null");
        assert_eq!(refused(r#"{"unknown": "\x"}"#, |j| j.object(|_, _| Ok(()))), "nsinit: config.json:1:14: invalid escape in a string");
    }

    #[test]
    fn whitespace_is_rfc_8259s_four() {
        assert!(valid(b" \t\r\n[ \t\r\n1 \t\r\n, \t\r\n{ \"a\" \t\r\n: \t\r\n2 } ] \t\r\n"));
        for other in [&b"\x0b[]"[..], b"\x0c[]", b"[]\x00", b"\xc2\xa0[]"] {
            assert!(!valid(other), "{other:x?}");
        }
    }

    /// JSONTestSuite's parsing cases (tests/data/JSONTestSuite): every `y_`
    /// file accepted, every `n_` file refused, the `i_` files without a
    /// panic and as documented below.
    #[test]
    fn json_test_suite() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/JSONTestSuite/test_parsing");
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
            panic!("{}: {e}: the JSONTestSuite files are part of the repository (check it out whole)", dir.display())
        });
        let mut counts = [0; 3];
        let mut wrong = Vec::new();
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read(&path).unwrap();
            let verdict = std::panic::catch_unwind(|| valid(&text));
            let (slot, ok) = match (name.get(..2), verdict) {
                (_, Err(_)) => (None, false),
                (Some("y_"), Ok(v)) => (Some(0), v),
                (Some("n_"), Ok(v)) => (Some(1), !v),
                // Allowed either way; nsinit's way: numbers of any size are
                // numbers (an integer accessor says when one is out of
                // range); unpaired surrogates, ill-formed UTF-8, UTF-16, a
                // byte order mark and 500 levels of nesting are refused.
                (Some("i_"), Ok(v)) => (Some(2), v == name.starts_with("i_number_")),
                _ => (None, false),
            };
            if let Some(slot) = slot {
                counts[slot] += 1;
            }
            if !ok {
                wrong.push(name);
            }
        }
        wrong.sort();
        assert!(wrong.is_empty(), "wrongly judged or panicked: {wrong:?}");
        // The suite as copied: 95 accepted, 188 refused, 35 either way.
        assert_eq!(counts, [95, 188, 35], "cases in {}", dir.display());
    }

    /// Reads any value with the accessor for its kind, as mapping code
    /// would, errors and all.
    fn walk<'a>(json: &mut Json<'a>) -> Result<(), Error<'a>> {
        match json.peek()? {
            Kind::Object => json.object(|json, _| walk(json)),
            Kind::Array => json.array(|json, _| walk(json)),
            Kind::String => json.string().map(drop),
            // A fraction or a number out of range is read all the same.
            Kind::Number => match json.i64() {
                Err(_) if with_record(|r| r.line == 0) == Some(true) => Ok(()),
                read => read.map(drop),
            },
            Kind::Bool => json.bool().map(drop),
            Kind::Null => json.null().map(drop),
        }
    }

    /// Every accepted case cut short and with single bytes changed: refused
    /// or accepted, never a panic, and the accessors agree with `skip` on
    /// the text (but for NUL in strings and numbers outside i64).
    #[test]
    fn damaged_texts_never_panic() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/JSONTestSuite/test_parsing");
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap().to_string_lossy().starts_with("y_") {
                texts.push(std::fs::read(path).unwrap());
            }
        }
        assert_eq!(texts.len(), 95);
        let mut tried = 0;
        for text in &texts {
            for cut in 0..text.len() {
                let mut damaged = vec![text[..cut].to_vec()];
                for b in [b'"', b'\\', b'{', b']', b',', b'0', b'e', 0x00, 0x1f, 0x80, 0xff] {
                    let mut changed = text.clone();
                    changed[cut] = b;
                    damaged.push(changed);
                }
                for d in damaged {
                    tried += 1;
                    let skipped = valid(&d);
                    let mut buf = d.clone();
                    let mut json = Json::new(&mut buf);
                    let walked = walk(&mut json).and_then(|()| json.end()).is_ok();
                    assert!(!walked || skipped, "{:?}", String::from_utf8_lossy(&d));
                }
            }
        }
        assert!(tried > 10_000, "{tried}");
    }
}
