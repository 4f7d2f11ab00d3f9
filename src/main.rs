use std::process::ExitCode;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps mimalloc's arena off transparent huge pages. mimalloc reserves its
/// arena eagerly committed, and on a kernel with THP set to `madvise` or
/// `always` the first touches fault in whole 2 MiB pages: without this, peak
/// RSS doubles for linting the corpus and grows 1.6–1.8× for `--version`,
/// `config` and `sh` (BENCHMARKS.md, "Issue 12", measured with and without).
/// mimalloc's own switch (MIMALLOC_ALLOW_THP=0) is read from the environment
/// only, and its `no_thp` cargo feature only skips its madvise (no help with
/// THP `always`), so this runs from `.init_array`, after mimalloc's
/// constructor and before Rust's runtime makes the first allocation.
/// Children inherit the flag; none of them are memory-hungry.
#[cfg(all(target_os = "linux", feature = "thp-off"))]
#[used]
#[link_section = ".init_array"]
static NO_THP: extern "C" fn() = {
    extern "C" fn no_thp() {
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
    no_thp
};

fn main() -> ExitCode {
    devctl::cli::main()
}
