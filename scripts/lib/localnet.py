"""A local testnet of real `poe node` processes on free loopback ports, for the check
scripts: build or find `poe`, write the testnet, start the nodes (each logging to a file
in the folder), wait for them, and stop every process it started, whatever happens.

Only 127.0.0.1 is used; ports are chosen in 10000-30000, below the ephemeral range."""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HOST = "127.0.0.1"
PORT_LOW, PORT_HIGH = 10_000, 30_000
API_OFFSET = 100  # API ports sit this far above the peer ports
STOP_SECONDS = 10
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def find_poe(path, log):
    """`path` when given, else the debug `poe` of this checkout (built when missing)."""
    if path:
        if not os.access(path, os.X_OK):
            sys.exit(f"--poe {path} is not an executable")
        return os.path.abspath(path)
    bin_path = subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()
    poe = os.path.join(bin_path, "poe")
    if not os.access(poe, os.X_OK):
        log("building poe (swift build --product poe)")
        subprocess.run(["swift", "build", "--product", "poe"], cwd=REPO, check=True)
    return poe


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
            return True
        except OSError:
            return False


def choose_port_base(nodes):
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral_start = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_start = 32_768
    high = min(PORT_HIGH, ephemeral_start) - API_OFFSET - nodes
    for _ in range(200):
        base = random.randrange(PORT_LOW, high)
        ports = [base + i for i in range(nodes)] + [base + API_OFFSET + i for i in range(nodes)]
        if all(port_is_free(p) for p in ports):
            return base
    sys.exit(f"no free ports found between {PORT_LOW} and {high + API_OFFSET + nodes}")


def get_json(url, timeout=3):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def get_text(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode("utf-8")


class Testnet:
    def __init__(self, poe, folder, nodes):
        self.poe, self.folder, self.nodes = poe, folder, nodes
        self.port_base = choose_port_base(nodes)
        self.net = os.path.join(folder, "net")
        self.processes = []
        self.logs = []

    def create(self):
        subprocess.run(
            [self.poe, "testnet", "--out", self.net, "--nodes", str(self.nodes),
             "--peer-port-base", str(self.port_base), "--api-port-base", str(self.port_base + API_OFFSET)],
            check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(self.net, "cluster.json")) as f:
            self.cluster = json.load(f)

    def start(self):
        for i in range(self.nodes):
            log_file = open(self.log_path(i), "w")
            self.logs.append(log_file)
            self.processes.append(subprocess.Popen(
                [self.poe, "node", "--home", os.path.join(self.net, f"node{i}"), "--log-format", "json"],
                stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True))

    def log_path(self, i):
        return os.path.join(self.folder, f"node{i}.log")

    def api(self, i):
        return f"http://{HOST}:{self.port_base + API_OFFSET + i}"

    def status(self, i):
        try:
            return get_json(self.api(i) + "/status", timeout=2)
        except (OSError, ValueError, urllib.error.URLError):
            return None

    def check_running(self):
        exited = [i for i, p in enumerate(self.processes) if p.poll() is not None]
        if exited:
            raise RuntimeError(f"node(s) {exited} exited; see {', '.join(self.log_path(i) for i in exited)}")

    def wait_linked(self, seconds):
        """Until every node answers /status and is linked to every other."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.check_running()
            statuses = [self.status(i) for i in range(self.nodes)]
            if all(s is not None and s.get("peersConnected") == self.nodes - 1 for s in statuses):
                return
            time.sleep(0.25)
        raise RuntimeError(f"the nodes did not all link within {seconds} s; see the logs in {self.folder}")

    def stop(self):
        for p in self.processes:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + STOP_SECONDS
        for p in self.processes:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=STOP_SECONDS)
        self.processes = []
        for f in self.logs:
            f.close()
        self.logs = []


def stop_on_signals(cleanup):
    """Runs `cleanup` and exits on SIGTERM, SIGINT or SIGHUP (a trap for Python)."""
    def handler(signum, _frame):
        cleanup()
        sys.exit(128 + signum)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, handler)
