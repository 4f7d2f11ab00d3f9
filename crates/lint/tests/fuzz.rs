//! No input makes the parser, the dump or the linter panic. Cases per
//! property: `DEVCTL_FUZZ_CASES` (default 2000). Moved here from the
//! parser's unit tests with the crate split: it runs the linter, which the
//! parser crate does not depend on.

use devctl_dockerfile::parse;
use proptest::prelude::*;

/// Pieces that exercise every branch: keywords, flags, quotes, escapes,
/// heredocs, JSON, directives, comments, line endings, odd Unicode.
const PIECES: &[&str] = &[
    "FROM ",
    "RUN ",
    "COPY ",
    "ADD ",
    "ENV ",
    "LABEL ",
    "ARG ",
    "ONBUILD ",
    "HEALTHCHECK ",
    "CMD ",
    "SHELL ",
    "EXPOSE ",
    "WORKDIR ",
    "USER ",
    "run ",
    "FOO ",
    "--from=a ",
    "--",
    "-- ",
    "--mount=type=cache,target=/x ",
    "\"",
    "'",
    "\\",
    "`",
    "\\\n",
    "`\n",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "<<EOF",
    "<<-EOF",
    "<<'EOF'",
    "<<\"E\"",
    "3<<EOF",
    "EOF\n",
    "\tEOF\n",
    "[",
    "]",
    "[\"a\", \"b\"]",
    "[1]",
    ",",
    "=",
    "a=b ",
    "k v",
    "# c\n",
    "#",
    "# escape=`\n",
    "# syntax=x\n",
    "# check=skip=all\n",
    "\u{feff}",
    "é",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "$",
    "${A:-b}",
    "x",
    "0",
];

fn cases() -> u32 {
    std::env::var("DEVCTL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn exercise(src: &str) {
    if let Ok(d) = parse(src) {
        let _ = devctl_dockerfile::dump::dump(&d);
        let _ = devctl_lint::lint(&d, &devctl_lint::Options::default(), Some(".env\n"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn dockerfile_shaped_input_never_panics(idx in proptest::collection::vec(0..PIECES.len(), 0..60)) {
        let src: String = idx.iter().map(|i| PIECES[*i]).collect();
        exercise(&src);
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        exercise(&src);
        exercise(&format!("FROM a\n{src}"));
    }
}
