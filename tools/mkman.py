#!/usr/bin/env python3
"""Writes the man page nsinit(1) from src/help.txt, the text `nsinit --help`
prints, so that the two never say different things.

    python3 tools/mkman.py [-o FILE]     (stdout without -o)

The help text's shape, which this relies on (a test checks the result):

    usage: nsinit ...                       the synopsis
    One or more lines of description.

      --option ARGS        what it does,    one option; a line starting
                           continued here   with 23 blanks continues it
    ...
    nsinit bench ...                        another synopsis, and its
      indented description                  description

    Closing paragraph, whose sentence       notes; from the sentence that
    starting "Exit status:" ...             starts "Exit status:", the
                                            EXIT STATUS section
"""

import argparse
import datetime
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELP = os.path.join(ROOT, "src", "help.txt")
CARGO = os.path.join(ROOT, "Cargo.toml")
# Where an option's description starts on its line, and where a
# continuation line starts.
DESCRIPTION_COLUMN = 23


def version():
    with open(CARGO, encoding="utf-8") as f:
        for line in f:
            m = re.match(r'\s*version\s*=\s*"([^"]+)"', line)
            if m:
                return m.group(1)
    sys.exit(f"mkman: no version in {CARGO}")


def text(s):
    """Plain text as roff: backslashes and hyphens escaped, and no line
    that starts with a control character."""
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + s if s.startswith((".", "'")) else s


def option_head(head):
    """`--bind SRC DST` as bold option words and italic arguments;
    `--unshare-NS, --share-NS` as two options."""
    out = []
    for word in head.split(" "):
        if not word:
            continue
        comma = word.endswith(",")
        w = word.rstrip(",")
        if w.startswith("-"):
            out.append("\\fB" + text(w) + "\\fR" + ("," if comma else ""))
        else:
            out.append("\\fI" + text(w) + "\\fR" + ("," if comma else ""))
    return " ".join(out)


def summary(line):
    """The first line of the description as the NAME section's summary:
    `Start COMMAND in ...` as `start COMMAND in ...`, no full stop."""
    line = line.rstrip(".")
    return line[:1].lower() + line[1:]


def blocks(lines):
    """The text's paragraphs: runs of lines between blank lines."""
    block = []
    for line in lines:
        if line.strip():
            block.append(line.rstrip("\n"))
        elif block:
            yield block
            block = []
    if block:
        yield block


def options(block):
    """(head, description) for each option of the options block."""
    entries = []
    for line in block:
        if line.startswith(" " * DESCRIPTION_COLUMN):
            if not entries:
                sys.exit(f"mkman: a continuation line before any option: {line!r}")
            entries[-1][1].append(line.strip())
            continue
        if not line.startswith("  -"):
            sys.exit(f"mkman: not an option line: {line!r}")
        # The head ends where a run of two blanks begins the description.
        m = re.match(r"  (\S.*?)(?:  +(\S.*))?$", line)
        # Its words are options and their arguments, written in capitals
        # (DIR, FILE|off|default): a word of prose means the two blanks
        # before the description are missing.
        for word in m.group(1).split():
            if not word.startswith("-") and not re.search("[A-Z]", word):
                sys.exit(f"mkman: {word!r} in the option head {m.group(1)!r}: two blanks must separate the description")
        entries.append((m.group(1), [m.group(2)] if m.group(2) else []))
    return entries


def man_page():
    with open(HELP, encoding="utf-8") as f:
        paragraphs = list(blocks(f))
    if len(paragraphs) < 3 or len(paragraphs[0]) < 2 or not paragraphs[0][0].startswith("usage: "):
        sys.exit(f"mkman: {HELP} does not start with a usage line, a description and the options")
    synopsis = [paragraphs[0][0][len("usage: "):]]
    description = paragraphs[0][1:]
    opts = options(paragraphs[1])
    commands = []  # (synopsis, description lines)
    notes = []
    for p in paragraphs[2:]:
        if p[0].startswith("nsinit "):
            synopsis.append(p[0])
            commands.append((p[0], [l.strip() for l in p[1:]]))
        else:
            notes.extend(l.strip() for l in p)
    notes = " ".join(notes)
    exit_at = notes.find("Exit status:")
    exit_status = notes[exit_at + len("Exit status:"):].strip() if exit_at >= 0 else ""
    notes = notes[:exit_at].strip() if exit_at >= 0 else notes

    date = datetime.datetime.fromtimestamp(
        int(os.environ.get("SOURCE_DATE_EPOCH", os.path.getmtime(HELP))), datetime.timezone.utc
    ).strftime("%Y-%m-%d")
    out = [
        # Not `'\"`: on the first line that names preprocessors for man(1).
        f".\\\" Generated by tools/mkman.py from src/help.txt, the text of nsinit --help: edit that.",
        f'.TH NSINIT 1 "{date}" "nsinit {version()}" "User Commands"',
        ".SH NAME",
        "nsinit \\- " + text(summary(description[0])),
        ".SH SYNOPSIS",
    ]
    for i, s in enumerate(synopsis):
        if i:
            out.append(".br")
        words = s.split(" ", 1)
        out.append("\\fB" + text(words[0]) + "\\fR " + text(words[1] if len(words) > 1 else ""))
    out.append(".SH DESCRIPTION")
    out.append(text(" ".join(description)))
    out.append(".SH OPTIONS")
    for head, desc in opts:
        out.append(".TP")
        out.append(option_head(head))
        out.append(text(" ".join(desc)) if desc else "")
    for synopsis_line, desc in commands:
        out.append(".SH " + text(" ".join(synopsis_line.split(" ")[:2]).upper()))
        out.append("\\fB" + text(synopsis_line) + "\\fR")
        out.append(".PP")
        out.append(text(" ".join(desc)))
    if notes:
        out.append(".SH NOTES")
        out.append(text(notes))
    if exit_status:
        out.append(".SH EXIT STATUS")
        out.append(text(exit_status[:1].upper() + exit_status[1:]))
    out.append(".SH SEE ALSO")
    out.append("\\fBbwrap\\fR(1), \\fBunshare\\fR(1), \\fBrunc\\fR(8), \\fBnamespaces\\fR(7), \\fBcgroups\\fR(7)")
    return "\n".join(line for line in out if line) + "\n"


def main():
    ap = argparse.ArgumentParser(description="write nsinit(1) from src/help.txt")
    ap.add_argument("-o", "--output", help="the file to write (default: stdout)")
    args = ap.parse_args()
    page = man_page()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(page)
    else:
        sys.stdout.write(page)


if __name__ == "__main__":
    main()
