//! Links the binaries as static, libc-free ELF files with the project's own
//! linker script, and packs the `--help` text (src/help.txt) and the text
//! of `nsinit spec` (src/oci/template_text.rs) and the OCI front end's
//! error messages (src/oci, `fail!`) for the binary.

/// The text of `nsinit spec`, for `pack_template`.
#[allow(dead_code)]
mod template {
    include!("src/oci/template_text.rs");
}

fn main() {
    pack_help();
    pack_template();
    pack_messages();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/linker/nsinit.ld");
    println!("cargo::rerun-if-changed=linker/nsinit.ld");
    println!("cargo::rerun-if-changed=linker/hot.ld");
    println!("cargo::rerun-if-changed=linker/warm.ld");
    println!("cargo::rerun-if-changed=linker/hot-rodata.ld");
    println!("cargo::rerun-if-changed=linker/warm-rodata.ld");
    // Where the script's INCLUDEs (hot.ld, warm.ld, their -rodata.ld) are found.
    println!("cargo::rustc-link-arg-bins=-Wl,-L,{}", concat!(env!("CARGO_MANIFEST_DIR"), "/linker"));
    for arg in ["-nostartfiles", "-nostdlib", "-static", "-no-pie", "-Wl,--gc-sections", "-Wl,--build-id=none"] {
        println!("cargo::rustc-link-arg-bins={arg}");
    }
    println!("cargo::rustc-link-arg-bins=-Wl,-T,{script}");
    // linker/order.py reads which input section went where.
    println!("cargo::rerun-if-env-changed=NSINIT_LINK_MAP");
    if let Some(map) = std::env::var("NSINIT_LINK_MAP").ok().filter(|m| !m.is_empty()) {
        println!("cargo::rustc-link-arg-bins=-Wl,-Map={map}");
    }
}

/// Writes src/help.txt as `OUT_DIR/help.lz`, packed (4.3 of its 8.5 KB;
/// issue 13's size budget), and its length as `OUT_DIR/help.len`; `nsinit
/// --help` unpacks it (`help` in src/lib.rs).
fn pack_help() {
    println!("cargo::rerun-if-changed=src/help.txt");
    let text = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/src/help.txt")).expect("src/help.txt");
    assert!(text.is_ascii(), "src/help.txt must be ASCII: the packing takes bytes above 0x7f for copies");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("help.lz"), pack(&text)).expect("help.lz");
    std::fs::write(out.join("help.len"), text.len().to_string()).expect("help.len");
}

/// Writes the parts of `nsinit spec`'s text (src/oci/template_text.rs),
/// one after another, as `OUT_DIR/template.lz`, packed (1 KB instead of
/// 2.5), and where each part ends as `OUT_DIR/template.ends`.
fn pack_template() {
    println!("cargo::rerun-if-changed=src/oci/template_text.rs");
    let text = template::PARTS.concat();
    assert!(text.is_ascii(), "the spec template must be ASCII: the packing takes bytes above 0x7f for copies");
    let ends: Vec<String> = template::PARTS.iter().scan(0, |end, p| {
        *end += p.len();
        Some(end.to_string())
    }).collect();
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("template.lz"), pack(text.as_bytes())).expect("template.lz");
    std::fs::write(out.join("template.ends"), format!("[{}]", ends.join(", "))).expect("template.ends");
}

/// The OCI front end's error messages (each `fail!("TEXT"...)` and
/// `message!("TEXT")` in src/oci), once each in the order found, as
/// `OUT_DIR/messages.lz`, packed and one a line (2.1 KB instead of 4.5),
/// the unpacked length as `OUT_DIR/messages.len`, and the list as
/// `OUT_DIR/messages.rs`, for the macros to number them at compile time
/// (`json::message_id`).
fn pack_messages() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/oci");
    println!("cargo::rerun-if-changed={dir}");
    let mut files: Vec<_> = std::fs::read_dir(dir).expect("src/oci").map(|e| e.expect("src/oci").path()).collect();
    files.sort();
    let mut messages: Vec<String> = Vec::new();
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "rs")) {
        println!("cargo::rerun-if-changed={}", file.display());
        let text = std::fs::read_to_string(file).expect("src/oci/*.rs");
        for opener in ["fail!(", "message!("] {
            for (at, _) in text.match_indices(opener) {
                let rest = text[at + opener.len()..].trim_start();
                let Some(rest) = rest.strip_prefix('"') else { continue };
                let end = rest.find('"').expect("a message's closing quote");
                let message = &rest[..end];
                assert!(message.is_ascii() && !message.contains(['\\', '\n']), "{message:?}: messages are ASCII without escapes");
                if !messages.iter().any(|m| m == message) {
                    messages.push(message.to_string());
                }
            }
        }
    }
    assert!(messages.len() < usize::from(u16::MAX));
    let text = messages.join("\n");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("messages.lz"), pack(text.as_bytes())).expect("messages.lz");
    std::fs::write(out.join("messages.len"), text.len().to_string()).expect("messages.len");
    let list: Vec<String> = messages.iter().map(|m| format!("{m:?}")).collect();
    std::fs::write(out.join("messages.rs"), format!("[{}]", list.join(", "))).expect("messages.rs");
}

/// `text` (ASCII) LZ77-packed: a byte below 0x80 is itself; a pair of
/// bytes (big-endian) with the top bit set copies `3 + bits 12..15` bytes
/// from `1 + bits 0..12` bytes back. `text::unpack` undoes it.
fn pack(text: &[u8]) -> Vec<u8> {
    let (min, max, window) = (3, 3 + 7, 1 << 12);
    let mut packed = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let (mut best, mut back) = (0, 0);
        for j in i.saturating_sub(window)..i {
            let n = text[j..].iter().zip(&text[i..]).take(max).take_while(|(a, b)| a == b).count();
            if n > best {
                (best, back) = (n, i - j);
            }
        }
        if best >= min {
            let pair = 0x8000 | ((best - min) << 12) | (back - 1);
            packed.extend_from_slice(&(pair as u16).to_be_bytes());
            i += best;
        } else {
            packed.push(text[i]);
            i += 1;
        }
    }
    packed
}
