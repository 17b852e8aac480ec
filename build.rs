//! Links the binaries as static, libc-free ELF files with the project's own
//! linker script, and packs the `--help` text (src/help.txt) and the text
//! of `nsinit spec` (src/oci/template_text.rs) for the binary.

/// The text of `nsinit spec`, for `pack_template`.
#[allow(dead_code)]
mod template {
    include!("src/oci/template_text.rs");
}

fn main() {
    pack_help();
    pack_template();
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
