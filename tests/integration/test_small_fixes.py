"""Issue 8, case 10: small user-reported fixes, each checked on a real mount
or through the CLI (read-only files refuse with EACCES; emoji are written as
UTF-8; options after operands; a malformed object does not fail a pull)."""
import errno
import os

import pytest

from conftest import nfs_env, run_nfs, wait_for


def schema_dirs(m):
    return [d for d in sorted(os.listdir(m.mnt))
            if os.path.isfile(m.path(d, ".schema.yaml"))]


def expect_errno(fn, want):
    with pytest.raises(OSError) as ei:
        fn()
    assert ei.value.errno == want, (ei.value, os.strerror(want))


def write_fd(path, flags):
    fd = os.open(path, flags)
    try:
        os.write(fd, b"x")
    finally:
        os.close(fd)


def test_readonly_files_refuse_with_eacces(emulator, mount):
    emu = emulator()
    m = mount(emu)
    db = schema_dirs(m)[0]
    ro = [m.path(".notionfs", "status"), m.path(".notionfs", "errors"),
          m.path(db, ".schema.yaml")]
    for p in ro:
        before = open(p, "rb").read()
        expect_errno(lambda: os.unlink(p), errno.EACCES)
        expect_errno(lambda: os.rename(p, p + ".moved"), errno.EACCES)
        expect_errno(lambda: os.truncate(p, 0), errno.EACCES)
        expect_errno(lambda: write_fd(p, os.O_WRONLY | os.O_APPEND), errno.EACCES)
        expect_errno(lambda: write_fd(p, os.O_WRONLY | os.O_TRUNC), errno.EACCES)
        assert os.path.isfile(p) and not os.path.exists(p + ".moved")
        if not p.endswith("status"):
            assert open(p, "rb").read() == before
    # a rename onto a read-only file is refused too, and the page stays
    page = sorted(f for f in os.listdir(m.path(db)) if f.endswith(".md"))[0]
    expect_errno(lambda: os.rename(m.path(db, page), m.path(db, ".schema.yaml")), errno.EACCES)
    assert os.path.isfile(m.path(db, page))
    assert m.daemon_errors() == []
