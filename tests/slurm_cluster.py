"""A real single-node Slurm cluster for the tests, started from Debian's packages.

No systemd and nothing system-wide: munge and the two Slurm daemons run with every key, socket,
state, spool, pid and log file in one scratch folder, on fixed ports of their own, as root (which
Debian's packaging expects). `.ci/run` installs the packages (slurmctld, slurmd, slurm-client,
munge); where they or root are missing, :func:`start_cluster` says why and the tests skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo")
PORTS = (16817, 16818)  # slurmctld, slurmd: away from the defaults a real cluster might use


class Unavailable(RuntimeError):
    """Slurm cannot run here; the message is the reason a test skips with."""


@dataclass
class Cluster:
    folder: Path
    env: dict  # SLURM_CONF and PATH for sbatch, squeue, ...
    cpus: int

    def pids(self) -> list[int]:
        found = []
        for name in ("slurmd.pid", "slurmctld.pid", "munged.pid"):
            try:
                found.append(int((self.folder / name).read_text().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        return found

    def stop(self) -> None:
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in self.pids()) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in self.pids():
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _plugin_dir() -> str | None:
    found = glob.glob("/usr/lib/*/slurm-wlm/select_cons_tres.so")
    return str(Path(found[0]).parent) if found else None


def _memory_mb() -> int:
    """The machine's memory in MB, so that jobs asking --mem fit the node (Slurm's default is 1 MB)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20


def start_cluster(folder: Path, cpus: int | None = None) -> Cluster:
    """Start munged, slurmctld and slurmd in ``folder``; wait until the node is idle."""
    if os.geteuid() != 0:
        raise Unavailable("a single-node Slurm needs root (Debian's daemons run as SlurmUser=root here)")
    missing = [name for name in DAEMONS if shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin") is None]
    plugins = _plugin_dir()
    if missing or plugins is None:
        raise Unavailable(f"Slurm is not installed ({', '.join(missing) or 'plugins'} missing): "
                          "apt-get install slurmctld slurmd slurm-client munge")
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise Unavailable(f"port {port} is taken (another test cluster running?)")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    cpus = cpus or os.cpu_count() or 1
    host = socket.gethostname()
    sbin = "/usr/sbin"
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + os.pathsep + sbin)
    key, munge_socket = folder / "munge.key", folder / "munge.socket"
    subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True, env=env, capture_output=True)
    subprocess.run(["munged", "--force", f"--socket={munge_socket}", f"--key-file={key}",
                    f"--log-file={folder / 'munged.log'}", f"--pid-file={folder / 'munged.pid'}",
                    f"--seed-file={folder / 'munged.seed'}"], check=True, env=env, capture_output=True)
    for sub in ("state", "spool"):
        (folder / sub).mkdir(exist_ok=True)
    conf = folder / "slurm.conf"
    conf.write_text(f"""\
ClusterName=test
SlurmctldHost={host}
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
PluginDir={plugins}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SlurmctldPort={PORTS[0]}
SlurmdPort={PORTS[1]}
StateSaveLocation={folder / 'state'}
SlurmdSpoolDir={folder / 'spool'}
SlurmctldPidFile={folder / 'slurmctld.pid'}
SlurmdPidFile={folder / 'slurmd.pid'}
SlurmctldLogFile={folder / 'slurmctld.log'}
SlurmdLogFile={folder / 'slurmd.log'}
DependencyParameters=kill_invalid_depend
ReturnToService=2
NodeName={host} CPUs={cpus} RealMemory={_memory_mb()} State=UNKNOWN
PartitionName=main Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
    env["SLURM_CONF"] = str(conf)
    cluster = Cluster(folder, env, cpus)
    try:
        subprocess.run(["slurmctld"], check=True, env=env, capture_output=True)
        subprocess.run(["slurmd", "-d", f"{sbin}/slurmstepd"], check=True, env=env, capture_output=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = subprocess.run(["sinfo", "-h", "-o", "%t"], env=env, capture_output=True, text=True).stdout.strip()
            if state == "idle":
                return cluster
            time.sleep(0.2)
        raise Unavailable(f"the Slurm node never became idle (sinfo says {state!r}); see {folder}/slurmctld.log")
    except BaseException:
        cluster.stop()
        raise
