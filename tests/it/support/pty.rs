//! A pseudo-terminal for tests: the test holds the master, the program
//! under test gets the slave as its terminal.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

pub struct Pty {
    pub master: OwnedFd,
    slave: Option<OwnedFd>,
    output: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Pty {
    pub fn open(rows: u16, cols: u16) -> Pty {
        let (mut m, mut s) = (0, 0);
        let ws = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty fills both fds.
        let rc =
            unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), &ws) };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: fresh fds we own; mark them close-on-exec.
        let (master, slave) = unsafe {
            libc::fcntl(m, libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(s, libc::F_SETFD, libc::FD_CLOEXEC);
            (OwnedFd::from_raw_fd(m), OwnedFd::from_raw_fd(s))
        };
        let output: Arc<Mutex<Vec<u8>>> = Arc::default();
        let out = output.clone();
        let dup = master.try_clone().unwrap();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                // SAFETY: reading into our buffer.
                let n = unsafe { libc::read(dup.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                if n <= 0 {
                    break;
                }
                out.lock().unwrap().extend_from_slice(&buf[..n as usize]);
            }
        });
        Pty {
            master,
            slave: Some(slave),
            output,
            reader: Some(reader),
        }
    }

    /// A Stdio for the child: the slave side.
    pub fn stdio(&self) -> Stdio {
        Stdio::from(self.slave.as_ref().unwrap().try_clone().unwrap())
    }

    /// Drop the test's copy of the slave, so the master sees EOF once the
    /// children are gone.
    /// A duplicate of the slave, to hand to a program as any one fd.
    pub fn stdio_fd(&self) -> OwnedFd {
        self.slave
            .as_ref()
            .expect("slave open")
            .try_clone()
            .unwrap()
    }

    pub fn close_slave(&mut self) {
        self.slave = None;
    }

    pub fn write(&self, bytes: &[u8]) {
        // SAFETY: writing our buffer to the master.
        let n = unsafe { libc::write(self.master.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        assert_eq!(n, bytes.len() as isize);
    }

    pub fn output(&self) -> Vec<u8> {
        self.output.lock().unwrap().clone()
    }

    /// Wait for the reader to see EOF (all slaves closed), then return all output.
    pub fn finish(mut self) -> Vec<u8> {
        self.slave = None;
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        self.output()
    }
}
