use std::process::ExitCode;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps mimalloc's arena off transparent huge pages. mimalloc reserves its
/// arena eagerly committed, and on a kernel with THP set to `madvise` or
/// `always` the first touches fault in whole 2 MiB pages: `devctl --version`
/// had an 11 MiB peak RSS, linting the corpus 18 MiB; without THP 5.5 and
/// 9.4 MiB, no slower (BENCHMARKS.md). mimalloc's own switch
/// (MIMALLOC_ALLOW_THP=0) is read from the environment only, so this does
/// what it does: runs from `.init_array`, after mimalloc's constructor and
/// before Rust's runtime makes the first allocation. Children inherit the
/// flag; none of them are memory-hungry.
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
