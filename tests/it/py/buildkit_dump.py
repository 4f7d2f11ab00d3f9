"""Parse Dockerfiles with BuildKit's Go parser (PyPI `dockerfile`) and print
one JSON object: path -> list of commands, or {"error": message}."""
import json
import sys

import dockerfile

out = {}
for path in sys.argv[1:]:
    try:
        cmds = dockerfile.parse_file(path)
    except dockerfile.GoParseError as e:
        out[path] = {"error": str(e)}
        continue
    out[path] = [
        {
            "cmd": c.cmd,
            "sub_cmd": c.sub_cmd,
            "json": c.json,
            "original": c.original,
            "start_line": c.start_line,
            "end_line": c.end_line,
            "flags": list(c.flags),
            "value": list(c.value),
            "heredocs": [[h.name, h.file_descriptor, h.content] for h in c.heredocs],
        }
        for c in cmds
    ]
json.dump(out, sys.stdout)
