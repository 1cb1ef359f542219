#!/usr/bin/env python3
"""Issue 19's conformance suite: ansible-core's own integration targets, under ansible-core and flock.

Downloads ansible-core's sdist (GPLv3: it stays in the cache dir, never in the repo), and for each
selected target brings up a fresh one-host lab (`flock lab`), writes an inventory with host `testhost`
and the vars ansible-test sets, and runs the target under ansible-core (baseline) and under flock:
a role target as `- hosts: testhost / gather_facts: yes / roles: [TARGET]` with
ANSIBLE_ROLES_PATH=targets/, a `runme.sh` target unchanged with flock's `ansible-playbook`/`ansible`
symlinks first on PATH. Writes the table to docs/compat.md (section "ansible-core integration
targets") and optionally JSON. Run as root:

    python3 compat-tests/conformance.py --list engine --jobs 2 --json /tmp/conformance.json
"""
import argparse, atexit, itertools, concurrent.futures, json, os, re, shutil, signal, subprocess, sys, tarfile, tempfile, \
    threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = "/opt/flock-bench/bin"
CACHE = "/var/cache/flock-conformance"
ENGINE = ("blocks handlers loops loop_control until register tags conditionals changed_when failed_when "
          "ignore_errors any_errors_fatal check_mode delegate_to include_import import_tasks roles "
          "roles_var_inheritance var_precedence var_blending vars_files special_vars templating "
          "filter_core test_core lookup_* omit strategy_free strategy_linear throttle order parsing "
          "yaml_parsing meta_tasks environment become no_log module_defaults keyword_inheritance "
          "set_fact assert debug include_vars group_by add_host").split()
SKIP_ALIASES = ("unsupported", "disabled", "unstable", "needs/ssh", "windows", "network/", "skip/docker",
                "needs/httptester", "cloud/")
SECTION = "## ansible-core integration targets"


