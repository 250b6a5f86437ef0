#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (Fuzz/corpus/<target>/).

The face objects are made here, in exactly the shape the simulator's GenuineCaptureGenerator
writes (JSONEncoder, sorted keys): a sim-128 capture of a blink and a head turn at ~30 frames/s,
embeddings a fixed identity plus per-frame noise, normalised, as `embedding_b64` (little-endian
float32) or as a JSON array. Real bodies of every route are built around them, plus the edge
cases the decoders must survive: 18/19/20-digit numbers, exponents, underflow, escapes,
repeated keys, null, a BOM. Deterministic (seeded), so re-running rewrites the same files.

    python3 Fuzz/make_corpus.py
"""
import base64
import json
import math
import random
import re
import struct
import pathlib

corpus = pathlib.Path(__file__).resolve().parent / "corpus"


random.seed(0xC04905)
identity = [random.gauss(0, 1) for _ in range(128)]


def capture(frames, encoding):
    """One genuine-looking capture: blink around a third of the way, turn left after half."""
    result = []
    for index in range(frames):
        values = [v + random.gauss(0, 0.15) for v in identity]
        norm = math.sqrt(sum(v * v for v in values))
        values = [struct.unpack("<f", struct.pack("<f", v / norm))[0] for v in values]
        progress = index / max(frames - 1, 1)
        frame = {
            "t_ms": index * 33 + random.randint(0, 3),
            "yaw_deg": round(-25 * max(0.0, progress - 0.5) * 2 + random.gauss(0, 1), 3),
            "pitch_deg": round(random.gauss(0, 1.5), 3),
            "eyes_open": round(0.08 if abs(progress - 0.33) < 0.05 else 0.9 + random.uniform(0, 0.08), 3),
            "pad_score": round(random.uniform(0.9, 0.999), 4),
        }
        if encoding == "base64":
            frame["embedding_b64"] = base64.b64encode(b"".join(struct.pack("<f", v) for v in values)).decode()
        else:
            frame["embedding"] = [float(f"{v:.7g}") for v in values]
        result.append(frame)
    return json.dumps({"challenge_id": "chl_" + "a" * 26, "frames": result, "model": "sim-128"},
                      separators=(",", ":"), sort_keys=True)


def short(text, frames=3):
    """The same capture cut to its first frames: real values, small enough to mutate quickly."""
    value = json.loads(text)
    value["frames"] = value["frames"][:frames]
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def write(target, name, text):
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    data = text if isinstance(text, bytes) else text.encode()
    (folder / name).write_bytes(data)


def body(fields, face_text):
    return "{" + fields + ("," if fields else "") + '"face":' + face_text + "}"


full_b64 = capture(30, "base64")
full_array = capture(30, "array")
short_b64 = short(full_b64)
short_array = short(full_array, frames=2)
number = r"-?[0-9][0-9.eE+-]*"
frame_edits = [  # (name, pattern, replacement), applied to the first frame
    ("t-ms-18-digits", r'"t_ms":' + number, '"t_ms":999999999999999999'),
    ("t-ms-19-digits", r'"t_ms":' + number, '"t_ms":9999999999999999999'),
    ("t-ms-over-max", r'"t_ms":' + number, '"t_ms":1099511627777'),
    ("t-ms-negative", r'"t_ms":' + number, '"t_ms":-1'),
    ("t-ms-exponent", r'"t_ms":' + number, '"t_ms":1e3'),
    ("pad-underflow", r'"pad_score":' + number, '"pad_score":1e-400'),
    ("yaw-overflow", r'"yaw_deg":' + number, '"yaw_deg":1e400'),
    ("eyes-exponent", r'"eyes_open":' + number, '"eyes_open":1E0'),
    ("both-embeddings", r'"embedding_b64":', '"embedding":[0.5],"embedding_b64":'),
    ("repeated-t-ms", r'"t_ms":', '"t_ms":0,"t_ms":'),
    ("escaped-model", r'"model":"sim-128"', r'"model":"sim\\u002d128"'),
    ("null-model", r'"model":"sim-128"', '"model":null'),
]


def edit(text, pattern, replacement):
    edited = re.sub(pattern, replacement, text, count=1)
    assert edited != text, pattern
    return edited

# face-evidence: the face object alone and the erasure body (nothing but a face).
write("face-evidence", "genuine-full-base64.json", full_b64)
write("face-evidence", "genuine-full-array.json", full_array)
write("face-evidence", "genuine-short-base64.json", short_b64)
write("face-evidence", "genuine-short-array.json", short_array)
write("face-evidence", "erasure-base64.json", body("", short_b64))
write("face-evidence", "erasure-array.json", body("", short_array))
for name, old, new in frame_edits:
    write("face-evidence", f"edge-{name}.json", edit(short_b64, old, new))
write("face-evidence", "edge-bad-base64-length.json",
      json.dumps({"challenge_id": "chl_x", "model": "sim-128", "frames": [
          {"t_ms": 0, "embedding_b64": "AAAAAAA=", "yaw_deg": 0, "pitch_deg": 0, "eyes_open": 1, "pad_score": 1}]}))
write("face-evidence", "edge-huge-floats.json",
      json.dumps({"challenge_id": "chl_x", "model": "sim-128", "frames": [
          {"t_ms": 0, "embedding": [3.4e38, -3.4e38, 1e-45, 1e39], "yaw_deg": -180, "pitch_deg": 90, "eyes_open": 0, "pad_score": 1}]}))

# payment-body: POST /v1/payments.
write("payment-body", "genuine-full-base64.json", body('"amount":1234,"currency":"EUR"', full_b64))
write("payment-body", "genuine-short-base64-all-fields.json",
      body('"amount":5,"currency":"USD","capture_method":"manual","reference":"till 4 / 17","hint":{"phone_last4":"0042"}', short_b64))
write("payment-body", "genuine-short-array.json", body('"amount":700,"currency":"EUR"', short_array))
for name, amount in [("18-digits", "999999999999999999"), ("19-digits", "9999999999999999999"),
                     ("int64-min", "-9223372036854775808"), ("20-digits", "99999999999999999999"),
                     ("exponent", "1e3"), ("fraction", "1234.0"), ("negative-zero", "-0"), ("leading-zero", "01234")]:
    write("payment-body", f"edge-amount-{name}.json", body(f'"amount":{amount},"currency":"EUR"', short_b64))
write("payment-body", "edge-escaped-currency.json", body('"amount":1,"currency":"E\\u0055R"', short_b64))
write("payment-body", "edge-repeated-amount.json", body('"amount":1,"amount":2,"currency":"EUR"', short_b64))
write("payment-body", "edge-null-reference.json", body('"amount":1,"currency":"EUR","reference":null,"hint":null', short_b64))
write("payment-body", "edge-unknown-key.json", body('"amount":1,"currency":"EUR","tip":{"x":[1,2]}', short_b64))
write("payment-body", "edge-pretty-printed.json", json.dumps(json.loads(body('"amount":1,"currency":"EUR"', short_b64)), indent=2))
write("payment-body", "edge-bom.json", b"\xef\xbb\xbf" + body('"amount":1,"currency":"EUR"', short_b64).encode())
for name, old, new in frame_edits[:3]:
    write("payment-body", f"edge-{name}.json", body('"amount":1,"currency":"EUR"', edit(short_b64, old, new)))

# verification-body: POST /v1/verifications.
write("verification-body", "genuine-full-base64.json", body("", full_b64))
write("verification-body", "genuine-short-base64-all-fields.json",
      body('"customer_id":"cus_aaaaaaaaaaaaaaaaaaaaaaaaaa","hint":{"phone_last4":"1234"}', short_b64))
write("verification-body", "genuine-short-array.json", body("", short_array))
write("verification-body", "edge-escaped-customer.json", body('"customer_id":"cus_\\u0061"', short_b64))
write("verification-body", "edge-repeated-face.json", body('"face":{}', short_b64))
for name, old, new in frame_edits:
    write("verification-body", f"edge-{name}.json", body("", edit(short_b64, old, new)))

# enrolment-body: POST /v1/customers (and the money bodies of deposits and captures).
enrolment = '"name":"Ada Lovelace","phone":"+441234567890","consent":{"version":"2026-01","accepted":true},"initial_deposit":{"amount":10000,"currency":"EUR"}'
write("enrolment-body", "genuine-full-base64.json", body(enrolment, full_b64))
write("enrolment-body", "genuine-short-array.json", body(enrolment, short_array))
write("enrolment-body", "edge-deposit-19-digits.json", body(enrolment.replace('"amount":10000', '"amount":9999999999999999999'), short_b64))
write("enrolment-body", "edge-consent-string.json", body(enrolment.replace('"accepted":true', '"accepted":"true"'), short_b64))
write("enrolment-body", "edge-no-consent.json", body('"name":"Zo\\u00eb","phone":"1","initial_deposit":{"amount":0,"currency":"EUR"}', short_b64))
write("enrolment-body", "money.json", '{"amount":2500,"currency":"EUR"}')
write("enrolment-body", "money-19-digits.json", '{"amount":9999999999999999999,"currency":"EUR"}')
write("enrolment-body", "amount.json", '{"amount":5}')
write("enrolment-body", "amount-empty.json", '{}')

# strict-json: the reader's primitives, alone and in the harness's Sample document.
numbers = ["0", "-0", "123456789012345678", "1234567890123456789", "9223372036854775807", "-9223372036854775808",
           "99999999999999999999", "1e308", "1e309", "1e-400", "4.9e-324", "2.2250738585072011e-308", "0.1",
           "1.5E+3", "01", "1.", ".5", "-", "1e", "0.30000000000000004"]
for index, number in enumerate(numbers):
    write("strict-json", f"number-{index:02d}.json", number)
for index, text in enumerate(['"abc"', '"a\\nb"', '"\\u0041"', '""', '"caf\xc3\xa9"', '"unterminated']):
    write("strict-json", f"string-{index:02d}.json", text)
write("strict-json", "sample.json",
      '{"i":1,"d":0.5,"s":"x","t":"short","b":-1000,"u":1,"I":[1,-2,3],"D":[0.1,1e-5,-2.5E3],"S":["a",""],"c":[{"i":2,"c":[{"d":1e2}]}]}')
write("strict-json", "sample-repeated.json", '{"i":1,"i":2}')
write("strict-json", "sample-whitespace.json", ' \t\n{ "I" : [ 1 , 2 ] , "u" : 0.25 }\r\n')

# query: values and query strings of the auditor's routes.
queries = ["cursor=42&limit=100", "since=2027-01-15T08:00:00Z&until=2027-01-16T00:00:00.500Z",
           "2027-01-15T08:00:00.123456789+01:00", "99999999999999999999", "9999-12-31T23:59:59-23:59",
           "0000-01-01T00:00:00+23:59", "account_id=acc_aaaaaaaaaaaaaaaaaaaaaaaaaa&action=payment.approved",
           "limit=0&cursor=-1", "limit=1001&cursor=9223372036854775807", "since=2027-02-30T25:61:61Z",
           "2027-01-15t08:00:00z", "cursor=&limit=&since="]
for index, text in enumerate(queries):
    write("query", f"query-{index:02d}.txt", text)
