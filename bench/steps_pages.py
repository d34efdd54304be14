"""Steps 6 and 7: the case list and the journey page, in-process and through a real server.

Both log in as an admin (made for the benchmark) and fetch ``/cases/`` and
``/cases/<child_ref>`` for a seeded sample of children.  The server step starts the app
on 127.0.0.1 (gunicorn with ``gunicorn.conf.py`` when the repository has one, otherwise
waitress) and drives it from 20 client threads; traffic is loopback only and bounded.
"""

import http.cookiejar
import random
import re
import secrets
import socket
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from sqlalchemy import select

from .harness import NotAvailable, Row, seconds, verdict
from .steps_import import ensure_loaded
from .worker import start_server

__all__ = ["in_process", "server", "percentile"]

ADMIN = "bench.admin"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CHILDREN_SAMPLED = 50


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), by linear interpolation between closest ranks."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def _routes(app) -> tuple[bool, bool]:
    rules = [r.rule for r in app.url_map.iter_rules()]
    has_list = "/cases/" in rules or "/cases" in rules
    has_page = any(r.startswith("/cases/<") and r.count("<") == 1 for r in rules)
    return has_list, has_page


def _admin_password(db) -> str:
    """Make (or reset) the benchmark's admin user; returns its password."""
    from sqlmodel import Session

    from audit_app.models import User, UserCreate
    from audit_app.passwords import hash_password
    from audit_app.users import create_user

    password = "bench " + secrets.token_urlsafe(18)
    with Session(db.engine) as session:
        user = session.execute(select(User).where(User.username == ADMIN)).scalars().first()
        if user is None:
            create_user(
                UserCreate(username=ADMIN, password=password, roles=["admin"]), session=session
            )
        else:
            user.password_hash = hash_password(password)
            session.add(user)
            session.commit()
    return password


def _sample_refs(db, seed: int) -> list[str]:
    from audit_app.models import Child

    with db.engine.connect() as conn:
        refs = list(conn.execute(select(Child.child_ref).order_by(Child.id)).scalars())
    if not refs:
        raise RuntimeError("the database holds no children")
    return random.Random(seed).sample(refs, min(CHILDREN_SAMPLED, len(refs)))


def _check(app) -> None:
    has_list, has_page = _routes(app)
    missing = [name for name, ok in (("/cases/", has_list), ("/cases/<ref>", has_page)) if not ok]
    if missing:
        raise NotAvailable(f"route {' and '.join(missing)} not registered yet")


def _summary(name: str, latencies: list[float], errors: list, total: int) -> str:
    shown = f" ({', '.join(sorted({str(e) for e in errors}))[:60]})" if errors else ""
    return (
        f"{name}: p50 {seconds(percentile(latencies, 50))}, p95 "
        f"{seconds(percentile(latencies, 95))} over {total:,} requests, "
        f"{len(errors)} errors{shown}"
    )


def _time_requests(client, urls: list[str], *, warm: int) -> tuple[list[float], list[int]]:
    """Each URL's latency in seconds, after ``warm`` untimed requests; non-200 statuses."""
    for url in urls[:warm]:  # warm up templates and caches
        client.get(url)
    latencies, errors = [], []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            errors.append(response.status_code)
    return latencies, errors


def in_process(ctx, db) -> list[Row]:
    ensure_loaded(ctx, db)
    app = db.app()
    _check(app)
    password = _admin_password(db)
    refs = _sample_refs(db, ctx.options.seed)
    client = app.test_client()
    page = client.get("/auth/login")
    login = client.post(
        "/auth/login",
        data={"username": ADMIN, "password": password, "csrf_token": TOKEN.search(page.text)[1]},
    )
    if login.status_code != 303:
        raise RuntimeError(f"benchmark admin could not log in ({login.status_code})")
    n = ctx.options.requests
    rows = []
    for name, urls in (
        ("case list /cases/", ["/cases/"] * n),
        ("journey page /cases/<ref>", [f"/cases/{refs[i % len(refs)]}" for i in range(n)]),
    ):
        latencies, errors = _time_requests(client, urls, warm=3)
        ctx.profiled(f"page-{name.split()[0]}-{db.kind}",
                     lambda u=urls[:20]: [client.get(x) for x in u])  # fmt: skip
        p95 = percentile(latencies, 95)
        rows.append(
            Row(
                f"6 {name}, in-process",
                db.label,
                _summary(name.split(" /")[0], latencies, errors, len(urls)),
                f"{len(urls)} requests",
                "p95 < 100 ms",
                verdict(p95 < 0.1 and not errors),
            )
        )
    rows.append(_filtered_lists(ctx, db, client, refs, n))
    return rows


#: The case list's filters measured one by one: (label, query string); ``{q}`` is a prefix
#: of a sampled child's ID (the last two characters left off: about a hundred children).
FILTERS = (
    ("CP category", "category=NEG"),
    ("anomaly", "anomaly=any"),
    ("age band", "age=10-15"),
    ("under 1", "age=0"),
    ("child ID", "q={q}"),
    ("team", "team={team}"),
)


