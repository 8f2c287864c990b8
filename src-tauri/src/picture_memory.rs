//! Memory shared with the web extension for one watch's pictures, on Linux.
//!
//! Without it each picture crosses to the web process inside WebKit's own message, and WebKit
//! allocates, fills and maps fresh shared memory for every one of them, 30 times a second per
//! tile, in both processes. Here a watch keeps one sealed `memfd` region instead: the app writes
//! each picture into it and answers the pull with its length only; the extension maps the region
//! once, when an answer brings it (the first, or any after the extension said it holds none), and
//! converts each picture from there into the page's buffer (src-tauri/webext). The page asks for a
//! watch's next picture once it has the last, so one region suffices; a page that pulled one watch
//! twice at once could get a picture half overwritten, never memory outside the region.
//!
//! The web process gets the region read-only, and it is sealed against future writes, so neither
//! a write nor a new writable mapping can be made from any descriptor of it (reopening
//! `/proc/…/fd` read-write gains nothing); the app writes through the one mapping it made before
//! sealing. It is sealed against shrinking, so nothing another process does with it can make the
//! app's writes fault. The app never reads it back.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// One region, mapped for writing, holding at most [`SharedPictures::capacity`] bytes.
pub struct SharedPictures {
    fd: OwnedFd,
    map: *mut u8,
    capacity: usize,
}

// SAFETY: the mapping is owned by this value alone (the web process's own mapping is another),
// and is only written through `&mut self`.
unsafe impl Send for SharedPictures {}

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 { Err(io::Error::last_os_error()) } else { Ok(r) }
}

impl SharedPictures {
    /// A new region of `capacity` bytes (at least one page).
    pub fn new(capacity: usize) -> io::Result<Self> {
        let capacity = capacity.max(4096);
        let name = CString::new("trygg-pictures").expect("no NUL");
        // SAFETY: plain system calls on a descriptor this function owns; the mapping is checked.
        unsafe {
            let raw = check(libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING))?;
            let fd = OwnedFd::from_raw_fd(raw);
            let len = libc::off_t::try_from(capacity).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
            check(libc::ftruncate(fd.as_raw_fd(), len))?;
            // Mapped for writing first: once sealed against future writes, no new writable
            // mapping can be made (not even through /proc/…/fd reopened read-write), while this
            // one keeps working.
            let map = libc::mmap(
                std::ptr::null_mut(),
                capacity,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            );
            if map == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
            let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_FUTURE_WRITE | libc::F_SEAL_SEAL;
            if let Err(e) = check(libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals)) {
                libc::munmap(map, capacity);
                return Err(e);
            }
            Ok(Self { fd, map: map.cast(), capacity })
        }
    }

    /// How many bytes a picture may have.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Puts `picture` at the region's start.
    ///
    /// # Panics
    /// If it does not fit ([`SharedPictures::capacity`]).
    pub fn write(&mut self, picture: &[u8]) {
        assert!(picture.len() <= self.capacity, "a picture larger than its region");
        // SAFETY: the mapping holds `capacity` bytes, and nothing in this process reads or writes
        // it otherwise.
        unsafe { std::ptr::copy_nonoverlapping(picture.as_ptr(), self.map, picture.len()) };
    }

    /// A read-only descriptor of the region, for the web process.
    pub fn read_only(&self) -> io::Result<OwnedFd> {
        let path = CString::new(format!("/proc/self/fd/{}", self.fd.as_raw_fd())).expect("no NUL");
        // SAFETY: opens a new descriptor, owned by the returned value.
        unsafe { Ok(OwnedFd::from_raw_fd(check(libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC))?)) }
    }
}

impl Drop for SharedPictures {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once. The web process's mapping, if any,
        // keeps the memory until it lets go.
        unsafe { libc::munmap(self.map.cast(), self.capacity) };
    }
}

/// A watch's region: the picture written into it, and a descriptor of the region when the
/// extension needs one (it maps it then, and keeps it until another comes or the watch is gone).
pub struct Shared {
    pub len: usize,
    pub region: Option<OwnedFd>,
}

