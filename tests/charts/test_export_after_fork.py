"""vl-convert in a process forked after its first call (the workbench's server workers are forked from the process
that drew the charts ahead): the conversion must still finish. It used to wait forever, so every page that drew a
chart after an import hung until the server was restarted."""

from __future__ import annotations

import os
import signal
import time

from qiloop.charts import export

SPEC = {
    "data": {"values": [{"month": 1, "rate": 2.0}, {"month": 2, "rate": 3.0}]},
    "mark": "line",
    "encoding": {"x": {"field": "month", "type": "quantitative"}, "y": {"field": "rate", "type": "quantitative"}},
}


def test_a_process_forked_after_a_conversion_still_converts():
    assert "<svg" in export.to_svg(SPEC)  # the first call, in this process
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer through the pipe, and never return into pytest
        try:
            signal.alarm(30)
            os.write(write, b"ok" if "<svg" in export.to_svg(SPEC) and export.to_png(SPEC)[:4] == b"\x89PNG" else b"no")
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.2)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise AssertionError("the forked process's conversion did not finish")
    answer = os.read(read, 16)
    os.close(read)
    assert answer == b"ok", (answer, status)
    assert "<svg" in export.to_svg(SPEC)  # and this process still converts itself
