//! The nsinit binary: the entry point, handing over to `nsinit::run`.
#![no_std]
#![no_main]

nsinit::entry!(nsinit::run);
