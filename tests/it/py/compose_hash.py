"""Compose v2's config hash from `docker compose config --format json` (stdin).

What `up` hashes (docker/compose pkg/compose/hash.go ServiceHash) is the
loaded service with build, pull_policy, scale, deploy.replicas, depends_on
and profiles cleared, marshalled by Go's encoding/json. `config --format
json` prints that model with struct field order kept, `$` re-escaped as
`$$`. Prints one line per service: name, hash, the JSON hashed.
"""
import hashlib
import json
import sys


def unescape(v):
    if isinstance(v, str):
        return v.replace("$$", "$")
    if isinstance(v, list):
        return [unescape(x) for x in v]
    if isinstance(v, dict):
        return {k: unescape(x) for k, x in v.items()}
    return v


def gojson(v):
    s = json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    for c, e in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                 ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        s = s.replace(c, e)
    return s


doc = json.load(sys.stdin)
for name, svc in doc["services"].items():
    svc = unescape(svc)
    for k in ("build", "pull_policy", "scale", "depends_on", "profiles"):
        svc.pop(k, None)
    if "deploy" in svc:
        svc["deploy"].pop("replicas", None)
    text = gojson(svc)
    print(name, hashlib.sha256(text.encode()).hexdigest(), text, sep="\t")
