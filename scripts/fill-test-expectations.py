#!/usr/bin/env python3
"""Write the outputs recorded by a DEVCTL_TEST_RECORD=DIR test run into the
CLI tests (tests/it/support.rs describes the builder).

For each `Run::run()` call site that saw output its expectations did not
name, it inserts `.stdout("...")` / `.stderr("...")` before `.run()`, and
turns `.status_any()` into the status seen. A site reached with different
outputs (a loop, a helper) is listed, not edited: give it its expectations
by hand. Review the diff: the strings document behaviour.

    DEVCTL_TEST_RECORD=/tmp/rec cargo nextest run -E 'test(/^init_cli::/)'
    scripts/fill-test-expectations.py /tmp/rec && cargo fmt --all
"""
import json
import os
import re
import sys
from collections import defaultdict


def rust_str(s):
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def literal(s, indent):
    """`s` as a Rust literal for an argument at `indent`: multi-line text as
    an indoc! block indented like the code, anything else escaped."""
    lines = s.split("\n")
    plain = all(
        (c == "\n" or c == "\t" or ord(c) >= 0x20) and ord(c) != 0x7F for c in s
    )
    starts_flush = any(l and not l.startswith(" ") for l in lines)
    blank_with_spaces = any(l and not l.strip() for l in lines)
    if s.count("\n") < 2 or not plain or not starts_flush or blank_with_spaces:
        return rust_str(s)
    pad = " " * (indent + 4)
    body = "\n".join((pad + l) if l else "" for l in lines)
    if '"' in s and '"#' not in s:
        open_, close = 'r#"', '"#'
    else:
        open_, close = '"', '"'
        body = body.replace("\\", "\\\\").replace('"', '\\"')
    # A trailing newline leaves an empty last line: close the quote there.
    if s.endswith("\n"):
        body += " " * indent
    return "indoc! {" + open_ + "\n" + body + close + "}"


HAS = re.compile(r'\s*\.(stdout|stderr)_has\(\s*"(?:[^"\\]|\\.)*"\s*,?\s*\)')


def chain_start(lines, i):
    """The first line of the statement that ends at line index i."""
    j = i
    while j > 0:
        prev = lines[j - 1].rstrip()
        if prev.endswith(";") or prev.endswith("{") or prev.endswith("}") or prev == "":
            break
        j -= 1
    return j


# Longer output becomes an insta snapshot (written by the next INSTA_UPDATE run).
LONG = 40


def main(rec_dir):
    snaps = defaultdict(int)
    sites = defaultdict(list)
    for name in os.listdir(rec_dir):
        with open(os.path.join(rec_dir, name)) as f:
            r = json.load(f)
        sites[(r["file"], r["line"])].append(r)
    by_file = defaultdict(list)
    for (file, line), rs in sites.items():
        by_file[file].append((line, rs))
    for file, items in by_file.items():
        with open(file) as f:
            lines = f.read().split("\n")
        used_indoc = False
        for line, rs in sorted(items, reverse=True):
            seen = {(r["status"], r["stdout"], r["stderr"]) for r in rs}
            i = line - 1
            if ".run()" not in lines[i]:
                print(f"{file}:{line}: no .run() on that line, skipped")
                continue
            start = chain_start(lines, i)
            chain = "\n".join(lines[start : i + 1])
            indent = len(lines[start]) - len(lines[start].lstrip())
            if len(seen) > 1:
                bad = [
                    r
                    for r in rs
                    if not (r["stdout_ok"] and r["stderr_ok"])
                ]
                if bad:
                    print(f"{file}:{line}: {len(seen)} different outputs, edit by hand")
                continue
            status, out, err = next(iter(seen))
            r = rs[0]
            add = []
            exact = set()
            for stream, seen_text in (("stdout", out), ("stderr", err)):
                named = re.search(
                    r"\.%s(?:(?:_any|_contains|_matches|_snapshot)\(|\((?!\)))" % stream, chain
                )
                if r[stream + "_exact"]:
                    exact.add(stream)
                if r[stream + "_ok"]:
                    continue
                if named:
                    print(f"{file}:{line}: {stream} does not match its expectation, edit by hand")
                    continue
                if seen_text.count("\n") > LONG:
                    name = r["test"].replace("::", "__") + "__" + stream
                    snaps[name] += 1
                    if snaps[name] > 1:
                        name += str(snaps[name])
                    add.append("." + stream + '_snapshot("' + name + '")')
                else:
                    add.append("." + stream + "(" + literal(seen_text, indent + 4) + ")")
            used_indoc |= any("indoc!" in a for a in add)
            if ".status_any()" in chain and status is not None:
                repl = "" if status == 0 else f".status({status})"
                for k in range(start, i + 1):
                    lines[k] = lines[k].replace(".status_any()", repl)
            pad = "\n" + " " * (indent + 4)
            head, _, tail = lines[i].partition(".run()")
            ins = "".join(pad + a for a in add) + pad + ".run()"
            # The chained contains-checks that an exact stream makes redundant.
            rest = "\n".join([tail] + lines[i + 1 :])
            while True:
                m = HAS.match(rest)
                if not m or m.group(1) not in exact:
                    break
                rest = rest[m.end() :]
            new = (head.rstrip() + ins + rest).split("\n")
            if not head.strip():
                # `.run()` had a line of its own: continue the line above
                new = (lines[i - 1] + ins + rest).split("\n")
                i -= 1
            lines[i:] = new
        text = "\n".join(lines)
        if used_indoc and "use indoc::indoc;" not in text:
            # after the module doc comment
            m = re.search(r"^(//!.*\n)+\n?", text)
            at = m.end() if m else 0
            text = text[:at] + "use indoc::indoc;\n" + text[at:]
        with open(file, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main(sys.argv[1])
