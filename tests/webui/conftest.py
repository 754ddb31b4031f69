"""Fixtures of the web UI tests: the app on the test database (SQLite or PostgreSQL), people of every role,
and a client that logs in and sends the CSRF token like a browser does."""
from __future__ import annotations

import functools
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from engine import Actor, Member
from engine.models import Desk
from tests.conftest import ROOT, SHIPPED_PATHWAYS
from webui import create_app
from webui.models import DeskMembership, User

SHIPPED_ASSESSMENTS = ROOT / "assessments"
PASSWORD = "correct horse battery"
# The real algorithm with lighter parameters: logins in tests stay fast.
TEST_PASSWORD_METHOD = "scrypt:4096:8:1"


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    name: str
    roles: tuple[str, ...]
    desks: tuple[str, ...] = ()

    @property
    def actor(self) -> Actor:
        return Actor.of(self.id, self.roles, self.desks)

    @property
    def member(self) -> Member:
        return Member(self.id, self.name)


PEOPLE = {
    "admin": Person("adm", "admin@test.example", "Ada Admin", ("admin",)),
    "operator": Person("op.genova", "op@genova.example", "Giulia Parodi", ("operator",), ("genova",)),
    "other_operator": Person("op.nice", "op@nice.example", "Claire Martin", ("operator",), ("nice",)),
    "mentor": Person("men.rossi", "rossi@test.example", "Elena Rossi", ("mentor",)),
    "other_mentor": Person("men.dubois", "dubois@test.example", "Antoine Dubois", ("mentor",)),
    "designer": Person("des", "designer@test.example", "Sara Conti", ("designer",)),
    "worker": Person("w.anna", "anna@test.example", "Anna Rossi", ("worker",)),
}
WORKERS = [Member("w.anna", "Anna Rossi"), Member("w.luca", "Luca Ferrari"), Member("w.sara", "Sara Verdi")]


@pytest.fixture(scope="session")
def shipped_pathways():  # noqa: ANN201
    """The shipped pathway files, checked once per run (checking takes a second; registering is quick)."""
    from engine.library import check_directory

    report, _problems = check_directory(SHIPPED_PATHWAYS)
    assert all(c.valid for c in report), [p.format() for c in report for p in c.errors]
    return report


@pytest.fixture(scope="session")
def shipped_assessments():  # noqa: ANN201
    """The shipped assessment files (the common methodology), checked once per run."""
    from engine.assessment_scenarios import load_assessments

    report = list(load_assessments(SHIPPED_ASSESSMENTS).values()) if SHIPPED_ASSESSMENTS.is_dir() else []
    assert all(c.valid for c in report), [p.format() for c in report for p in c.errors]
    return report


@pytest.fixture(scope="session")
def compiled_translations(tmp_path_factory) -> Path:  # noqa: ANN001
    """The catalogues compiled once per run (the app compiles them into a new instance folder otherwise)."""
    from webui.i18n import compile_catalogs

    return compile_catalogs(tmp_path_factory.mktemp("translations"))


@pytest.fixture
def instance_path(tmp_path: Path, compiled_translations: Path) -> Path:
    """The app's instance folder, with the run's compiled catalogues (kept as new as their .po: not compiled again)."""
    instance = tmp_path / "instance"
    shutil.copytree(compiled_translations, instance / "translations")
    return instance


@pytest.fixture
def app(db_url: str, instance_path: Path, sessions, shipped_pathways, shipped_assessments):  # noqa: ANN001, ANN201
    application = create_app({
        "TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test secret key, long enough to sign",
        "INSTANCE_PATH": str(instance_path), "PATHWAYS_DIR": str(SHIPPED_PATHWAYS),
        "AUTO_UPGRADE": False, "SYNC_PATHWAYS": False, "PASSWORD_METHOD": TEST_PASSWORD_METHOD,
        "BASE_URL": "http://localhost",
    })
    library = application.extensions["opera"].library
    for checked in shipped_pathways:  # what `library.sync()` records, without checking the files again
        library.register(checked.pathway, checked.source.text, checked.file)
    for checked in shipped_assessments:
        application.extensions["opera"].assessments.register(checked.assessment, checked.source.text, checked.file)
    yield application
    from webui.portal.access_log import staff_views

    staff_views(application).write_pending()  # the views the test left: not written into the next test's database
    application.extensions["opera"].engine.dispose()


