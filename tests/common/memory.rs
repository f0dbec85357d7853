//! Reading the process's memory for the leak checks (`clap_stress`, `activation_memory`).

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    /// glibc: returns free heap memory of every arena to the system.
    fn malloc_trim(pad: usize) -> i32;
    /// glibc: sets an allocator option.
    fn mallopt(param: i32, value: i32) -> i32;
}

/// The process's resident set size in kB (Linux `/proc/self/status`, 0 elsewhere), after
/// glibc gave its free memory back: without the trim, memory freed in the design threads'
/// arenas stays resident and the reading says more about the allocator than about Refcan.
pub fn rss_kb() -> i64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; any thread may call it at any time.
    unsafe {
        malloc_trim(0);
    }
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// glibc's `M_ARENA_MAX` set to one arena (no-op elsewhere): memory the design threads free
/// then goes back to one heap that `malloc_trim` returns whole, instead of per-thread arenas it
/// can only partly return. Call before the process starts other threads.
pub fn single_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: sets an allocator option; called before other threads exist.
    unsafe {
        const M_ARENA_MAX: i32 = -8;
        mallopt(M_ARENA_MAX, 1);
    }
}
