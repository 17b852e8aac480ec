#![no_std]
#![no_main]
nsinit::entry!(main);
fn main(_a: nsinit::rt::Args) -> ! { nsinit::sys::exit_group(0) }
