"""Python side of test/python-interop.test.ts: reads one JSON request on stdin, writes one JSON reply.

It follows py-key-value 0.4's FernetEncryptionWrapper and FastMCP's key derivation, using only the
`cryptography` package:
  {"op": "decrypt", "keys": [...], "stored": [{...}, ...]}  -> {"values": [...]}
  {"op": "encrypt", "keys": [...], "values": [{...}, ...]}  -> {"stored": [...]}
  {"op": "fastmcp_key", "jwt_signing_key": "..."}            -> {"key": "..."}
Keys are newest first (MultiFernet). Errors are reported by type name only, never with data.
"""

import base64
import json
import sys

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


def multi(keys):
    return MultiFernet([Fernet(k) for k in keys])


def decrypt(fernet, stored):
    # py-key-value's _decrypt_value, raising instead of returning None.
    if "__encrypted_data__" not in stored:
        return stored
    data = stored["__encrypted_data__"]
    if not isinstance(data, str):
        raise ValueError("corrupted: data is not a string")
    if stored.get("__encryption_version__") != 1:
        raise ValueError("unsupported version")
    token = base64.b64decode(data, validate=True)
    return json.loads(fernet.decrypt(token))


def encrypt(fernet, value):
    json_str = json.dumps(value, separators=(",", ":"))
    token = fernet.encrypt(json_str.encode("utf-8"))
    return {"__encrypted_data__": base64.b64encode(token).decode("ascii"), "__encryption_version__": 1}


def main():
    request = json.load(sys.stdin)
    op = request["op"]
    if op == "decrypt":
        fernet = multi(request["keys"])
        reply = {"values": [decrypt(fernet, s) for s in request["stored"]]}
    elif op == "encrypt":
        fernet = multi(request["keys"])
        reply = {"stored": [encrypt(fernet, v) for v in request["values"]]}
    elif op == "fastmcp_key":
        # A string JWT signing key is stretched first (1,000,000 rounds), then the storage key is
        # HKDF over the text of the stretched key.
        stretched = PBKDF2HMAC(
            algorithm=hashes.SHA256(), length=32, salt=b"fastmcp-jwt-signing-key", iterations=1_000_000
        ).derive(request["jwt_signing_key"].encode("utf-8"))
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"fastmcp-storage-encryption-key", info=b"Fernet"
        ).derive(base64.urlsafe_b64encode(stretched))
        reply = {"key": base64.urlsafe_b64encode(derived).decode("ascii")}
    else:
        raise ValueError("unknown op")
    json.dump(reply, sys.stdout)


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # report the kind of failure only
        sys.stderr.write(type(exc).__name__ + "\n")
        sys.exit(1)