def core_version():
    out = subprocess.run([BENCH + "/python", "-c", "import ansible.release as r; print(r.__version__)"],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return out.strip()


def fetch_targets(version):
    """Download and unpack test/integration/targets of ansible-core VERSION; return the dir."""
    base = os.path.join(CACHE, "ansible_core-%s" % version)
    targets = os.path.join(base, "test", "integration", "targets")
    if os.path.isdir(targets):
        return targets
    os.makedirs(CACHE, exist_ok=True)
    tgz = os.path.join(CACHE, "ansible_core-%s.tar.gz" % version)
    if not os.path.exists(tgz):
        subprocess.run([BENCH + "/pip", "download", "--no-deps", "--no-binary", ":all:",
                        "ansible-core==%s" % version, "-d", CACHE], check=True)
    prefix = "ansible_core-%s/test/integration/targets/" % version
    with tarfile.open(tgz) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
        tar.extractall(CACHE, members=members, filter="tar")
    return targets


def aliases(targets, name):
    try:
        with open(os.path.join(targets, name, "aliases")) as f:
            return [l.split("#")[0].strip() for l in f if l.split("#")[0].strip()]
    except OSError:
        return []


def skip_reason(targets, name):
    for a in aliases(targets, name):
        if a.startswith(SKIP_ALIASES) or a in ("skip/posix", "skip/ubuntu", "skip/debian"):
            return a
    if not (os.path.exists(os.path.join(targets, name, "runme.sh"))
            or os.path.exists(os.path.join(targets, name, "tasks", "main.yml"))):
        return "no runme.sh or tasks/main.yml"
    return None


def flock_modules():
    """Module names flock implements: the names its modules/ registry answers to (`fn name`), plus
    the module files' stems (one module a file, modules/<family>/<name>.rs)."""
    names = set()
    helpers = {"mod", "args", "common", "remote", "result", "distro", "hardware", "network", "platform"}
    for dirpath, _, files in os.walk(os.path.join(ROOT, "modules")):
        for f in files:
            if not f.endswith(".rs"):
                continue
            if f[:-3] not in helpers:
                names.add(f[:-3])
            with open(os.path.join(dirpath, f)) as src:
                names.update(re.findall(r'fn name\(&self\)[^{]*\{\s*"([a-z0-9_]+)"', src.read()))
    return sorted(names)


# Labs this process brought up and has not taken down yet: taken down on exit, SIGINT and SIGTERM.
ACTIVE_LABS = set()
LAB_SEQ = itertools.count(1)
ACTIVE_LOCK = threading.Lock()
FLOCK_BIN = [None]
STOPPING = threading.Event()


def take_down_all():
    with ACTIVE_LOCK:
        labs = sorted(ACTIVE_LABS)
    for name in labs:
        subprocess.run([FLOCK_BIN[0], "lab", "down", "--name", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with ACTIVE_LOCK:
            ACTIVE_LABS.discard(name)


def on_signal(signum, _frame):
    STOPPING.set()
    print("conformance.py: signal %d, taking %d lab(s) down" % (signum, len(ACTIVE_LABS)), file=sys.stderr,
          flush=True)
    take_down_all()
    os._exit(128 + signum)


def select(targets, listname, explicit):
    if explicit:
        return explicit
    all_targets = sorted(os.listdir(targets))
    pats = []
    if listname in ("engine", "all"):
        pats += ENGINE
    if listname in ("modules", "all"):
        pats += flock_modules()
    out = []
    for p in pats:
        rx = re.compile("^" + re.escape(p).replace(r"\*", ".*") + "$")
        out += [t for t in all_targets if rx.match(t) and t not in out]
    return out


def lab(flock, *args, **kw):
    return subprocess.run([flock, "lab"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


def write_inventory(flock, labname, work):
    inv = lab(flock, "inventory", "--name", labname).stdout
    m = re.search(r"ansible_ssh_host=(\S+).*ansible_ssh_private_key_file=(\S+)", inv)
    if not m:
        raise RuntimeError("no lab inventory: %s" % inv)
    addr, key = m.groups()
    known = os.path.join(os.path.dirname(key), "known_hosts")
    path = os.path.join(work, "integration", "inventory")
    with open(path, "w") as f:
        f.write("[testgroup]\ntesthost ansible_connection=ssh ansible_host=%s ansible_user=root "
                "ansible_ssh_private_key_file=%s ansible_python_interpreter=/usr/bin/python3 "
                "ansible_ssh_common_args='-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes'\n"
                % (addr, key, known))
    return path


def write_vars(work, out_dir):
    path = os.path.join(work, "integration", "integration_config.yml")
    with open(path, "w") as f:
        f.write("output_dir: %s\nremote_tmp_dir: /tmp/ansible-remote-tmp\n" % out_dir)
    return path


def layout(targets, name, work):
    """ansible-test's layout: WORK/integration/{inventory,integration_config.yml,targets/}, the
    target itself copied (runme.sh writes next to itself and reads ../../inventory), the others
    symlinked (roles and needs/target dependencies)."""
    tdirs = os.path.join(work, "integration", "targets")
    os.makedirs(tdirs)
    for t in os.listdir(targets):
        if t == name:
            shutil.copytree(os.path.join(targets, t), os.path.join(tdirs, t), symlinks=True)
        else:
            os.symlink(os.path.join(targets, t), os.path.join(tdirs, t))
    return tdirs


def command_for(tdirs, name, inv, varsfile, work):
    """ansible-test runs runme.sh in the target's dir with only -v (it reads ../../inventory)."""
    tdir = os.path.join(tdirs, name)
    if os.path.exists(os.path.join(tdir, "runme.sh")):
        return tdir, ["bash", "./runme.sh", "-v"]
    play = os.path.join(work, "play.yml")
    with open(play, "w") as f:
        f.write("- hosts: testhost\n  gather_facts: yes\n  roles:\n    - %s\n" % name)
    return work, ["ansible-playbook", "-i", inv, "-e", "@" + varsfile, play, "-v"]


def first_difference(text):
    """First failing task and its message, trimmed."""
    task, lines = None, text.splitlines()
    for i, l in enumerate(lines):
        if l.startswith("TASK ["):
            task = l[6:].split("]")[0]
        if re.match(r"^(fatal|failed):", l) or l.startswith("ERROR!") or l.startswith("[ERROR]"):
            msg = l
            mm = re.search(r'"msg": "((?:[^"\\]|\\.)*)"', l)
            if mm:
                msg = mm.group(1)
            elif i + 1 < len(lines) and l.startswith(("ERROR!", "[ERROR]")):
                msg = l + " " + lines[i + 1].strip()
            msg = re.sub(r"\s+", " ", msg)[:160]
            return ("%s: %s" % (task, msg)) if task else msg
    tail = [l for l in lines if l.strip()][-1:] or ["(no output)"]
    return re.sub(r"\s+", " ", tail[0])[:160]


def run_one(args, targets, name, tool):
    """Run target NAME under TOOL ('core' or 'flock') on a fresh lab; returns (result, detail, secs)."""
    labname = "cf%d-%d%s" % (os.getpid() % 1000, next(LAB_SEQ), tool[0])
    work = tempfile.mkdtemp(prefix="conf-%s-%s-" % (name, tool))
    lab(args.flock, "down", "--name", labname)
    if STOPPING.is_set():
        return "error", "stopped", 0
    with ACTIVE_LOCK:
        ACTIVE_LABS.add(labname)
    up = lab(args.flock, "up", "--name", labname, "--hosts", "1", "--subnet", "auto")
    if up.returncode != 0:
        lab(args.flock, "down", "--name", labname)
        with ACTIVE_LOCK:
            ACTIVE_LABS.discard(labname)
        return "error", "lab up failed: " + up.stdout.strip()[:120], 0
    try:
        tdirs = layout(targets, name, work)
        inv = write_inventory(args.flock, labname, work)
        out_dir = os.path.join(work, "output")
        os.makedirs(out_dir)
        varsfile = write_vars(work, out_dir)
        cwd, argv = command_for(tdirs, name, inv, varsfile, work)
        env = dict(os.environ)
        env.update({"ANSIBLE_ROLES_PATH": tdirs, "ANSIBLE_HOST_KEY_CHECKING": "False",
                    "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "OUTPUT_DIR": out_dir,
                    "INVENTORY_PATH": inv, "ANSIBLE_TEST_PREFER_PODMAN": "", "HOME": work,
                    "ANSIBLE_LOCAL_TEMP": os.path.join(work, "tmp"), "PYTHONUNBUFFERED": "1"})
        if tool == "core":
            env["PATH"] = BENCH + ":" + env["PATH"]
        else:
            bindir = os.path.join(work, "bin")
            os.makedirs(bindir)
            for n in ("ansible-playbook", "ansible"):
                os.symlink(os.path.abspath(args.flock), os.path.join(bindir, n))
            env["PATH"] = bindir + ":" + BENCH + ":" + env["PATH"]
        start = time.time()
        p = subprocess.Popen([args.flock, "lab", "exec", "--name", labname, "--", "env", "PATH=" + env["PATH"]]
                             + argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, errors="replace", start_new_session=True)
        try:
            out, _ = p.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
            with open(os.path.join(args.logs, "%s.%s.log" % (name, tool)), "w") as f:
                f.write(out or "")
            return "timeout", "timeout after %ds; %s" % (args.timeout, first_difference(out or "")), args.timeout
        p.stdout = out
        secs = time.time() - start
        with open(os.path.join(args.logs, "%s.%s.log" % (name, tool)), "w") as f:
            f.write(p.stdout)
        if p.returncode == 0:
            return "pass", "", secs
        return "fail", first_difference(p.stdout), secs
    finally:
        lab(args.flock, "down", "--name", labname)
        with ACTIVE_LOCK:
            ACTIVE_LABS.discard(labname)
        shutil.rmtree(work, ignore_errors=True)


def run_target(args, targets, name):
    reason = skip_reason(targets, name)
    if reason:
        return {"target": name, "skipped": reason}
    row = {"target": name}
    for tool in ("core", "flock"):
        res, detail, secs = run_one(args, targets, name, tool)
        row[tool] = res
        row[tool + "_detail"] = detail
        row[tool + "_secs"] = round(secs, 1)
    print("%-28s core=%-7s flock=%-7s %s" % (name, row["core"], row["flock"], row["flock_detail"][:90]),
          flush=True)
    return row


def md_cell(s):
    return s.replace("|", "\\|").replace("\n", " ")


def table(rows, version, date):
    lines = [SECTION, "",
             "ansible-core %s's own `test/integration/targets`, each on a fresh one-host lab, run by "
             "`compat-tests/conformance.py` (the full list, one command: "
             "`sudo python3 compat-tests/conformance.py --list all --jobs 3 --timeout 150 --json /tmp/conformance.json`: the engine list plus the targets of every module in flock's modules/ registry). "
             "Baseline = ansible-core; first difference = the first failing task and message (flock's, and "
             "ansible-core's too when the baseline fails). Run of %s; per-side logs in "
             "/var/cache/flock-conformance/logs." % (version, date),
             "", "| target | ansible-core | flock | first difference |", "|---|---|---|---|"]
    for r in rows:
        if "skipped" in r:
            lines.append("| %s | skipped | skipped | aliases: `%s` |" % (r["target"], md_cell(r["skipped"])))
        else:
            diff = r["flock_detail"] if r["flock"] != "pass" else ""
            if r["core"] != "pass":
                diff = ("core: " + r["core_detail"] + (" / flock: " + diff if diff else ""))
            lines.append("| %s | %s | %s | %s |" % (r["target"], r["core"], r["flock"], md_cell(diff)))
    ran = [r for r in rows if "skipped" not in r]
    lines += ["", "%d targets, %d skipped; ansible-core passes %d, flock passes %d (%d of the %d the "
              "baseline passes). Failures by cause: docs/conformance-failures.md." % (
                  len(rows), len(rows) - len(ran), sum(r["core"] == "pass" for r in ran),
                  sum(r["flock"] == "pass" for r in ran),
                  sum(r["flock"] == "pass" and r["core"] == "pass" for r in ran),
                  sum(r["core"] == "pass" for r in ran)), ""]
    return "\n".join(lines)


def write_compat_md(text):
    path = os.path.join(ROOT, "docs", "compat.md")
    with open(path) as f:
        doc = f.read()
    start = doc.find(SECTION)
    if start >= 0:
        nxt = doc.find("\n## ", start + len(SECTION))
        doc = doc[:start] + text + (doc[nxt + 1:] if nxt >= 0 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    with open(path, "w") as f:
        f.write(doc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--targets", help="comma-separated target names")
    ap.add_argument("--list", choices=("engine", "modules", "all"), default="engine")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--flock", default=os.path.join(ROOT, "target", "debug", "flock"))
    ap.add_argument("--json", help="write results as JSON here")
    ap.add_argument("--timeout", type=int, default=240, help="per target and tool, seconds")
    ap.add_argument("--logs", default="/var/cache/flock-conformance/logs")
    ap.add_argument("--render", metavar="JSON", help="only rewrite docs/compat.md from an earlier --json")
    ap.add_argument("--no-docs", action="store_true", help="don't rewrite docs/compat.md")
    args = ap.parse_args()
    if args.render:
        with open(args.render) as f:
            saved = json.load(f)
        write_compat_md(table(saved["results"], saved["ansible_core"], saved.get("date", "?")))
        return
    if os.geteuid() != 0:
        raise SystemExit("conformance.py needs root (flock lab)")
    args.flock = os.path.abspath(args.flock)
    FLOCK_BIN[0] = args.flock
    atexit.register(take_down_all)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    os.makedirs(args.logs, exist_ok=True)
    version = core_version()
    targets = fetch_targets(version)
    names = select(targets, args.list, [t for t in (args.targets or "").split(",") if t])
    rows = {}

    def save_json():
        if args.json:
            done = [rows[n] for n in names if n in rows]
            with open(args.json + ".tmp", "w") as f:
                json.dump({"ansible_core": version, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                           "results": done}, f, indent=1)
            os.replace(args.json + ".tmp", args.json)

    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {pool.submit(run_target, args, targets, n): n for n in names}
        for fut in concurrent.futures.as_completed(futures):
            rows[futures[fut]] = fut.result()
            save_json()
    rows = [rows[n] for n in names]
    if not args.no_docs:
        write_compat_md(table(rows, version, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    ran = [r for r in rows if "skipped" not in r]
    print("%d targets, flock passes %d, ansible-core passes %d" % (
        len(ran), sum(r["flock"] == "pass" for r in ran), sum(r["core"] == "pass" for r in ran)))


if __name__ == "__main__":
    main()
