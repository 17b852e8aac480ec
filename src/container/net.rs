//! The network namespace: a new one has only `lo`, and down.

use crate::error::Error;
use crate::sys::{self, IfFlags};
use linux_raw_sys::general::O_CLOEXEC;
use linux_raw_sys::ioctl::SIOCSIFFLAGS;
use linux_raw_sys::net::{AF_INET, SOCK_DGRAM, net_device_flags::IFF_UP};

pub fn loopback_up() -> Result<(), Error> {
    let fd = sys::socket(AF_INET, SOCK_DGRAM | O_CLOEXEC, 0).map_err(|e| Error::sys("socket", b"AF_INET", e))?;
    // The kernel keeps the flags it does not let us change (LOOPBACK among them).
    let mut ifr = IfFlags::new(b"lo", IFF_UP as i16);
    let r = sys::ioctl_ifflags(fd, SIOCSIFFLAGS, &mut ifr).map_err(|e| Error::sys("SIOCSIFFLAGS", b"lo", e));
    let _ = sys::close(fd);
    r
}
