"""Python side of test/python-pykv.test.ts: drives py-key-value's own stores (not a reimplementation).

It imports py-key-value (0.4.4) from the source folder named by OAUTH_KV_PY_KEY_VALUE_SRC (the
folder holding the `key_value` package, e.g. /work/vendor/py-key-value/src), then runs the
operations of one JSON request read from stdin against py-key-value's RedisStore or
PostgreSQLStore, optionally wrapped in its FernetEncryptionWrapper, and prints one JSON reply.

Request:
  {"backend": "redis", "url": "redis://...",
   "encryption_keys": ["<fernet key>", ...],           # optional: MultiFernet, newest first
   "ops": [{"op": "put", "collection": "c", "key": "k", "value": {...}, "ttl": 60}, ...]}
  {"backend": "postgres", "url": "postgres://...", "schema": "s", "table": "t", "ops": [...]}
Operations: setup, put, put_many (keys, values), get, get_many (keys), ttl, delete,
raw (what the store holds: the Redis string, or the PostgreSQL row with value::text).
Reply: {"results": [<one per op>]}. Failures print the exception type and message on stderr.

Only the Debian packages python3-redis (4.3), python3-asyncpg and python3-cryptography are needed:
py-key-value's `beartype` dependency is replaced by a no-op stand-in (it only adds runtime type
checks), and the Redis client is created here (redis-py 4.3 has `close`, not `aclose`).
"""

import asyncio
import datetime
import enum
import json
import os
import sys
import types
import warnings


def stub_beartype():
    """A stand-in for the `beartype` package: every decorator returns the function unchanged."""
    if "beartype" in sys.modules:
        return
    try:
        import beartype  # noqa: F401  (the real one, when installed)

        return
    except ImportError:
        pass

    class BeartypeStrategy(enum.Enum):
        O0 = 0
        O1 = 1
        Ologn = 2
        On = 3

    class BeartypeConf:
        def __init__(self, **_options):
            pass

    def beartype(func=None, **_options):
        return func if func is not None else (lambda f: f)

    package = types.ModuleType("beartype")
    package.__path__ = []
    package.BeartypeConf = BeartypeConf
    package.BeartypeStrategy = BeartypeStrategy
    package.beartype = beartype
    claw = types.ModuleType("beartype.claw")
    claw.beartype_this_package = lambda **_options: None
    package.claw = claw
    sys.modules["beartype"] = package
    sys.modules["beartype.claw"] = claw


def import_pykv():
    source = os.environ.get("OAUTH_KV_PY_KEY_VALUE_SRC", "/work/vendor/py-key-value/src")
    sys.path.insert(0, source)
    stub_beartype()
    # py-key-value warns that its Redis and PostgreSQL stores are "unstable" (API, not format).
    warnings.filterwarnings("ignore", message="A configured store is unstable")
    import key_value.aio  # noqa: F401

    return source


async def open_store(request):
    """Returns (store, raw reader, closer)."""
    backend = request["backend"]
    if backend == "redis":
        from redis.asyncio import Redis

        from key_value.aio.stores.redis import RedisStore

        client = Redis.from_url(request["url"], decode_responses=True)
        store = RedisStore(client=client)

        async def raw(op):
            return await client.get(f"{op['collection']}::{op['key']}")

        return store, raw, client.close
    if backend == "postgres":
        import asyncpg

        from key_value.aio.stores.postgresql import PostgreSQLStore

        pool = await asyncpg.create_pool(
            request["url"], min_size=1, max_size=2, server_settings={"search_path": request["schema"]}
        )
        table = request["table"]
        store = PostgreSQLStore(pool=pool, table_name=table)

        async def raw(op):
            row = await pool.fetchrow(
                f"SELECT value::text AS value, ttl, created_at, expires_at FROM {table} WHERE collection = $1 AND key = $2",
                op["collection"],
                op["key"],
            )
            if row is None:
                return None
            iso = lambda d: None if d is None else d.isoformat()  # noqa: E731
            return {"value": row["value"], "ttl": row["ttl"], "created_at": iso(row["created_at"]), "expires_at": iso(row["expires_at"])}

        return store, raw, pool.close
    raise ValueError(f"unknown backend {backend!r}")


def wrap(store, request):
    keys = request.get("encryption_keys")
    if not keys:
        return store
    from cryptography.fernet import Fernet, MultiFernet

    from key_value.aio.wrappers.encryption import FernetEncryptionWrapper

    return FernetEncryptionWrapper(key_value=store, fernet=MultiFernet([Fernet(k) for k in keys]))


async def run(request):
    store, raw, close = await open_store(request)
    kv = wrap(store, request)
    results = []
    try:
        async with store:
            for op in request["ops"]:
                name = op["op"]
                collection = op.get("collection")
                if name == "setup":
                    await store.setup()
                    results.append(True)
                elif name == "put":
                    await kv.put(op["key"], op["value"], collection=collection, ttl=op.get("ttl"))
                    results.append(True)
                elif name == "put_many":
                    await kv.put_many(op["keys"], op["values"], collection=collection, ttl=op.get("ttl"))
                    results.append(True)
                elif name == "get":
                    results.append(await kv.get(op["key"], collection=collection))
                elif name == "get_many":
                    results.append(await kv.get_many(op["keys"], collection=collection))
                elif name == "ttl":
                    value, ttl = await kv.ttl(op["key"], collection=collection)
                    results.append([value, ttl])
                elif name == "delete":
                    results.append(await kv.delete(op["key"], collection=collection))
                elif name == "raw":
                    results.append(await raw(op))
                else:
                    raise ValueError(f"unknown op {name!r}")
    finally:
        await close()
    return results


def main():
    import_pykv()
    request = json.loads(sys.stdin.read())
    results = asyncio.run(run(request))
    json.dump({"results": results}, sys.stdout, default=lambda o: o.isoformat() if isinstance(o, datetime.datetime) else str(o))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        # Prints the py-key-value version it found, or fails with the reason.
        source = import_pykv()
        from key_value.aio.stores.postgresql import PostgreSQLStore  # noqa: F401
        from key_value.aio.stores.redis import RedisStore  # noqa: F401
        from key_value.aio.wrappers.encryption import FernetEncryptionWrapper  # noqa: F401

        version = "unknown"
        pyproject = os.path.join(os.path.dirname(source), "pyproject.toml")
        if os.path.exists(pyproject):
            for line in open(pyproject, encoding="utf-8"):
                if line.startswith("version"):
                    version = line.split("=", 1)[1].strip().strip('"')
                    break
        print(version)
        sys.exit(0)
    try:
        main()
    except Exception as exc:  # noqa: BLE001
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        sys.exit(1)
