"""A non-Java agent: librdkafka's default partitioner, Avro single-object encoding from the .avsc files only.
Publishes N speculative `echo` requests, waits for their results, reports an outcome for each (3 in 4 used).

    apt-get install python3-confluent-kafka python3-avro
    ./toolformer up --broker-port 9092 &
    python3 docs/examples/python_agent.py schemas/src/main/avro 127.0.0.1:9092 200
    curl -s http://127.0.0.1:8080/api/speculation     # hits 150, misses 50, unresolved 0 for tool echo

Not run by the test suite (CI has no Python Kafka client); ForeignProducerIT and SpeculationAnyPartitionerIT
cover the same ground in Java."""
import io, json, struct, sys, time, uuid
from datetime import datetime, timezone
import avro.io, avro.schema
from confluent_kafka import Producer, Consumer

SCHEMAS = sys.argv[1]
BOOT = sys.argv[2]
N = int(sys.argv[3])

def rabin(data: bytes) -> int:
    EMPTY = 0xc15d213aa4d7a795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp & 0xffffffffffffffff)
    fp = EMPTY
    for b in data:
        fp = ((fp >> 8) ^ table[(fp ^ b) & 0xff]) & 0xffffffffffffffff
    return fp

def load(name):
    sc = avro.schema.parse(open(f"{SCHEMAS}/{name}.avsc").read())
    # python3-avro 1.11 keeps {"type":"long"} around logical types in its canonical form; the specification's
    # Parsing Canonical Form (and Java's) reduces a primitive schema to its name.
    import re
    canonical = re.sub(r'\{"type":"(null|boolean|int|long|float|double|bytes|string)"\}', r'"\1"', sc.canonical_form)
    return sc, struct.pack("<Q", rabin(canonical.encode()))

def encode(sc, fp, record):
    buf = io.BytesIO()
    avro.io.DatumWriter(sc).write(record, avro.io.BinaryEncoder(buf))
    return b"\xc3\x01" + fp + buf.getvalue()

req_sc, req_fp = load("ToolRequest")
out_sc, out_fp = load("SpeculationOutcome")
res_sc, res_fp = load("ToolResult")
tool = "pyagent_" + uuid.uuid4().hex[:6]
p = Producer({"bootstrap.servers": BOOT})  # default partitioner: consistent_random (CRC32)
c = Consumer({"bootstrap.servers": BOOT, "group.id": "pyagent-" + tool, "auto.offset.reset": "earliest"})
c.subscribe(["toolformer.results"])
c.poll(5)
ids = []
now = datetime.now(timezone.utc)
for i in range(N):
    rid = str(uuid.uuid4())
    ids.append(rid)
    rec = {"request_id": rid, "correlation_id": rid, "tool": "echo", "arguments_json": json.dumps({"tag": tool}),
           "timeout_ms": 10000, "submitted_at": now, "speculative": True}
    for f in req_sc.fields:
        if f.name not in rec and f.has_default:
            rec[f.name] = f.default
    p.produce("toolformer.requests", key=rid, value=encode(req_sc, req_fp, rec))
p.flush()
pending = set(ids)
used_count = 0
deadline = time.time() + 120
while pending and time.time() < deadline:
    m = c.poll(1.0)
    if m is None or m.error():
        continue
    rid = m.key().decode()
    if rid in pending:
        pending.discard(rid)
        used = (ids.index(rid) % 4) != 0
        used_count += used
        o = {"request_id": rid, "used": used, "decided_at": datetime.now(timezone.utc),
             "reason": "" if used else "agent took another path"}
        for f in out_sc.fields:
            if f.name not in o and f.has_default:
                o[f.name] = f.default
        p.produce("toolformer.speculation-outcomes", key=rid, value=encode(out_sc, out_fp, o))
p.flush()
c.close()
print(json.dumps({"sent": N, "results": N - len(pending), "outcomes_used": used_count,
                  "outcomes_wasted": N - len(pending) - used_count}))