/// Writes `picture` into `slot`'s region, making a larger one first when it does not fit. The
/// region's descriptor comes back when the region is new or `mapped` is false (the extension
/// holds no mapping of it: its first pull, or a mapping that failed).
pub fn share(slot: &mut Option<SharedPictures>, picture: &[u8], mapped: bool) -> io::Result<Shared> {
    let fresh = slot.as_ref().is_none_or(|r| r.capacity() < picture.len());
    if fresh {
        *slot = Some(SharedPictures::new(picture.len())?);
    }
    let region = slot.as_mut().expect("made above");
    region.write(picture);
    let region = if fresh || !mapped { Some(region.read_only()?) } else { None };
    Ok(Shared { len: picture.len(), region })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The region as the web process sees it: mapped read-only from the descriptor it was sent.
    fn seen(fd: &OwnedFd, len: usize) -> Vec<u8> {
        // SAFETY: a read-only shared mapping of `len` bytes of a region at least that large,
        // copied out and unmapped.
        unsafe {
            let map = libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_SHARED, fd.as_raw_fd(), 0);
            assert_ne!(map, libc::MAP_FAILED);
            let out = std::slice::from_raw_parts(map as *const u8, len).to_vec();
            libc::munmap(map, len);
            out
        }
    }

    #[test]
    fn a_picture_written_is_read_by_the_other_side_and_a_larger_one_brings_a_new_region() {
        let mut slot = None;
        let first = share(&mut slot, &[1, 2, 3], false).unwrap();
        assert_eq!(first.len, 3);
        let fd = first.region.expect("the first picture brings its region");
        assert_eq!(seen(&fd, 3), [1, 2, 3]);
        let second = share(&mut slot, &[4, 5], true).unwrap();
        assert!(second.region.is_none(), "the same region while pictures fit and the extension maps it");
        assert_eq!(seen(&fd, 2), [4, 5], "written in place, seen through the mapping sent before");
        let again = share(&mut slot, &[6, 7], false).unwrap();
        let fd_again = again.region.expect("an extension that holds no mapping gets the region again");
        assert_eq!(seen(&fd_again, 2), [6, 7]);
        assert_eq!(seen(&fd, 2), [6, 7], "the same region, not a new one");
        let big = vec![9u8; 10_000];
        let third = share(&mut slot, &big, true).unwrap();
        let fd2 = third.region.expect("a larger picture brings a larger region");
        assert_eq!(seen(&fd2, 10_000), big);
        assert_eq!(seen(&fd, 2), [6, 7], "the old region stays as it was for whoever still maps it");
    }

    #[test]
    fn the_web_process_gets_the_region_read_only_and_sealed_against_resizing_and_writes() {
        let mut slot = None;
        let fd = share(&mut slot, &[7; 100], false).unwrap().region.unwrap();
        // SAFETY: plain system calls on descriptors the test owns.
        unsafe {
            let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
            assert_eq!(flags & libc::O_ACCMODE, libc::O_RDONLY);
            let writable =
                libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_WRITE, libc::MAP_SHARED, fd.as_raw_fd(), 0);
            assert_eq!(writable, libc::MAP_FAILED, "no writable mapping from the web process's descriptor");
            let seals = libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS);
            for seal in [libc::F_SEAL_SHRINK, libc::F_SEAL_GROW, libc::F_SEAL_FUTURE_WRITE, libc::F_SEAL_SEAL] {
                assert_ne!(seals & seal, 0, "seal {seal:#x}");
            }
            // Reopening the descriptor read-write through /proc gives no way to write either.
            let path = std::ffi::CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap();
            let rw = libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
            if rw >= 0 {
                let rw = OwnedFd::from_raw_fd(rw);
                let writable =
                    libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_WRITE, libc::MAP_SHARED, rw.as_raw_fd(), 0);
                assert_eq!(writable, libc::MAP_FAILED, "no writable mapping from a reopened descriptor");
                assert!(libc::write(rw.as_raw_fd(), [1u8].as_ptr().cast(), 1) < 0, "no write through it");
            }
            let mine = slot.as_ref().unwrap().fd.as_raw_fd();
            assert!(libc::ftruncate(mine, 0) < 0, "not even the app can shrink it");
        }
    }
}