def _filtered_lists(ctx, db, client, refs: list[str], n: int) -> Row:
    """The case list with each filter in turn: p95 per filter, the worst against the target."""
    from sqlmodel import Session

    from audit_app.cases.search import filter_choices

    with Session(db.engine) as session:
        teams = filter_choices(session)["team"]
    team = urllib.parse.quote(teams[0][0]) if teams else ""
    per_filter = max(10, n // 4)
    parts, worst, errors = [], 0.0, []
    for label, query in FILTERS:
        if "{team}" in query and not team:
            continue
        urls = [
            "/cases/?" + query.format(q=urllib.parse.quote(refs[i % len(refs)][:-2] or refs[0]),
                                      team=team)
            for i in range(per_filter)
        ]  # fmt: skip
        latencies, failed = _time_requests(client, urls, warm=2)
        errors += failed
        p95 = percentile(latencies, 95)
        worst = max(worst, p95)
        parts.append(f"{label} p50 {seconds(percentile(latencies, 50))}, p95 {seconds(p95)}")
    ctx.profiled(f"page-filtered-{db.kind}",
                 lambda: [client.get("/cases/?" + q.format(q=refs[0][:-2], team=team))
                          for _label, q in FILTERS])  # fmt: skip
    shown = f"; {len(errors)} errors ({', '.join(sorted(set(map(str, errors))))})" if errors else ""
    return Row(
        "6 case list with a filter, in-process",
        db.label,
        "; ".join(parts) + shown,
        f"{per_filter} requests per filter",
        "p95 < 100 ms",
        verdict(worst < 0.1 and not errors),
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())


def _get(opener, url: str, timeout: float = 30) -> tuple[int, str]:
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def _login(base: str, password: str):
    opener = _opener()
    status, html = _get(opener, base + "/auth/login")
    token = TOKEN.search(html)
    if status != 200 or not token:
        raise RuntimeError(f"login page answered {status}")
    data = urllib.parse.urlencode(
        {"username": ADMIN, "password": password, "csrf_token": token[1]}
    ).encode()
    try:
        opener.open(base + "/auth/login", data=data, timeout=30)
        raise RuntimeError("login did not redirect")
    except urllib.error.HTTPError as error:
        if error.code != 303:
            raise RuntimeError(f"login answered {error.code}") from None
    return opener


def _wait_for(base: str, proc, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}) before answering")
        try:
            status, _ = _get(_opener(), base + "/auth/login", timeout=2)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the server did not answer within 60 s")


def server(ctx, db) -> list[Row]:
    ensure_loaded(ctx, db)
    _check(db.app())
    password = _admin_password(db)
    refs = _sample_refs(db, ctx.options.seed)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = ctx.workdir / "logs" / f"server-{db.kind}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = start_server(db.url, port, log=log)
    clients = ctx.options.clients
    per_client = max(5, (2 * ctx.options.requests) // clients)
    results: dict[str, list[float]] = {"list": [], "page": []}
    errors: list[str] = []
    lock = threading.Lock()
    try:
        _wait_for(base, proc, time.monotonic() + 60)
        openers = [_login(base, password) for _ in range(clients)]
        barrier = threading.Barrier(clients)
        stop_at = time.monotonic() + 300  # bounded, whatever happens

        def work(index: int) -> None:
            opener = openers[index]
            # Untimed, as in-process: every client asks once for each page, all at once, so
            # every worker process has compiled its templates and opened its connections.
            for url in (base + "/cases/", f"{base}/cases/{refs[index % len(refs)]}"):
                try:
                    _get(opener, url)
                except OSError:
                    pass  # counted when it happens again in the timed requests
            barrier.wait()
            for i in range(per_client):
                if time.monotonic() > stop_at:
                    with lock:
                        errors.append("time limit")
                    return
                kind = "list" if i % 2 == 0 else "page"
                url = base + (
                    "/cases/" if kind == "list" else f"/cases/{refs[(index * 7 + i) % len(refs)]}"
                )
                started = time.perf_counter()
                try:
                    status, _ = _get(opener, url)
                except OSError as error:
                    status = type(error).__name__
                elapsed = time.perf_counter() - started
                with lock:
                    results[kind].append(elapsed)
                    if status != 200:
                        errors.append(str(status))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a stuck server is killed, by its own id
            proc.kill()
            proc.wait(timeout=15)
    everything = results["list"] + results["page"]
    if not everything:
        raise RuntimeError("no request completed")
    kind = "gunicorn (gunicorn.conf.py)" if _gunicorn() else "waitress, 8 threads"
    p95 = percentile(everything, 95)
    detail = "; ".join(
        _summary(name, lat, [], len(lat)).rsplit(",", 1)[0]
        for name, lat in (("case list", results["list"]), ("journey page", results["page"]))
        if lat
    )
    shown_errors = ", ".join(sorted(set(errors)))[:80]
    return [
        Row(
            "7 case list + journey page, real server, 20 clients",
            db.label,
            f"{kind}: all p50 {seconds(percentile(everything, 50))}, p95 {seconds(p95)}; "
            f"{detail}; {len(everything):,} requests in {wall:.1f} s after one untimed "
            f"request of each page per client "
            f"({len(everything) / wall:,.0f}/s); errors: {len(errors)}"
            + (f" ({shown_errors})" if errors else ""),
            f"{clients} clients x {per_client}",
            "p95 < 500 ms, no errors",
            verdict(p95 < 0.5 and not errors),
        )
    ]


def _gunicorn() -> bool:
    from .worker import ROOT

    return (ROOT / "gunicorn.conf.py").exists()
