"""``evalkit reflect``: capture, import, review, code, search and export reflections."""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalkit.commands import help_formatter
from evalkit.exceptions import DataError, ParameterError
from evalkit.learning.inputs import fill_slots, read_form_export, read_reflection_file
from evalkit.learning.records import (
    ACTION_STATUSES,
    CONFIDENCE,
    SHARING_SCOPES,
    SLOTS,
    STATUSES,
    SYSTEM_SCALES,
)
from evalkit.learning.redaction import possible_names
from evalkit.learning.store import ReflectionStore, default_store_path
from evalkit.learning.templates import list_templates, load_template

__all__ = ["cmd_serve", "is_loopback", "register"]

_STORE_HELP = "the reflection store (default data/processed/PROGRAMME/learning.sqlite)"


def _identifiers(args: argparse.Namespace) -> list[str]:
    """The ``--id-pattern`` regular expressions, each checked to compile."""
    patterns = list(getattr(args, "id_pattern", None) or ())
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ParameterError(
                f"--id-pattern {pattern[:60]!r} is not a regular expression ({exc}); expected "
                r"the shape of one identifier, such as 'FS\d{6}'"
            ) from None
    return patterns


def _store(args: argparse.Namespace) -> ReflectionStore:
    identifiers = _identifiers(args)
    if args.store:
        if Path(args.store).is_dir():
            raise DataError(f"{args.store}: is a folder; expected a learning log file (.sqlite)")
        return ReflectionStore(args.store, identifiers=identifiers)
    if getattr(args, "programme", None):
        return ReflectionStore(default_store_path(args.programme), identifiers=identifiers)
    raise ParameterError(
        "no store given: pass --store PATH, or --programme NAME to use "
        "data/processed/NAME/learning.sqlite"
    )


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="PATH", help=_STORE_HELP)
    parser.add_argument(
        "--programme", metavar="NAME", help="programme short name, e.g. family-support"
    )
    parser.add_argument(
        "--id-pattern",
        action="append",
        metavar="REGEX",
        help="the shape of the programme's case numbers, redacted from text like an email "
        r"address (repeatable), e.g. 'FS\d{6}'",
    )


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``command`` with a file problem as one line, and quiet when its reader goes away.

    A file that cannot be opened (missing, a folder, no permission) is a DataError naming it;
    a closed pipe (``evalkit reflect templates | head``) ends the command quietly, status 0.
    """

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except BrokenPipeError:
            # Python flushes stdout at exit: point it at /dev/null so that flush cannot fail.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        except OSError as exc:
            where = exc.filename if exc.filename is not None else "a file"
            raise DataError(f"{where}: {exc.strerror or exc}") from None

    return run


def _subparser(sub: Any, name: str, summary: str, examples: str) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=summary,
        epilog="examples:\n" + examples,
        formatter_class=help_formatter,
    )


# -- add ---------------------------------------------------------------------------------------
def _ask(prompt: str, default: str = "") -> str:
    suffix = f" [{default}]" if default else ""
    print(f"{prompt}{suffix}: ", end="", flush=True)
    line = sys.stdin.readline()
    if not line:
        raise DataError(f"no answer to {prompt!r}: input ended")
    return line.strip() or default


def cmd_add(args: argparse.Namespace) -> int:
    """Add one reflection from a YAML/Markdown file or by answering prompts."""
    fields: dict[str, Any] = read_reflection_file(args.file) if args.file else {}
    for name in ("programme", "locality", "period", "author", "role", "learning_cycle"):
        value = getattr(args, name.replace("learning_cycle", "cycle"))
        if value:
            fields[name] = value
    for name, value in (
        ("system_scale", args.scale),
        ("confidence", args.confidence),
        ("sharing_scope", args.scope),
        ("consent", args.consent),
    ):
        if value is not None:
            fields[name] = value
    template = load_template(args.template or fields.get("template", "hls"))
    fields["template"] = template.name
    answers = fields.pop("answers", None)
    interactive = not args.file
    if interactive:
        for name, label in (
            ("programme", "Programme"),
            ("locality", "Locality (ONS code)"),
            ("period", "Period (e.g. 2024Q3)"),
            ("learning_cycle", "Learning cycle"),
            ("author", "Your name (stored only as a pseudonym)"),
            ("role", "Your role"),
        ):
            if not fields.get(name):
                fields[name] = _ask(label)
        if "confidence" not in fields:
            fields["confidence"] = _ask(f"How sure are we? ({' / '.join(CONFIDENCE)})", "emerging")
        if "consent" not in fields:
            fields["consent"] = _ask(
                "May this be shared once reviewed and redacted? (yes/no)", "no"
            )
        print(f"\n{template.title}\n{template.description}\n")
        answers = {}
        for q in template.questions:
            private = " (private: never shared)" if q.private else ""
            answers[q.id] = _ask(f"{q.prompt}{private}")
    if answers is not None:
        slots, extra = fill_slots(template, dict(answers), args.file or "prompt")
        fields.update(slots)
        fields["extra"] = extra
    fields.setdefault("status", "draft" if args.draft else "submitted")
    with _store(args) as store:
        rid = store.add(fields, names=args.names or ())
        status = store.get(rid)["status"]
    print(f"reflection {rid} saved ({status.replace('_', ' ')})")
    return 0


# -- import ------------------------------------------------------------------------------------
def cmd_import(args: argparse.Namespace) -> int:
    """Import reflections from CSV/XLSX; report every rejected row."""
    from evalkit.learning.importing import import_reflections

    names: list[str] = []
    if args.names_file:
        names = [
            n.strip()
            for n in Path(args.names_file).read_text(encoding="utf-8").splitlines()
            if n.strip()
        ]
    with _store(args) as store:
        report = import_reflections(
            store,
            read_form_export(args.file, args.encoding),
            args.mapping,
            names=names,
            all_or_nothing=args.all_or_nothing,
            defaults={"programme": args.programme} if args.programme else None,
        )
    print(report.summary())
    for problem in report.problems:
        print(f"  rejected {problem}")
    if report.imported:
        print(
            "imported reflections wait for review: evalkit reflect list --status redaction_pending"
        )
    return 1 if report.rejected_rows else 0


# -- list, show, review, status ----------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    """List reflections: attributes and status; with --text, the start of the REDACTED text."""
    with _store(args) as store:
        frame = store.overview(status=args.status, locality=args.locality, period=args.period)
    if frame.empty:
        print(
            "no reflections match"
            if (args.status or args.locality or args.period)
            else "no reflections in the store"
        )
        return 0
    columns = [
        "id",
        "locality",
        "period",
        "learning_cycle",
        "role",
        "template",
        "status",
        "version",
    ]
    if args.text:
        joined = frame[list(SLOTS)].fillna("").agg(lambda r: " / ".join(t for t in r if t), axis=1)
        frame["redacted text"] = [t if len(t) <= 60 else t[:57] + "..." for t in joined]
        columns.append("redacted text")
    print(frame[columns].to_string(index=False))
    return 0


def _show(record: dict[str, Any]) -> None:
    print(
        f"reflection {record['id']} (version {record['version']}, {record['status']}): "
        f"{record['locality']} {record['period']}, {record['role']}, consent "
        f"{'yes' if record['consent'] else 'no'}"
    )
    for slot in SLOTS:
        print(f"\n{slot.replace('_', ' ')}:\n  {record['redacted_' + slot]}")
    kinds: dict[str, int] = {}
    for entry in record["redaction_log"]:
        kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
    found = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "nothing"
    print(f"\nautomatic redaction removed: {found}")
    hints = sorted({n for s in SLOTS for n in possible_names(record["redacted_" + s])})
    if hints:
        print(f"check whether these are people's names: {', '.join(hints)}")
        print("  (correct with --edit SLOT=TEXT when you accept the review)")


def cmd_review(args: argparse.Namespace) -> int:
    """Show a reflection's redacted text; with --accept, record the review."""
    with _store(args) as store:
        _show(store.get(args.id))
        if not args.accept:
            print(
                "\nto record your review: "
                "evalkit reflect review ID --accept --by NAME [--shareable]"
            )
            return 0
        if not args.by:
            raise ParameterError("--accept needs --by NAME: who reviewed the redaction")
        edits = {}
        for item in args.edit or ():
            slot, _, text = item.partition("=")
            edits[slot] = text
        store.review(
            args.id, by=args.by, redacted=edits or None, shareable=args.shareable, note=args.note
        )
        print(f"\nreflection {args.id} is now {store.get(args.id)['status']}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Move a reflection along the workflow (withdrawn removes it from every later output)."""
    with _store(args) as store:
        store.transition(args.id, args.status, by=args.by, note=args.note)
        print(f"reflection {args.id} is now {store.get(args.id)['status'].replace('_', ' ')}")
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    """Erase a reflection's text from the store and its history (the right to erasure)."""
    with _store(args) as store:
        store.erase(args.id, by=args.by, reason=args.reason)
    print(
        f"reflection {args.id} erased: its text is gone from the store and its history; "
        "the history keeps who erased it, when and why"
    )
    return 0


# -- codes, search, export ---------------------------------------------------------------------
def cmd_codebook(args: argparse.Namespace) -> int:
    """Load a codebook YAML into the store."""
    from evalkit.learning.coding import load_codebook

    codes = load_codebook(args.file)
    with _store(args) as store:
        store.set_codebook(codes, by=args.by)
    print(f"{len(codes)} codes loaded")
    return 0


def cmd_code(args: argparse.Namespace) -> int:
    """Apply a code to a reflection (a person's decision)."""
    with _store(args) as store:
        store.assign_code(args.id, args.code, coder=args.by, slot=args.slot)
    print(f"code {args.code!r} applied to reflection {args.id}")
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    """Suggest codes for shareable reflections; nothing is applied."""
    from evalkit.learning.coding import suggest_codes

    with _store(args) as store:
        table = suggest_codes(
            store.shareable(locality=args.locality), store.codebook(), top=args.top
        )
    print(table.to_string(index=False) if not table.empty else "no suggestions")
    print("suggestions only: apply a code with evalkit reflect code ID CODE --by NAME")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """Full-text search of the redacted text."""
    with _store(args) as store:
        hits = store.search(" ".join(args.query), shareable_only=not args.all)
    if hits.empty:
        print("no matches")
        return 0
    for hit in hits.to_dict("records"):
        text = " / ".join(str(hit[s]) for s in SLOTS if hit[s])
        print(f"{hit['id']:>5}  {hit['locality']} {hit['period']} ({hit['role']}, {hit['status']})")
        print(f"       {text[:300]}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export shareable reflections as CSV, or the codebook/project for QDA tools."""
    from evalkit.learning import export

    output = Path(args.output)
    with _store(args) as store:
        if args.format == "csv":
            export.export_csv(store, output, locality=args.locality, audience=args.audience)
        elif args.format == "qdc":
            export.export_qdc(store, output, programme=args.programme or "")
        else:
            export.export_qdpx(
                store, output, programme=args.programme or "", audience=args.audience
            )
    print(f"written {output}")
    return 0


def cmd_action(args: argparse.Namespace) -> int:
    """Record an action someone will take forward."""
    action = {
        "programme": args.programme,
        "locality": args.locality,
        "description": args.description,
        "owner_role": args.owner_role,
        "due_on": args.due,
        "learning_cycle": args.cycle or "",
        "reflection_id": args.from_reflection,
    }
    with _store(args) as store:
        aid = store.add_action(action, by=args.by, names=args.names or ())
    print(f"action {aid} recorded, due {args.due}")
    return 0


def cmd_follow_up(args: argparse.Namespace) -> int:
    """Link an action to the reflection that followed it up, and set its status."""
    changes: dict[str, Any] = {"status": args.status}
    if args.reflection is not None:
        changes["follow_up_reflection_id"] = args.reflection
    with _store(args) as store:
        store.update_action(args.id, changes, by=args.by)
    print(f"action {args.id} is now {args.status}")
    return 0


def cmd_actions(args: argparse.Namespace) -> int:
    """List open actions and where learning has paused."""
    from evalkit.learning.actions import continuity, open_actions

    with _store(args) as store:
        actions, reflections, cycles = store.actions(), store.overview(), store.cycles()
    if args.locality:
        actions = actions[actions["locality"] == args.locality]
    opened = open_actions(actions, today=args.today)
    if args.overdue:
        opened = opened[opened["overdue"]]
    columns = ["id", "locality", "owner_role", "due_on", "days_to_due", "description"]
    print(opened[columns].to_string(index=False) if not opened.empty else "no open actions")
    if reflections.empty:
        return 0
    flow = continuity(reflections, actions, cycles, weeks=args.weeks, today=args.today)
    print("\n" + flow.summary())
    if not flow.quiet_cycles.empty:
        print(flow.quiet_cycles.to_string(index=False))
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    """List the reflection templates and their questions."""
    for name in list_templates():
        template = load_template(name)
        print(f"{name}: {template.title}")
        for q in template.questions:
            slot = q.slot or ("private" if q.private else "kept, not shared")
            print(f"    {q.id:<16} {q.prompt}  -> {slot}")
    return 0


# -- serve -------------------------------------------------------------------------------------
#: The spec ``evalkit reflect serve`` serves when given none (the demo's, as in the notebook).
DEFAULT_SPEC = "data/raw/demo/family-support.yaml"
#: Voilà's own default port.
DEFAULT_PORT = 8866
#: How long the server may take to start listening.
_START_SECONDS = 60
_INSTALL_HINT = (
    "the capture page needs Voila, which is not installed: pip install 'evalkit[capture]' "
    "(or pip install 'voila>=0.5')"
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (``localhost``, ``127.0.0.1``, ``::1``)."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _port_taken(host: str, port: int) -> bool:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _listening(host: str, port: int) -> bool:
    import socket

    target = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    try:
        with socket.create_connection((target, port), timeout=1):
            return True
    except OSError:
        return False


def _preflight(template: str, spec: str, store: str) -> dict[str, str]:
    """The capture page's spec, template, notebook and key checked as its kernel will read them.

    The check runs in a child process (``python -m evalkit.reports.capture``): the learning
    package itself never reads a programme spec, the pipeline's capture module does.
    """
    import json
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "evalkit.reports.capture", template, spec, store],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise ParameterError(lines[-1] if lines else f"checking {spec or store} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _kernel_name(notebook: Path) -> str:
    """The kernel the notebook declares; raise if it is not installed here."""
    import json

    from jupyter_client.kernelspec import KernelSpecManager

    metadata = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    name = str(metadata.get("kernelspec", {}).get("name") or "python3")
    if name not in KernelSpecManager().find_kernel_specs():
        raise ParameterError(
            f"the Jupyter kernel {name!r} of {notebook.name} is not installed: run make setup, or "
            f"{Path(sys.executable).name} -m ipykernel install --sys-prefix --name {name}"
        )
    return name


def _url(host: str, port: int, token: str) -> str:
    import socket

    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def _stop(server: Any, seconds: float = 20) -> None:
    """Ask Voilà to stop (it shuts its kernels down on SIGTERM), then make sure it has."""
    import subprocess

    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the capture form as a web page (Voilà) that saves into the programme's log."""
    import importlib.util
    import os
    import secrets
    import signal
    import subprocess
    import tempfile
    import time

    if importlib.util.find_spec("voila") is None:
        raise ParameterError(_INSTALL_HINT)
    spec = "" if args.store and not args.spec else (args.spec or DEFAULT_SPEC)
    if spec and not Path(spec).is_file():
        given = "" if args.spec else " (the demo's: run evalkit demo, or give your spec)"
        raise ParameterError(f"no programme spec at {spec}{given}")
    spec = str(Path(spec).resolve()) if spec else ""
    store = str(Path(args.store).resolve()) if args.store else ""
    template = args.template
    if Path(template).suffix in {".yaml", ".yml"}:
        template = str(Path(template).resolve())
    found = _preflight(template, spec, store)
    notebook = Path(found["notebook"])
    _kernel_name(notebook)
    host, port = args.host, args.port
    if _port_taken(host, port):
        raise ParameterError(f"port {port} on {host} is in use: choose another with --port")
    # Reachable from other machines: a token in the address keeps out whoever lacks it.
    token = "" if is_loopback(host) else secrets.token_urlsafe(16)
    jupyter_path = os.pathsep.join(
        p for p in (found["voila_data"], os.environ.get("JUPYTER_PATH")) if p
    )
    env = {
        **os.environ,
        "JUPYTER_PATH": jupyter_path,  # where Voila finds the page's template
        "EVALKIT_CAPTURE_SPEC": spec,
        "EVALKIT_CAPTURE_STORE": store,
        "EVALKIT_CAPTURE_TEMPLATE": template,
    }
    command = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        f"--port={port}",
        f"--Voila.ip={host}",
        "--Voila.port_retries=0",
        "--no-browser",
        "--show_tracebacks=False",  # the page says a cell failed; the details go to the log
        "--strip_sources=True",
        f"--template={found['voila_template']}",
        "--Voila.log_level=WARN",
        f"--token={token}",
    ]
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as log:
        # Its own session: Ctrl-C reaches this process, which stops Voila cleanly (SIGTERM),
        # so that Voila shuts its kernels down and nothing prints a traceback.
        server = subprocess.Popen(
            command,
            cwd=found["root"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            deadline = time.monotonic() + _START_SECONDS
            while not _listening(host, port):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    lines = [line for line in log.read().splitlines() if line.strip()]
                    _stop(server)
                    raise ParameterError(
                        "the capture page did not start"
                        + (f": {lines[-1].strip()}" if lines else "")
                    )
                time.sleep(0.2)
            url = _url(host, port, token)
            if not is_loopback(host):
                print(
                    f"evalkit: warning: the capture page is served on {host}, so other machines "
                    "can reach it: reflections are personal data; serve it on a network you "
                    "trust, only while people use it, and share its address only with them",
                    file=sys.stderr,
                )
            where = f" for {found['programme']}" if found["programme"] else ""
            print(
                f"capture form{where} at {url}  (saves into {found['store']}; Ctrl-C stops it)",
                flush=True,
            )
            if not args.no_browser:
                _open_browser(url)
            server.wait()
            log.seek(0)
            lines = [line for line in log.read().splitlines() if line.strip()]
            raise ParameterError(
                "the capture page stopped" + (f": {lines[-1].strip()}" if lines else "")
            )
        except KeyboardInterrupt:
            _stop(server)
            print("capture page stopped", flush=True)
            return 0
        finally:
            _stop(server)
            signal.signal(signal.SIGTERM, previous)


def _open_browser(url: str) -> None:
    """Open ``url`` in a graphical browser if there is one (never a text browser in the terminal)."""
    import os
    import webbrowser

    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return
    if type(browser).__name__ in {"GenericBrowser", "BackgroundBrowser"} and any(
        text in getattr(browser, "name", "") for text in ("lynx", "links", "w3m", "www-browser")
    ):
        return
    browser.open(url)


def register(subparsers: Any) -> None:
    """Add ``evalkit reflect`` and its subcommands."""
    parser = subparsers.add_parser(
        "reflect",
        help="learning log: capture, review, code and share reflections",
        description=(
            "A learning log for Human Learning Systems reflections. Authors are pseudonymised,\n"
            "text is redacted, and only reviewed, consented reflections are ever shared."
        ),
        epilog=(
            "examples:\n"
            "  evalkit reflect add --programme family-support          answer the four questions\n"
            "  evalkit reflect import form.csv --mapping map.yaml --programme family-support\n"
            "  evalkit reflect review 12 --programme family-support\n"
            "  evalkit reflect export --format qdpx --output log.qdpx --programme family-support\n"
            "  evalkit reflect erase 12 --by 'data protection lead' --reason 'erasure request' \\\n"
            "      --programme family-support\n"
            "  evalkit reflect serve data/raw/demo/family-support.yaml   the form as a web page\n"
            "Run 'evalkit reflect COMMAND --help' for each command's options."
        ),
        formatter_class=help_formatter,
    )
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = _subparser(
        sub,
        "add",
        "add a reflection by answering the template's questions, or from a YAML/Markdown file",
        "  evalkit reflect add --programme family-support --template gibbs\n"
        "  evalkit reflect add --store log.sqlite --file reflection.yaml\n"
        "  evalkit reflect add --programme family-support --file notes.md --names 'Sam Reid'\n"
        "\nA YAML file holds the fields (programme, locality, period, author, role ...) and\n"
        "either the four slots (what_we_tried ...) or 'answers:' by question id. A Markdown\n"
        "file has the fields as front matter between '---' lines and one '## Question'\n"
        "section per answer.",
    )
    _store_options(p)
    p.add_argument("--file", metavar="FILE", help="a .yaml or .md reflection (else you are asked)")
    p.add_argument("--template", help=f"template name or YAML path ({', '.join(list_templates())})")
    p.add_argument("--locality", help="ONS code of the locality")
    p.add_argument("--period", help="quarter or month, e.g. 2024Q3")
    p.add_argument("--cycle", help="learning cycle")
    p.add_argument("--author", help="your name (stored only as a pseudonym)")
    p.add_argument("--role", help="your role, e.g. 'frontline worker'")
    p.add_argument("--scale", choices=SYSTEM_SCALES, help="system scale")
    p.add_argument("--confidence", choices=CONFIDENCE, help="how sure we are")
    p.add_argument("--scope", choices=SHARING_SCOPES, help="who may see it once reviewed")
    p.add_argument("--consent", choices=("yes", "no"), help="may it be shared once reviewed")
    p.add_argument("--names", nargs="*", metavar="NAME", help="names to redact from the text")
    p.add_argument("--draft", action="store_true", help="keep as a draft (not sent for review)")
    p.set_defaults(func=_guarded(cmd_add))

    p = _subparser(
        sub,
        "import",
        "import reflections from a CSV or Excel export of an online form",
        "  evalkit reflect import data/raw/demo/reflections.csv --programme family-support\n"
        "  evalkit reflect import form.xlsx --mapping mapping.yaml --store log.sqlite\n"
        "  evalkit reflect import form.csv --mapping mapping.yaml --all-or-nothing --programme p\n"
        "\nEvery row is checked first. A row with any problem is rejected whole and reported\n"
        "(row, column, value, expected); the other rows are imported in one transaction.\n"
        "With --all-or-nothing, one rejected row means nothing is imported. Exit status 1 when\n"
        "any row was rejected. See evalkit.learning.importing for the mapping file.",
    )
    p.add_argument("file", help="the .csv or .xlsx file")
    p.add_argument("--mapping", metavar="MAP.yaml", help="column mapping (default: same names)")
    _store_options(p)
    p.add_argument("--all-or-nothing", action="store_true", help="import nothing if any row fails")
    p.add_argument("--encoding", default="utf-8", help="CSV text encoding (default utf-8)")
    p.add_argument("--names-file", metavar="FILE", help="names to redact, one per line")
    p.set_defaults(func=_guarded(cmd_import))

    p = _subparser(
        sub,
        "list",
        "list reflections with their status (with --text, the start of their redacted text)",
        "  evalkit reflect list --programme family-support\n"
        "  evalkit reflect list --store log.sqlite --status redaction_pending\n"
        "  evalkit reflect list --programme family-support --locality E08000012 --text\n"
        "\nOnly redacted text is ever listed; the original text stays in the store.",
    )
    _store_options(p)
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--locality")
    p.add_argument("--period")
    p.add_argument(
        "--text", action="store_true", help="also show the start of each one's redacted text"
    )
    p.set_defaults(func=_guarded(cmd_list))

    p = _subparser(
        sub,
        "review",
        "show a reflection's redacted text and record a person's review",
        "  evalkit reflect review 12 --programme family-support\n"
        "  evalkit reflect review 12 --accept --by 'Jo Reviewer' --shareable --programme p\n"
        '  evalkit reflect review 12 --accept --by Jo --edit "what_happened=[NAME] said ..."\n',
    )
    p.add_argument("id", type=int)
    _store_options(p)
    p.add_argument("--accept", action="store_true", help="record that you reviewed the redaction")
    p.add_argument("--by", help="who reviewed (stored as a pseudonym)")
    p.add_argument(
        "--shareable", action="store_true", help="also mark it shareable (needs consent)"
    )
    p.add_argument("--edit", action="append", metavar="SLOT=TEXT", help="corrected redacted text")
    p.add_argument("--note", default="", help="a note for the audit trail")
    p.set_defaults(func=_guarded(cmd_review))

    p = _subparser(
        sub,
        "status",
        "move a reflection along the workflow, or withdraw it",
        "  evalkit reflect status 12 submitted --by 'Alex Morgan' --programme family-support\n"
        "  evalkit reflect status 12 withdrawn --by 'Alex Morgan' --note 'consent withdrawn' "
        "--programme p\n"
        "\nWorkflow: draft -> submitted -> redaction_pending -> reviewed -> shareable;\n"
        "withdrawn (from any state, final) removes it from every later output. To remove\n"
        "its text from the store as well, use 'evalkit reflect erase'.",
    )
    p.add_argument("id", type=int)
    p.add_argument("status", choices=STATUSES)
    _store_options(p)
    p.add_argument("--by", required=True, help="who made the change (stored as a pseudonym)")
    p.add_argument("--note", default="")
    p.set_defaults(func=_guarded(cmd_status))

    p = _subparser(
        sub,
        "erase",
        "erase a reflection's text from the store and its history (the right to erasure)",
        "  evalkit reflect erase 12 --programme family-support --by 'data protection lead' \\\n"
        "      --reason 'erasure request from the author'\n"
        "  evalkit reflect erase 12 --store log.sqlite --by 'learning partner' "
        "--reason 'named a child'\n"
        "\nThe reflection is withdrawn, and its text - original and redacted, every slot, the\n"
        "template's private answers - is removed from the store and from every version in its\n"
        "history, then the file is rewritten so that the text cannot be recovered. The history\n"
        "keeps who erased it (a role), when and why. Erasure cannot be undone. Files exported\n"
        "before it are not touched: delete those separately.",
    )
    p.add_argument("id", type=int)
    _store_options(p)
    p.add_argument(
        "--by", required=True, metavar="ROLE", help="your role (recorded as given: not a name)"
    )
    p.add_argument("--reason", required=True, metavar="TEXT", help="why it is erased")
    p.set_defaults(func=_guarded(cmd_erase))

    p = _subparser(
        sub,
        "codebook",
        "load a codebook YAML (name, definition, parent) into the store",
        "  evalkit reflect codebook codes.yaml --by 'Jo Coder' --programme family-support\n",
    )
    p.add_argument("file")
    _store_options(p)
    p.add_argument("--by", required=True)
    p.set_defaults(func=_guarded(cmd_codebook))

    p = _subparser(
        sub,
        "code",
        "apply a code to a reflection (or one slot of it)",
        "  evalkit reflect code 12 continuity --by 'Jo Coder' --programme family-support\n"
        "  evalkit reflect code 12 venues --slot what_we_learned --by Jo --store log.sqlite\n",
    )
    p.add_argument("id", type=int)
    p.add_argument("code")
    _store_options(p)
    p.add_argument("--by", required=True, help="who applied the code")
    p.add_argument("--slot", choices=SLOTS)
    p.set_defaults(func=_guarded(cmd_code))

    p = _subparser(
        sub,
        "suggest",
        "suggest codes for shareable reflections (suggestions only: nothing is applied)",
        "  evalkit reflect suggest --programme family-support --top 2\n",
    )
    _store_options(p)
    p.add_argument("--locality")
    p.add_argument("--top", type=int, default=3)
    p.set_defaults(func=_guarded(cmd_suggest))

    p = _subparser(
        sub,
        "search",
        "search the redacted text of shareable reflections",
        "  evalkit reflect search school gate --programme family-support\n"
        "  evalkit reflect search budget --all --store log.sqlite\n"
        "      (--all includes reflections not yet shareable; withdrawn ones are never found)\n",
    )
    p.add_argument("query", nargs="+")
    _store_options(p)
    p.add_argument("--all", action="store_true", help="also search reflections not yet shareable")
    p.set_defaults(func=_guarded(cmd_search))

    p = _subparser(
        sub,
        "export",
        "export shareable reflections (CSV) or the codebook/project for NVivo, ATLAS.ti, QualCoder",
        "  evalkit reflect export --format csv --output shared.csv --programme family-support\n"
        "  evalkit reflect export --format qdc --output codebook.qdc --programme family-support\n"
        "  evalkit reflect export --format qdpx --output project.qdpx --store log.sqlite\n",
    )
    _store_options(p)
    p.add_argument("--format", choices=("csv", "qdc", "qdpx"), required=True)
    p.add_argument("--output", required=True, metavar="PATH")
    p.add_argument("--locality", help="only this locality (csv)")
    p.add_argument(
        "--audience",
        choices=SHARING_SCOPES,
        default="programme",
        help="who receives it: only reflections shared at least this widely (default programme)",
    )
    p.set_defaults(func=_guarded(cmd_export))

    p = _subparser(
        sub,
        "action",
        "record an action: what will change, who (by role) takes it forward, by when",
        "  evalkit reflect action --programme family-support --locality E08000012 \\\n"
        "      --description 'Book community venues' --owner-role provider --due 2024-12-31 \\\n"
        "      --from-reflection 12 --by 'Jo Partner'\n",
    )
    _store_options(p)
    p.add_argument("--locality", required=True)
    p.add_argument("--description", required=True, help="redacted like reflection text")
    p.add_argument("--owner-role", required=True, help="a role, not a person")
    p.add_argument("--due", required=True, metavar="DATE", help="due date, e.g. 2024-12-31")
    p.add_argument("--cycle", help="learning cycle")
    p.add_argument("--from-reflection", type=int, metavar="ID", help="the reflection it came from")
    p.add_argument("--names", nargs="*", metavar="NAME", help="names to redact")
    p.add_argument("--by", required=True)
    p.set_defaults(func=_guarded(cmd_action))

    p = _subparser(
        sub,
        "follow-up",
        "record how an action was followed up (the reflection that did, and its status)",
        "  evalkit reflect follow-up 3 --reflection 27 --status done --by 'Jo' --programme p\n"
        "  evalkit reflect follow-up 4 --status dropped --by 'Jo' --store log.sqlite\n",
    )
    p.add_argument("id", type=int, help="the action")
    _store_options(p)
    p.add_argument("--reflection", type=int, metavar="ID", help="the follow-up reflection")
    p.add_argument("--status", choices=ACTION_STATUSES, default="done")
    p.add_argument("--by", required=True)
    p.set_defaults(func=_guarded(cmd_follow_up))

    p = _subparser(
        sub,
        "actions",
        "list open actions and learning cycles that have gone quiet (prompts, not ratings)",
        "  evalkit reflect actions --programme family-support\n"
        "  evalkit reflect actions --store log.sqlite --overdue --today 2024-11-15 --weeks 6\n",
    )
    _store_options(p)
    p.add_argument("--locality")
    p.add_argument("--overdue", action="store_true", help="only actions past their due date")
    p.add_argument("--today", metavar="DATE", help="the reference date (default today)")
    p.add_argument("--weeks", type=int, default=8, help="weeks without a reflection = quiet")
    p.set_defaults(func=_guarded(cmd_actions))

    p = _subparser(
        sub,
        "templates",
        "list the reflection templates and how their questions map onto the four slots",
        "  evalkit reflect templates\n"
        "  EVALKIT_TEMPLATES=my_templates evalkit reflect templates   (add your own YAML files)\n",
    )
    p.set_defaults(func=_guarded(cmd_templates))

    p = _subparser(
        sub,
        "serve",
        "serve the capture form as a web page (Voila) for people who do not use notebooks",
        "  evalkit reflect serve                          the demo's programme, on this machine\n"
        "  evalkit reflect serve data/raw/hp/homelessness-prevention.yaml --template gibbs\n"
        "  evalkit reflect serve SPEC --port 8870 --no-browser\n"
        "  evalkit reflect serve SPEC --host 0.0.0.0      reachable from phones on your network\n"
        "\nThe page is notebooks/capture_reflection.ipynb shown through Voila, without its code:\n"
        "the same form as in JupyterLab, sized for a phone. Each reflection is saved into the\n"
        "programme's learning log (data/processed/PROGRAMME/learning.sqlite, from the spec),\n"
        "pseudonymised and redacted, and waits for a person's review (redaction_pending).\n"
        "Consent and who may see it are asked on the form. By default only this machine can\n"
        "open the page (127.0.0.1); with another --host the address carries a token, and\n"
        "reflections are personal data: serve them only on a network you trust. Needs Voila:\n"
        "pip install 'evalkit[capture]'. Ctrl-C stops the page.",
    )
    p.add_argument(
        "spec",
        nargs="?",
        metavar="SPEC",
        help=f"the programme spec (default {DEFAULT_SPEC}, the demo's)",
    )
    p.add_argument(
        "--store", metavar="PATH", help="save into this learning log instead of the spec's"
    )
    p.add_argument(
        "--template",
        default="hls",
        help=f"template name or YAML path ({', '.join(list_templates())}; default hls)",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 8866)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open the page in a browser")
    p.set_defaults(func=_guarded(cmd_serve))