@functools.cache
def password_hash_of_the_tests() -> str:
    """PASSWORD hashed once per run: every account of a test has it (each login still checks it)."""
    return generate_password_hash(PASSWORD, method=TEST_PASSWORD_METHOD)


@pytest.fixture
def people(app, sessions):  # noqa: ANN001, ANN201
    """Two desks (genova IT, nice FR) and one account per role; workers of the test cases."""
    password_hash = password_hash_of_the_tests()
    with sessions.begin() as session:
        session.add_all([
            Desk(id="genova", name="Sportello Genova", country="IT", region="Liguria"),
            Desk(id="nice", name="Guichet Nice", country="FR", region="Provence-Alpes-Côte d'Azur"),
        ])
        session.flush()
        for person in PEOPLE.values():
            user = User(id=person.id, email=person.email, display_name=person.name, password_hash=password_hash,
                        roles=list(person.roles), language="en", disabled=False, failed_logins=0)
            user.desk_links = [DeskMembership(desk_id=d) for d in person.desks]
            session.add(user)
        for member in WORKERS[1:]:
            session.add(User(id=member.person_id, email=None, display_name=member.display_name, password_hash=None,
                             roles=["worker"], disabled=False, failed_logins=0))
    return PEOPLE


@pytest.fixture
def service(app):  # noqa: ANN001, ANN201
    return app.extensions["opera"].cases


@pytest.fixture
def files(app):  # noqa: ANN001, ANN201
    return app.extensions["opera"].files


class Browser:
    """A test client that logs in for real and posts forms with their CSRF token."""

    def __init__(self, client):  # noqa: ANN001
        self.client = client

    def login(self, person: Person, password: str = PASSWORD):  # noqa: ANN201
        page = self.client.get("/login")
        return self.client.post("/login", data={"email": person.email, "password": password,
                                               "csrf_token": csrf_from(page.text)})

    def get(self, url: str, **kwargs):  # noqa: ANN003, ANN201
        return self.client.get(url, **kwargs)

    def token(self) -> str:
        return csrf_from(self.client.get("/login" if not self.logged_in() else "/settings").text)

    def logged_in(self) -> bool:
        with self.client.session_transaction() as session:
            return "_user_id" in session

    def post(self, url: str, data: dict | None = None, **kwargs):  # noqa: ANN003, ANN201
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kwargs)


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def browser(app, people):  # noqa: ANN001, ANN201
    # Not `with app.test_client()`: a preserved context would share `g` with the other clients of a test.
    return Browser(app.test_client())


@pytest.fixture
def as_role(app, people):  # noqa: ANN001, ANN201
    """as_role("operator") -> a Browser logged in as that person (through the login page)."""
    clients = []

    def make(role: str) -> Browser:
        client = app.test_client()
        clients.append(client)
        b = Browser(client)
        response = b.login(people[role])
        assert response.status_code == 302, response.text
        return b

    yield make


def open_case(service, pathway: str = "wbo", desk: str = "genova", members=None, mentor: str | None = "mentor",  # noqa: ANN001, ANN201
              title: str = "") -> tuple[int, int]:
    operator = PEOPLE["operator"] if desk == "genova" else PEOPLE["other_operator"]
    mentors = [PEOPLE[mentor].member] if mentor else []
    receipt = service.open_case(operator.actor, pathway_id=pathway, desk_id=desk,
                                members=members if members is not None else WORKERS, mentors=mentors,
                                supply_chains=["nautical_shipbuilding"], title=title)
    return receipt.case_id, receipt.version


def version_of(html: str) -> int:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "no case version on the page"
    return int(found.group(1))
