#!/usr/bin/env python3
"""Drives the lora Jupyter kernel headless with jupyter_client, as Jupyter,
VS Code or nbconvert would: execute, complete, inspect, is_complete, a
figure as display data, a table as HTML, fit progress as one updating
display, an error as an error message, interrupt during `fit`, a lora
process that died, restart and shutdown.

The kernel spec "lora" must be where Jupyter finds it (the CLI test installs
it with `lora kernel install --user` into a temporary JUPYTER_DATA_DIR).
Prints "PASS name" or "FAIL name: why" per check, then one summary line
"jupyter kernel: N passed, M failed"; exits 1 when a check failed.
"""

import os
import signal
import sys
import time
import traceback

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60
results = []


def check(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
            print("PASS", name, flush=True)
        except Exception as e:  # a failed assert or a protocol error: report and go on
            why = "%s: %s" % (type(e).__name__, e) if str(e) else type(e).__name__
            results.append((name, why))
            print("FAIL %s: %s" % (name, why), flush=True)
            traceback.print_exc(file=sys.stderr)
        return fn
    return wrap


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


km, kc = start_new_kernel(kernel_name="lora", startup_timeout=TIMEOUT)


def collect(msg_id, timeout=TIMEOUT, on_output=None):
    """The iopub outputs of one request until the kernel is idle again."""
    outputs = []
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            return outputs
        if kind in ("stream", "display_data", "update_display_data", "execute_result", "error"):
            outputs.append(msg)
            if on_output:
                on_output(msg)


def shell_reply(msg_id, timeout=TIMEOUT):
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]


def run(code, timeout=TIMEOUT, on_output=None):
    # Right after a cell that failed, ipykernel aborts the execute requests
    # already queued (stop_on_error, as "Run All" wants); one sent in that
    # moment comes back "aborted" without running. Send it again then.
    for attempt in range(20):
        msg_id = kc.execute(code)
        outputs = collect(msg_id, timeout, on_output)
        reply = shell_reply(msg_id, timeout)
        if reply["status"] != "aborted":
            return reply, outputs
        time.sleep(0.1)
    raise AssertionError("every execute request was aborted")


def stdout(outputs):
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")


def lora_pid():
    """The `lora kernel serve` process the kernel drives (a child of the kernel process)."""
    kernel = km.provisioner.process.pid
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == kernel and b"serve" in cmdline and b"kernel" in cmdline:
            return int(entry)
    return None


