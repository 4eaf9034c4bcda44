"""Where a PostgreSQL collection lives, and talking to its server: the URI, the connection, errors.

A collection URI is a libpq URI with one extra query parameter, ``collection``, naming the
collection (``postgresql://user@host/db?collection=news`` or, on a Unix socket,
``postgresql://postgres:@/postgres?host=/tmp/pg&collection=news``). The parameter is removed
before connecting (libpq refuses parameters it does not know); the name must match a strict
pattern and becomes the schema ``interlingua_<name>``. Every identifier goes into SQL through
``psycopg.sql`` and every value as a bound parameter. Messages name the server without its
password.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ..errors import DatabaseError, InputError, MissingDependencyError

NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
SCHEMA_PREFIX = "interlingua_"
#: pgvector's first version with HNSW, and the first with iterative index scans
MIN_PGVECTOR = (0, 5, 0)
ITERATIVE_PGVECTOR = (0, 8, 0)
#: the first half of the writer lock's advisory key (the second: the schema's oid)
LOCK_CLASS = 0x494C


@dataclass(frozen=True)
class PgTarget:
    """One collection in one database: libpq's ``conninfo`` (no ``collection``), the name, its schema."""

    uri: str
    conninfo: str
    name: str

    @property
    def schema(self) -> str:
        return SCHEMA_PREFIX + self.name

    @property
    def server(self) -> str:
        """The server and database, for messages (no password)."""
        try:
            from psycopg.conninfo import conninfo_to_dict

            parts = conninfo_to_dict(self.conninfo)
        except Exception:  # noqa: BLE001 - a URI libpq cannot read is reported when connecting
            return "the PostgreSQL server of the URI"
        host = parts.get("host") or "localhost"
        port = f":{parts['port']}" if parts.get("port") else ""
        db = parts.get("dbname") or parts.get("user") or "(default)"
        user = f", user {parts['user']}" if parts.get("user") else ""
        return f"PostgreSQL server {host}{port} (database {db}{user})"

    @property
    def display(self) -> str:
        """The collection's URI without its password (for reports and messages)."""
        text = re.sub(r"^(\w+://[^:/@?]*):[^@/?]*@", r"\1@", self.uri)
        return re.sub(r"([?&]password=)[^&]*", r"\1***", text)


def parse_uri(uri: Any) -> PgTarget:
    """The target of a ``postgresql://...?collection=NAME`` URI (an InputError says what is wrong)."""
    text = str(uri)
    if "://" not in text or text.split("://", 1)[0].lower() not in ("postgresql", "postgres"):
        raise InputError(f"{text!r} is not a postgresql:// URI.")
    base, _, query = text.partition("?")
    kept, names = [], []
    for item in query.split("&") if query else []:
        key, _, value = item.partition("=")
        if unquote(key) == "collection":
            names.append(unquote(value))
        elif item:
            kept.append(item)
    shown = re.sub(r"^(\w+://[^:/@?]*):[^@/?]*@", r"\1@", text)
    if len(names) != 1:
        raise InputError(
            f"The collection URI {shown!r} must name one collection with ?collection=NAME "
            f"(or &collection=NAME after other parameters); it names {len(names)}."
        )
    name = names[0]
    if not NAME.match(name):
        raise InputError(
            f"The collection name {name[:80]!r} is not allowed: use 1-48 lowercase letters, digits and "
            "underscores, starting with a letter (it names the schema interlingua_<name>)."
        )
    return PgTarget(text, base + ("?" + "&".join(kept) if kept else ""), name)


def psycopg_module() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise MissingDependencyError("PostgreSQL collections", "pg") from exc
    return psycopg


def connect(target: PgTarget, *, readonly: bool) -> Any:
    """An autocommit connection whose ``search_path`` is the collection's schema, then pgvector's."""
    psycopg = psycopg_module()
    try:
        conn = psycopg.connect(target.conninfo, autocommit=True, application_name="interlingua")
    except psycopg.ProgrammingError as exc:  # libpq cannot read the URI
        raise InputError(f"Cannot read the PostgreSQL URI {target.display!r}: {_first_line(exc)}") from None
    except psycopg.Error as exc:
        raise DatabaseError(
            f"Cannot connect to {target.server}: {_first_line(exc)}. Start the server (a local one: "
            "`interlingua db start FOLDER`) or fix the host, port, user and password in the URI."
        ) from None
    # no server-side prepared statements: a cached generic plan would ignore the planner settings
    # each search sets for itself (exact scans, iterative index scans)
    conn.prepare_threshold = None
    try:
        with db_errors(target):
            if readonly:
                conn.execute("SET default_transaction_read_only = on")
            set_search_path(conn, target)
    except BaseException:
        conn.close()
        raise
    return conn


