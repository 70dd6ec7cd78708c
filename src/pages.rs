//! Ordinary 4 KiB memory pages for the process, not transparent huge pages.
//!
//! mimalloc asks the kernel for transparent huge pages (`MADV_HUGEPAGE`) on the memory it takes,
//! and gives freed memory back a little later. Replaying a large recording allocates and frees
//! hundreds of megabytes in turn, so 2 MiB pages are given back and faulted in again, each
//! zeroed whole every time: on the 100,000-exchange recording the kernel spent 0.85 s of a
//! 3.6 s `--print` zeroing pages, and 0.19 s with ordinary pages. This is what mimalloc's own
//! `MIMALLOC_ALLOW_THP=0` does, set by the program so that no one has to know it.

/// Turns transparent huge pages off for this process (Linux; elsewhere nothing to do). Call it
/// first thing: the kernel then gives every later fault an ordinary page.
pub fn use_small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes plain integers and changes only this process's
    // transparent-huge-page flag; on a kernel without it, it fails and nothing changes.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
