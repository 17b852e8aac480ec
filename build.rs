//! Links the binaries as static, libc-free ELF files with the project's own linker script.

fn main() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/linker/nsinit.ld");
    println!("cargo::rerun-if-changed=linker/nsinit.ld");
    for arg in ["-nostartfiles", "-nostdlib", "-static", "-no-pie", "-Wl,--gc-sections", "-Wl,--build-id=none"] {
        println!("cargo::rustc-link-arg-bins={arg}");
    }
    println!("cargo::rustc-link-arg-bins=-Wl,-T,{script}");
}
