//! What the module needs from WASI beyond std: the list of preopened directories, which is
//! how Fluent Bit's `accessible_paths` reaches the guest.

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    fn fd_prestat_get(fd: u32, prestat: *mut [u32; 2]) -> u16;
    fn fd_prestat_dir_name(fd: u32, path: *mut u8, len: u32) -> u16;
}

/// The guest paths of the preopened directories, in `accessible_paths` order.
pub fn preopened_dirs() -> Vec<String> {
    let mut dirs = Vec::new();
    // Preopens start at fd 3 and are contiguous; the first failure ends the list.
    for fd in 3..(3 + 64) {
        let mut prestat = [0u32; 2];
        // SAFETY: the pointer is to a live, aligned 8-byte buffer, the size of __wasi_prestat_t.
        if unsafe { fd_prestat_get(fd, &mut prestat) } != 0 {
            break;
        }
        if prestat[0] & 0xff != 0 {
            continue;
        }
        let mut name = vec![0u8; prestat[1] as usize];
        // SAFETY: `name` has exactly the length the host reported for this directory name.
        if unsafe { fd_prestat_dir_name(fd, name.as_mut_ptr(), prestat[1]) } != 0 {
            continue;
        }
        while name.last() == Some(&0) {
            name.pop();
        }
        dirs.push(String::from_utf8_lossy(&name).into_owned());
    }
    dirs
}

/// `file` inside a preopened directory, spelled the way WASI resolves it.
pub fn join(dir: &str, file: &str) -> String {
    match dir {
        "." | "" => file.to_owned(),
        d if d.ends_with('/') => format!("{d}{file}"),
        d => format!("{d}/{file}"),
    }
}
