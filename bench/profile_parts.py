"""Where a profiled server's CPU went, by part of the OCPP hot path.

    py-spy record -f raw -o stacks.txt --pid <server pid>   (or -- python bench/frames.py)
    python bench/profile_parts.py stacks.txt [--frames N]

Reads py-spy's collapsed stacks ("frame;frame;... count") and counts each sample to
the part its innermost recognised frame belongs to: asyncio and thread hand-offs
count only when nothing of ours or of a library below them was running. Printed as
shares of the samples and, with `--frames` (frames answered while sampling) and
`--rate` (samples per second), as µs per frame.
"""

import argparse
import sys

# Checked on each frame from the innermost outward; the first part a frame matches
# takes the sample.
PARTS = (
    ("parsing and encoding (JSON, framing)", ("json/", "orjson", "framing.py", "payloads.py")),
    ("schema validation", ("schemas.py", "jsonschema")),
    ("message log", ("message_log.py",)),
    (
        "live events and channel layer",
        ("stations/events.py", "channels/layers", "channel_layer", "channels_redis", "redis/"),
    ),
    ("ORM and database driver", ("django/db/", "psycopg")),
    (
        "socket layer (daphne, Twisted, autobahn)",
        (
            "daphne/",
            "twisted/",
            "autobahn/",
            "websockets/",
            "uvicorn/",
            "hypercorn/",
            "stations/sockets",
        ),
    ),
    (
        "services (business rules)",
        ("stations/services", "stations/metering", "stations/writers", "bulk.py"),
    ),
    ("dispatch and adapters", ("stations/ocpp",)),
)
FALLBACK = (
    ("thread hand-offs (asgiref, executor)", ("asgiref/", "concurrent/futures", "threading.py")),
    ("event loop (asyncio)", ("asyncio/",)),
)
IGNORED = ("setup (frames.py", "stations (frames.py", "setup (django/__init__")


def part_of(stack: list[str]) -> str:
    for table in (PARTS, FALLBACK):
        for frame in reversed(stack):
            for label, patterns in table:
                if any(pattern in frame for pattern in patterns):
                    return label
    return "other"


def tally(lines) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        stack_text, _, count = line.rstrip().rpartition(" ")
        if not stack_text or any(ignored in stack_text for ignored in IGNORED):
            continue
        label = part_of(stack_text.split(";"))
        counts[label] = counts.get(label, 0) + int(count)
    return counts


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stacks", help="py-spy raw output")
    parser.add_argument("--frames", type=int, default=0, help="Frames answered meanwhile.")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second.")
    args = parser.parse_args(argv)
    with open(args.stacks, encoding="utf-8") as stacks:
        counts = tally(stacks)
    whole = sum(counts.values()) or 1
    for label, count in sorted(counts.items(), key=lambda item: -item[1]):
        line = f"{label:44} {count / whole:6.1%}"
        if args.frames:
            line += f" {count / args.rate / args.frames * 1e6:8.0f} µs/frame"
        print(line)


if __name__ == "__main__":
    main(sys.argv[1:])
