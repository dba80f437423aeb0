"""`notionfs --help` and docs/notionfs.1 against the options fs/cli.c
accepts: every long option the parser takes is listed in both (the refused
--token only in the help's note), and neither claims a default the code
does not have (mounts are writable unless --read-only)."""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("NOTIONFS_BUILD", os.path.join(ROOT, "build"))
CLI = os.path.join(ROOT, "fs", "cli.c")


def accepted_options():
    text = open(CLI, encoding="utf-8").read()
    table = re.search(r"cli_longopts\[\] = \{(.*?)\n\};", text, re.S)
    assert table, "cli_longopts not found in fs/cli.c"
    names = re.findall(r'\{ "([a-z-]+)",', table.group(1))
    assert len(names) > 10, names
    shorts = re.search(r'getopt_long\(argc, argv, "-?([^"]*)"', text).group(1)
    return [n for n in names if n != "token"], [c for c in shorts if c.isalpha()]


def help_text():
    exe = os.path.join(BUILD, "fs", "notionfs")
    p = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_help_lists_every_option():
    text = help_text()
    longs, shorts = accepted_options()
    missing = [n for n in longs if not re.search(r"--%s\b" % re.escape(n), text)]
    missing += ["-" + c for c in shorts if not re.search(r"(^|\s)-%s\b" % c, text, re.M)]
    assert not missing, "--help does not list: %s" % ", ".join(missing)


def test_man_page_lists_every_option():
    man = open(os.path.join(ROOT, "docs", "notionfs.1"), encoding="utf-8").read()
    section = man.split(".SH OPTIONS", 1)[1].split("\n.SH ", 1)[0].replace("\\-", "-")
    longs, shorts = accepted_options()
    missing = [n for n in longs if not re.search(r"--%s\b" % re.escape(n), section)]
    missing += ["-" + c for c in shorts if not re.search(r"-%s\b" % c, section)]
    assert not missing, "notionfs.1 OPTIONS does not list: %s" % ", ".join(missing)


def test_read_only_is_not_called_the_default():
    text = help_text()
    line = [l for l in text.splitlines() if "--read-only" in l]
    assert line and not any("default" in l for l in line), line