def pgvector(conn: Any) -> tuple[str, tuple[int, ...]] | None:
    """(schema, version) of the pgvector extension in this database, None when it is not there."""
    row = conn.execute(
        "SELECT n.nspname, e.extversion FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'vector'"
    ).fetchone()
    if row is None:
        return None
    return row[0], version_tuple(row[1])


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def set_search_path(conn: Any, target: PgTarget) -> None:
    from psycopg import sql

    found = pgvector(conn)
    path = [sql.Identifier(target.schema)]  # then pgvector's schema (where a new extension goes: public)
    if found is None or found[0] != target.schema:
        path.append(sql.Identifier(found[0] if found is not None else "public"))
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.SQL(", ").join(path)))


def ensure_pgvector(conn: Any, target: PgTarget) -> tuple[int, ...]:
    """Install pgvector in the database when missing (``CREATE EXTENSION IF NOT EXISTS vector``);
    its version. A server without it, a user who may not install it, a version without HNSW:
    one DatabaseError with the fix."""
    psycopg = psycopg_module()
    found = pgvector(conn)
    if found is None:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.errors.InsufficientPrivilege:
            raise DatabaseError(
                f"{target.server}: the user may not install pgvector in this database; ask an administrator "
                "to run `CREATE EXTENSION vector;` in it once, then try again."
            ) from None
        except psycopg.Error as exc:
            raise DatabaseError(
                f"{target.server} has no pgvector extension ({_first_line(exc)}); install pgvector >= 0.8 on the "
                "server (Debian/Ubuntu: the postgresql-NN-pgvector package), or use a local server with "
                "`interlingua db start FOLDER`."
            ) from None
        set_search_path(conn, target)
        found = pgvector(conn)
    if found is None or found[1] < MIN_PGVECTOR:
        have = "none" if found is None else ".".join(map(str, found[1]))
        raise DatabaseError(
            f"{target.server} has pgvector {have}, which has no HNSW index; update it "
            "to >= 0.8 (`ALTER EXTENSION vector UPDATE;` after installing the new version)."
        )
    return found[1]


@contextlib.contextmanager
def db_errors(target: PgTarget, doing: str = "") -> Iterator[None]:
    """Errors of the server as one line an user can act on: a lost connection, no permission, a
    collection removed under us; the rest of psycopg's errors as DatabaseError naming the server."""
    psycopg = psycopg_module()
    try:
        yield
    except psycopg.errors.InsufficientPrivilege as exc:
        raise DatabaseError(
            f"{target.server}: permission denied{' to ' + doing if doing else ''} ({_first_line(exc)}); an "
            "administrator can grant it (to make collections: GRANT CREATE ON DATABASE; to use this one: "
            f"GRANT USAGE ON SCHEMA {target.schema} and rights on its tables), or use another user."
        ) from None
    except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
        raise InputError(
            f"No collection {target.name!r} in {target.server} (it was removed, or never created); "
            "create it with `interlingua index create URI`."
        ) from None
    except psycopg.OperationalError as exc:
        raise DatabaseError(
            f"Lost the connection to {target.server}: {_first_line(exc)}. Check that the server runs, then try "
            "again (nothing of an unfinished batch was stored)."
        ) from None
    except psycopg.DataError as exc:
        raise InputError(f"{target.display}: the server refused a value: {_first_line(exc)}") from None
    except (psycopg.errors.IntegrityError, psycopg.errors.QueryCanceled):
        raise
    except psycopg.Error as exc:
        raise DatabaseError(f"{target.server}: {_first_line(exc)}") from None


def on_db(method: Callable) -> Callable:
    """A method that talks to the server: serialized on the object's connection (a served reader
    is shared by threads), its errors turned into one clear line (``db_errors``)."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self._conn is None:
            raise InputError(f"The collection {self.target.display} is closed.")
        with self._mutex, db_errors(self.target):
            return method(self, *args, **kwargs)

    return wrapper


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


__all__ = [
    "ITERATIVE_PGVECTOR",
    "LOCK_CLASS",
    "NAME",
    "PgTarget",
    "connect",
    "db_errors",
    "ensure_pgvector",
    "on_db",
    "parse_uri",
    "pgvector",
    "psycopg_module",
]
