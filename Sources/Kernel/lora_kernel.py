"""The lora kernel for Jupyter.

Built on ipykernel's wrapper-kernel base class (ipykernel.kernelbase.Kernel):
ipykernel speaks Jupyter's messaging protocol (ZeroMQ sockets, signing,
heartbeat, kernel_info, shutdown, ...), and this file only translates. It
drives ONE long-running `lora kernel serve` process over a line-based JSON
protocol on its stdin and stdout (see Sources/Kernel/KernelRequest.swift and
KernelEvent.swift), so execution, completion, `:help` inspection and the
"is this entry complete?" test are lora's own.

`lora kernel install` writes this file into the kernel spec directory, with
kernel.json naming the lora binary in LORA_KERNEL_BINARY.
"""

import collections
import json
import os
import signal
import subprocess
import sys
import threading
import uuid

from ipykernel.kernelbase import Kernel

PROTOCOL = 1


class LoraEnded(Exception):
    """The lora process ended while a request was running, or could not start."""


class LoraProcess:
    """One `lora kernel serve` process: requests in, events out, one JSON object per line."""

    def __init__(self, binary):
        self.binary = binary
        self.next_id = 0
        self.stderr_tail = collections.deque(maxlen=40)
        try:
            self.process = subprocess.Popen(
                [binary, "kernel", "serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
            )
        except OSError as e:
            raise LoraEnded(
                "cannot start lora (%s): %s\nnote: reinstall the kernel spec with the lora binary you want: "
                "/path/to/lora kernel install --user" % (binary, e)
            )
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        ready = self._read_event()
        if ready.get("event") != "ready" or ready.get("protocol") != PROTOCOL:
            self.stop()
            raise LoraEnded(
                "%s speaks kernel protocol %r, this kernel spec expects %d\n"
                "note: reinstall the kernel spec with that binary: %s kernel install --user"
                % (binary, ready.get("protocol"), PROTOCOL, binary)
            )
        self.language_version = ready.get("language_version", "")

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def ended(self):
        """How the process ended: "the lora process ended (exit status 1)" and its last stderr lines."""
        status = self.process.wait()
        how = ("killed by signal %d" % -status) if status < 0 else ("exit status %d" % status)
        tail = "".join(self.stderr_tail).strip()
        return "the lora process ended (%s)%s" % (how, ("\n" + tail) if tail else "")

    def _drain_stderr(self):
        # lora's own stderr (nothing in normal use) goes to the kernel's log.
        for raw in iter(self.process.stderr.readline, b""):
            text = raw.decode("utf-8", "replace")
            self.stderr_tail.append(text)
            sys.__stderr__.write(text)
            sys.__stderr__.flush()

    def _read_event(self):
        while True:
            raw = self.process.stdout.readline()
            if not raw:
                raise LoraEnded(self.ended())
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                return json.loads(line)
            except ValueError:
                sys.__stderr__.write("lora kernel: not an event: %s\n" % line[:200])

    def request(self, kind, **fields):
        """Sends a request; yields its events, the final `reply` last."""
        self.next_id += 1
        rid = self.next_id
        fields.update(id=rid, type=kind)
        data = (json.dumps(fields) + "\n").encode("utf-8")
        try:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self._read_event()  # raises LoraEnded with the exit status
        while True:
            event = self._read_event()
            if event.get("id") != rid:
                continue  # left over from a request given up on
            yield event
            if event.get("event") == "reply":
                return

    def call(self, kind, **fields):
        """Sends a request that has only a reply; returns the reply."""
        reply = None
        for event in self.request(kind, **fields):
            reply = event
        return reply

    def interrupt(self):
        if self.alive():
            try:
                os.kill(self.process.pid, signal.SIGINT)
            except OSError:
                pass

    def stop(self):
        if self.alive():
            try:
                self.process.stdin.write(b'{"id": 0, "type": "shutdown"}\n')
                self.process.stdin.flush()
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class LoraKernel(Kernel):
    implementation = "lora"
    implementation_version = "1"
    language = "lora"
    language_info = {
        "name": "lora",
        "mimetype": "text/x-lora",
        "file_extension": ".lora",
        "codemirror_mode": "swift",
        "pygments_lexer": "swift",
    }
    banner = "lora: LoRA-Ensembles and calibrated uncertainty (type :help for help)"
    help_links = []

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.binary = os.environ.get("LORA_KERNEL_BINARY") or "lora"
        self.lora = None
        self.start_problem = None
        # Why the previous lora process is gone, told with the next cell's output.
        self.lost = None
        self._start()

    def _start(self):
        try:
            self.lora = LoraProcess(self.binary)
            if self.lora.language_version:
                self.language_info = dict(self.language_info, version=self.lora.language_version)
            self.start_problem = None
        except LoraEnded as e:
            self.lora = None
            self.start_problem = str(e)

    # Ctrl-C (interrupt_request, or SIGINT from the kernel manager) goes to
    # the lora process, whose running statement stops; the kernel itself
    # never raises KeyboardInterrupt, so no request is left half-read.
    def _forward_interrupt(self, signum, frame):
        if self.lora is not None:
            self.lora.interrupt()

    def pre_handler_hook(self):
        self.saved_sigint_handler = signal.signal(signal.SIGINT, self._forward_interrupt)

    def post_handler_hook(self):
        signal.signal(signal.SIGINT, self.saved_sigint_handler)

    def _error(self, ename, evalue, traceback, silent):
        if not silent:
            self.send_response(self.iopub_socket, "error",
                               {"ename": ename, "evalue": evalue, "traceback": traceback})
        return {"status": "error", "execution_count": self.execution_count,
                "ename": ename, "evalue": evalue, "traceback": traceback}

    def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False, *, cell_id=None):
        if self.lora is not None and not self.lora.alive():
            self.lost = self.lora.ended().split("\n")[0]
            self.lora = None
        if self.lora is None:
            self._start()
            if self.lora is None:
                return self._error("KernelError", self.start_problem, self.start_problem.split("\n"), silent)
            if self.lost and not silent:
                self.send_response(self.iopub_socket, "stream", {
                    "name": "stderr",
                    "text": "note: %s; this cell runs in a new lora process, without the variables of earlier cells\n" % self.lost})
            self.lost = None
        progress_id = None
        try:
            for event in self.lora.request("execute", code=code, count=self.execution_count):
                kind = event.get("event")
                if kind == "reply":
                    if event.get("status") == "ok":
                        return {"status": "ok", "execution_count": self.execution_count,
                                "payload": [], "user_expressions": {}}
                    return {"status": "error", "execution_count": self.execution_count,
                            "ename": event.get("ename", "Error"), "evalue": event.get("evalue", ""),
                            "traceback": event.get("traceback", [])}
                if silent:
                    continue
                if kind == "stream":
                    self.send_response(self.iopub_socket, "stream", {"name": event["name"], "text": event["text"]})
                elif kind == "display":
                    self.send_response(self.iopub_socket, "display_data", {"data": event["data"], "metadata": {}})
                elif kind == "progress":
                    content = {"data": {"text/plain": event["text"]}, "metadata": {}}
                    if progress_id is None:
                        progress_id = "lora-progress-" + uuid.uuid4().hex
                        content["transient"] = {"display_id": progress_id}
                        self.send_response(self.iopub_socket, "display_data", content)
                    else:
                        content["transient"] = {"display_id": progress_id}
                        self.send_response(self.iopub_socket, "update_display_data", content)
                    if event.get("final"):
                        progress_id = None
                elif kind == "error":
                    self.send_response(self.iopub_socket, "error", {
                        "ename": event["ename"], "evalue": event["evalue"], "traceback": event["traceback"]})
        except LoraEnded as e:
            self.lora = None
            text = str(e) + "\nnote: the next cell starts a new lora process, without the variables of earlier cells"
            return self._error("KernelError", str(e).split("\n")[0], text.split("\n"), silent)
        return self._error("KernelError", "no reply from lora", ["error: lora sent no reply"], silent)

    def _call(self, kind, **fields):
        if self.lora is None or not self.lora.alive():
            return None
        try:
            return self.lora.call(kind, **fields)
        except LoraEnded:
            self.lora = None
            return None

    def do_complete(self, code, cursor_pos):
        if cursor_pos is None:
            cursor_pos = len(code)
        reply = self._call("complete", code=code, cursor=cursor_pos)
        if not reply or reply.get("status") != "ok":
            return {"status": "ok", "matches": [], "cursor_start": cursor_pos, "cursor_end": cursor_pos, "metadata": {}}
        return {"status": "ok", "matches": reply["matches"], "cursor_start": reply["cursor_start"],
                "cursor_end": reply["cursor_end"], "metadata": {}}

    def do_inspect(self, code, cursor_pos, detail_level=0, omit_sections=()):
        if cursor_pos is None:
            cursor_pos = len(code)
        reply = self._call("inspect", code=code, cursor=cursor_pos)
        if not reply or not reply.get("found"):
            return {"status": "ok", "found": False, "data": {}, "metadata": {}}
        return {"status": "ok", "found": True, "data": {"text/plain": reply["text"]}, "metadata": {}}

    def do_is_complete(self, code):
        reply = self._call("is_complete", code=code)
        if not reply:
            return {"status": "unknown"}
        result = {"status": reply["status"]}
        if reply["status"] == "incomplete":
            result["indent"] = reply.get("indent", "")
        return result

    def do_shutdown(self, restart):
        if self.lora is not None:
            self.lora.stop()
            self.lora = None
        return {"status": "ok", "restart": restart}


if __name__ == "__main__":
    from ipykernel.kernelapp import IPKernelApp
    IPKernelApp.launch_instance(kernel_class=LoraKernel)