def running(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


SETUP = """let d = dataset("digits")[0..<64]
let m = vit(image: 8, patch: 4, dim: 8, depth: 1, heads: 2, classes: 10, seed: 1)
let before = 41"""


@check("kernel_info names the lora language")
def _():
    kc.kernel_info()
    reply = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    info = reply["language_info"]
    # The same language_info as the notebooks lora exports (Sources/Notebook/JupyterExport.swift).
    expect(info == {"name": "lora", "file_extension": ".lora", "mimetype": "text/x-lora",
                    "codemirror_mode": "swift", "pygments_lexer": "swift"}, info)
    expect(reply["implementation"] == "lora", reply)


@check("execute echoes as lora's REPL does")
def _():
    reply, outputs = run('let epochs = 3\nepochs + 2\nprint("x", [1, 2])')
    expect(reply["status"] == "ok", reply)
    expect(stdout(outputs) == "5\nx [1, 2]\n", repr(stdout(outputs)))


@check("complete uses lora's completion")
def _():
    msg_id = kc.complete("let y = epo", 11)
    reply = shell_reply(msg_id)
    expect(reply["matches"] == ["epochs"], reply)
    expect((reply["cursor_start"], reply["cursor_end"]) == (8, 11), reply)
    msg_id = kc.complete("round(1.5, dig", 14)
    expect(shell_reply(msg_id)["matches"] == ["digits: "], "named argument")


@check("inspect gives the :help text")
def _():
    msg_id = kc.inspect("let z = round(1.25, digits: 1)", 10)
    reply = shell_reply(msg_id)
    expect(reply["found"], reply)
    text = reply["data"]["text/plain"]
    expect(text.startswith("round(x, digits: 0)") and "Rounds to the nearest value" in text, text)
    reply = shell_reply(kc.inspect("no_such_name", 3))
    expect(not reply["found"], reply)


@check("is_complete follows lora's continuation rules")
def _():
    reply = shell_reply(kc.is_complete("fn f(x) {"))
    expect(reply == {"status": "incomplete", "indent": "    "}, reply)
    expect(shell_reply(kc.is_complete("let y = 1 +"))["status"] == "incomplete", "trailing operator")
    expect(shell_reply(kc.is_complete("fn f(x) {\n    x\n}"))["status"] == "complete", "closed brace")
    expect(shell_reply(kc.is_complete(":help round"))["status"] == "complete", ":command")


@check("a figure arrives as image/svg+xml display data")
def _():
    reply, outputs = run(SETUP)
    expect(reply["status"] == "ok", reply)
    reply, outputs = run("reliability(m, d)")
    displays = [m for m in outputs if m["msg_type"] == "display_data"]
    expect(reply["status"] == "ok" and len(displays) == 1, outputs)
    data = displays[0]["content"]["data"]
    expect("<svg" in data.get("image/svg+xml", ""), sorted(data))
    expect("ECE" in data["text/plain"], data["text/plain"])


@check("a table arrives as text/plain and text/html")
def _():
    reply, outputs = run("m.evaluate(d)")
    displays = [m for m in outputs if m["msg_type"] == "display_data"]
    expect(len(displays) == 1, outputs)
    data = displays[0]["content"]["data"]
    expect(data["text/html"].startswith("<table>") and "<td style=\"text-align: left\">accuracy</td>" in data["text/html"], data["text/html"][:200])
    expect(data["text/plain"].splitlines()[1].split() == ["metric", "value"], data["text/plain"])


@check("fit progress is one display updated in place")
def _():
    reply, outputs = run("m.fit(d, epochs: 3, batch: 16, lr: 1e-3)")
    expect(reply["status"] == "ok", reply)
    shown = [m for m in outputs if m["msg_type"] == "display_data"]
    updates = [m for m in outputs if m["msg_type"] == "update_display_data"]
    expect(len(shown) == 1 and len(updates) >= 1, [m["msg_type"] for m in outputs])
    display_id = shown[0]["content"]["transient"]["display_id"]
    expect(all(u["content"]["transient"]["display_id"] == display_id for u in updates), "one display id")
    final = updates[-1]["content"]["data"]["text/plain"].split("\n")
    expect(len(final) == 3 and all(l.startswith("ViT  epoch %d/3  step 4/4  loss" % (i + 1)) for i, l in enumerate(final)), final)
    expect("epoch" not in stdout(outputs).replace("3 epochs", ""), "no progress lines in the stream: %r" % stdout(outputs))


@check("an error arrives as an error message with lora's diagnostic")
def _():
    reply, outputs = run("print(\"before\")\nround(epoch)")
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    expect(reply["status"] == "error" and reply["ename"] == "NameError", reply)
    expect(len(errors) == 1, outputs)
    tb = errors[0]["traceback"]
    expect(tb[0].startswith("In[") and tb[0].endswith("]:2:7: error: unknown name 'epoch'"), tb)
    expect(tb[1:] == ["2 | round(epoch)", "  |       ^", "note: did you mean 'epochs'?"], tb)
    expect(stdout(outputs) == "before\n", stdout(outputs))


@check("interrupt during fit stops it and keeps the variables")
def _():
    sent = []

    def interrupt_once(msg):
        if not sent and msg["msg_type"] == "display_data":
            time.sleep(0.3)
            km.interrupt_kernel()
            sent.append(time.time())

    start = time.time()
    reply, outputs = run("m.fit(d, epochs: 100000, batch: 16)\nlet after = 1", timeout=60, on_output=interrupt_once)
    expect(sent, "no progress display came to interrupt")
    expect(time.time() - sent[0] < 10, "the interrupt took %.1f s" % (time.time() - sent[0]))
    expect(reply["status"] == "error" and reply["ename"] == "Interrupted", reply)
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    expect(len(errors) == 1 and errors[0]["traceback"][0].endswith(": error: interrupted"), errors)
    expect(stdout(outputs).startswith("ViT: interrupted ") and "\n  the model is as after step " in stdout(outputs), stdout(outputs))
    reply, outputs = run("before + 1\nm.evaluate(d).samples")
    expect(reply["status"] == "ok" and stdout(outputs) == "42\n64\n", (reply, stdout(outputs)))
    reply, outputs = run("after")
    expect(reply["status"] == "error" and reply["ename"] == "NameError", "the entry after the interrupted one ran")


@check("a lora process that died is reported, and the next cell starts a new one")
def _():
    # Killed during a cell: that cell fails with how lora ended.
    victim = []

    def kill_once(msg):
        if not victim and msg["msg_type"] == "display_data":
            victim.append(lora_pid())
            os.kill(victim[0], signal.SIGKILL)

    reply, outputs = run("m.fit(d, epochs: 100000, batch: 16)", on_output=kill_once)
    expect(victim and victim[0], "no lora process under the kernel")
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    expect(reply["status"] == "error" and reply["ename"] == "KernelError", reply)
    expect(errors and errors[0]["traceback"][0] == "the lora process ended (killed by signal 9)", errors)
    reply, outputs = run("1 + 1")
    expect(reply["status"] == "ok" and stdout(outputs) == "2\n", (reply, outputs))
    expect(lora_pid() not in (None, victim[0]), "a new lora process")
    # Killed between cells: the next cell says so, and runs in a new process.
    pid = lora_pid()
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 10
    while running(pid) and time.time() < deadline:
        time.sleep(0.05)
    reply, outputs = run("before")
    notes = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
    expect(notes.startswith("note: the lora process ended (killed by signal 9); this cell runs in a new lora process"), notes)
    expect(reply["status"] == "error" and reply["ename"] == "NameError", reply)


@check("restart gives a fresh session")
def _():
    run("let kept = 1")
    old = lora_pid()
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=TIMEOUT)
    expect(not running(old), "the old lora process still runs after restart")
    reply, outputs = run("kept")
    expect(reply["status"] == "error" and reply["ename"] == "NameError", reply)
    reply, outputs = run("2 * 21")
    expect(stdout(outputs) == "42\n", stdout(outputs))


@check("shutdown ends the lora process")
def _():
    pid = lora_pid()
    expect(pid and running(pid), "no lora process")
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    deadline = time.time() + 10
    while running(pid) and time.time() < deadline:
        time.sleep(0.1)
    expect(not running(pid), "lora still runs after shutdown")


failed = [r for r in results if r[1]]
print("jupyter kernel: %d passed, %d failed" % (len(results) - len(failed), len(failed)), flush=True)
if km.is_alive():
    km.shutdown_kernel(now=True)
kc = km = None  # closed here, not in __del__ while the interpreter is tearing down
sys.exit(1 if failed else 0)
